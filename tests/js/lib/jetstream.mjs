// Helpers for the JetStream / KV / Object Store suite (tests/js/jetstream/).
// Every wait here has its own deadline (see util.mjs).

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInbox, nuid } from "@nats-io/transport-node";
import { JetStreamApiError, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startServer, isMeridianBinary } from "./server.mjs";
import { Clients, compareVersions, withTimeout } from "./util.mjs";

/**
 * Start `$NATS_TEST_SERVER -js -sd <fresh temp store dir> [args]`.
 * The returned server also has `storeDir`; `dispose()` removes the store dir
 * too (kept with NATS_TEST_KEEP_TMP). `stop()`/`start(port)` keep the store.
 */
export async function startJetStreamServer(o = {}) {
  const storeDir = o.storeDir || fs.mkdtempSync(path.join(os.tmpdir(), "meridian-jsstore-"));
  const srv = await startServer({ ...o, args: ["-js", "-sd", storeDir, ...(o.args || [])] });
  srv.storeDir = storeDir;
  const dispose = srv.dispose.bind(srv);
  srv.dispose = async () => {
    await dispose();
    if (!process.env.NATS_TEST_KEEP_TMP) fs.rmSync(storeDir, { recursive: true, force: true });
  };
  return srv;
}

/**
 * A test file's JetStream server and one client: { srv, clients, nc, jsm, js }.
 * Pair with closeJetStreamSuite in after().
 */
export async function openJetStreamSuite(o = {}) {
  const srv = await startJetStreamServer(o);
  const clients = new Clients(srv);
  try {
    const nc = await clients.connect();
    return { srv, clients, nc, jsm: await jetstreamManager(nc), js: jetstream(nc) };
  } catch (err) {
    await clients.closeAll();
    await srv.dispose();
    throw err;
  }
}

export async function closeJetStreamSuite(suite) {
  await suite?.clients?.closeAll();
  await suite?.srv?.dispose();
}

/**
 * SIGKILL the server's whole process group (no clean shutdown: nothing is
 * flushed) and wait until the leader has exited (bounded).
 */
export async function killServer(srv, timeout = 10_000) {
  const pid = srv.pid;
  if (!pid || !srv.running) return;
  // meridian-server runs each daemon in its own process group: freeze the
  // launcher (so it neither restarts nor stops them), SIGKILL every
  // descendant, then the launcher's group. nats-server has no children.
  const descendants = (root) => {
    const out = [];
    let frontier = [root];
    while (frontier.length > 0) {
      const next = [];
      for (const p of frontier) {
        let kids = "";
        try {
          kids = fs.readFileSync(`/proc/${p}/task/${p}/children`, "utf8");
        } catch {
          continue;
        }
        for (const k of kids.split(/\s+/).filter(Boolean)) next.push(Number(k));
      }
      out.push(...next);
      frontier = next;
    }
    return out;
  };
  try {
    process.kill(pid, "SIGSTOP");
  } catch {
    // already gone
  }
  for (const child of descendants(pid)) {
    try {
      process.kill(child, "SIGKILL");
    } catch {
      // already gone
    }
  }
  try {
    process.kill(-pid, "SIGKILL"); // the group created by detached:true
  } catch {
    // already gone
  }
  await withTimeout(srv.exited, timeout, `server pid ${pid} to exit after SIGKILL`);
}

/** A stream/consumer/bucket name unique to one test (letters and digits only). */
export function uniqName(prefix = "S") {
  return `${prefix}_${nuid.next()}`;
}

/** Version the connected server reports in INFO. */
export function serverVersion(nc) {
  return nc.info?.version ?? "0.0.0";
}

/**
 * True when the binary under test is NOT Meridian and reports a version below
 * `min` (e.g. the reference nats-server 2.9.10 for a 2.10 feature). Meridian
 * never skips: every gated test encodes the documented (spec) behaviour.
 */
export function referenceLacks(nc, min) {
  return !isMeridianBinary() && compareVersions(serverVersion(nc), min) < 0;
}

/**
 * In a gated test: skip (with a diagnostic) when the reference server lacks
 * the feature. Returns true if the test was skipped (the caller returns).
 */
export function skipUnlessSupported(t, nc, min, feature) {
  if (referenceLacks(nc, min)) {
    t.skip(`${feature} needs server >= ${min}; reference reports ${serverVersion(nc)}`);
    return true;
  }
  return false;
}

/**
 * Await `promise`, which must reject with a JetStreamApiError (or a subclass,
 * e.g. StreamNotFoundError) carrying `err_code` (and HTTP-like `code` if given).
 * nats.js 3.3.1: `err.code` = err_code, `err.status` = code, `err.apiError()` = the JSON.
 */
export async function expectApiError(promise, { err_code, code, description, name } = {}, label = "") {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${label} expected a JetStream API error ${err_code}, but it succeeded`);
  assert.ok(
    err instanceof JetStreamApiError,
    `${label} expected JetStreamApiError ${err_code}, got ${err?.name}: ${err?.message}`,
  );
  if (err_code !== undefined) assert.equal(err.code, err_code, `${label} err_code (${err.message})`);
  if (code !== undefined) assert.equal(err.status, code, `${label} code (${err.message})`);
  if (description instanceof RegExp) assert.match(err.message, description, `${label} description`);
  else if (description !== undefined) assert.equal(err.message, description, `${label} description`);
  if (name !== undefined) assert.equal(err.name, name, `${label} error class`);
  return err;
}

/**
 * Raw JetStream API request (JSON in, parsed JSON out) for cases nats.js will
 * not send (mismatched names, bad JSON, …). `body` may be an object, a string
 * or undefined (empty payload).
 */
export async function apiRequest(nc, subject, body, timeout = 5_000) {
  const payload = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const m = await nc.request(subject, payload, { timeout });
  return JSON.parse(m.string());
}

/** Assert a raw API response is an error with these codes. */
export function assertRawError(r, err_code, code, label = "") {
  assert.ok(r.error, `${label} expected an error response, got ${JSON.stringify(r).slice(0, 300)}`);
  assert.equal(r.error.err_code, err_code, `${label} err_code: ${JSON.stringify(r.error)}`);
  if (code !== undefined) assert.equal(r.error.code, code, `${label} code: ${JSON.stringify(r.error)}`);
}

/**
 * Send one pull request to `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` and
 * collect what comes back on its inbox: messages until `count` arrived or a
 * status message (any code except 100) ended the request, bounded by `timeout`.
 * Returns {msgs, statuses: [{code, description, headers}]}; `timedOut` if
 * neither happened (a request that is still waiting).
 */
export async function rawPull(nc, stream, consumer, body, { count = Infinity, timeout = 5_000 } = {}) {
  const inbox = createInbox();
  const msgs = [];
  const statuses = [];
  let done;
  const finished = new Promise((r) => {
    done = r;
  });
  const sub = nc.subscribe(inbox, {
    callback: (err, m) => {
      if (err) return done();
      const code = m.headers?.code ?? 0;
      if (code !== 0 && m.data.length === 0) {
        if (code === 100) return; // idle heartbeat
        statuses.push({ code, description: m.headers.description, headers: m.headers });
        return done();
      }
      msgs.push(m);
      if (msgs.length >= count) done();
    },
  });
  nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, typeof body === "string" ? body : JSON.stringify(body), {
    reply: inbox,
  });
  let timer;
  const timedOut = await Promise.race([
    finished.then(() => false),
    new Promise((r) => {
      timer = setTimeout(() => r(true), timeout);
    }),
  ]);
  clearTimeout(timer);
  sub.unsubscribe();
  return { msgs, statuses, timedOut };
}

// nats.js QueuedIterators may be iterated only once ("iterator is already
// yielding"): keep the one async iterator per object so that takeN() can be
// called repeatedly and drainIter()/stopIter() can follow it.
const iterators = new WeakMap();
function iteratorOf(iter) {
  let it = iterators.get(iter);
  if (!it) {
    it = iter[Symbol.asyncIterator]();
    iterators.set(iter, it);
  }
  return it;
}

/** Drain a ConsumerMessages / QueuedIterator to its end (bounded). */
export async function drainIter(iter, timeout = 10_000, label = "iterator") {
  const out = [];
  const it = iteratorOf(iter);
  await withTimeout(
    (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        out.push(r.value);
      }
    })(),
    timeout,
    `${label} to end (got ${out.length})`,
  ).catch((err) => {
    if (String(err?.message).includes("did not complete within")) err.message += ` [got ${out.length}]`;
    throw err;
  });
  return out;
}

/**
 * Stop a ConsumerMessages / QueuedIterator that nobody is iterating and let
 * the stop run: nats.js 3.3.1 queues stop() (and close()) behind the pending
 * items, so an un-iterated iterator would never finish closing.
 */
export async function stopIter(iter, timeout = 5_000) {
  iter.stop();
  await drainIter(iter, timeout, "stopped iterator").catch(() => {});
}

/** Read exactly `n` items from an async iterator (bounded); does not stop it. */
export async function takeN(iter, n, timeout = 10_000, label = "iterator") {
  const out = [];
  if (n === 0) return out;
  const it = iteratorOf(iter);
  await withTimeout(
    (async () => {
      while (out.length < n) {
        const r = await it.next();
        if (r.done) break;
        out.push(r.value);
      }
    })(),
    timeout,
    `${label}: ${n} items (got ${out.length})`,
  );
  return out;
}

/** The counters of a ConsumerInfo that tests compare exactly. */
export function counts(ci) {
  return {
    delivered: { consumer_seq: ci.delivered.consumer_seq, stream_seq: ci.delivered.stream_seq },
    ack_floor: { consumer_seq: ci.ack_floor.consumer_seq, stream_seq: ci.ack_floor.stream_seq },
    num_ack_pending: ci.num_ack_pending,
    num_redelivered: ci.num_redelivered,
    num_pending: ci.num_pending,
  };
}

/** Publish `n` messages `<subject(i)>` = `<payload(i)>` with PubAcks awaited in order. */
export async function publishN(js, n, subject, payload = (i) => `m${i}`) {
  const acks = [];
  for (let i = 1; i <= n; i++) {
    const s = typeof subject === "function" ? subject(i) : subject;
    acks.push(await js.publish(s, payload(i)));
  }
  return acks;
}
