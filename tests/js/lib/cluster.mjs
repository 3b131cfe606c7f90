// Cluster suite: the same cases against several multi-endpoint topologies.
//
// A topology is a set of client endpoints (URLs) that form ONE NATS system:
//   - one meridian-server launcher with `--frontends N` (N client listeners),
//   - two meridian-server launchers meshed with -cluster/--routes,
//   - a 2-node nats-server cluster (the reference for every expectation).
// Every case connects its clients to DIFFERENT endpoints of the topology.
//
// Interest propagation between endpoints is asynchronous (as in a nats
// cluster), so after subscribing, a case publishes probe messages from the
// other endpoints until one arrives (ensureRoute), then runs the real test.
// Probe messages carry the payload PROBE and are kept apart from the real ones.
// Every wait has a deadline; nothing sleeps for luck.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { connect, errors, headers as mkHeaders } from "@nats-io/transport-node";
import { startServer, serverBinary, isMeridianBinary } from "./server.mjs";
import { withTimeout, waitFor, uniq, explainConnectFailure } from "./util.mjs";

export const PROBE = "__probe__";

/** The reference nats-server: $NATS_REF_SERVER, else nats-server on PATH / usual places. */
export function referenceBinary() {
  if (process.env.NATS_REF_SERVER) return process.env.NATS_REF_SERVER;
  const dirs = (process.env.PATH || "").split(path.delimiter).concat(["/usr/sbin", "/usr/local/bin", "/usr/bin"]);
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, "nats-server");
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/** A free TCP port on 127.0.0.1 (bind :0, read, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const hostport = (u) => new URL(u).host;

// ---------------------------------------------------------------- topologies

/** One launcher with `--frontends n`. */
export async function frontendsTopology(n) {
  const srv = await startServer({ args: ["--frontends", String(n)] });
  const urls = srv.ports.nats;
  if (!Array.isArray(urls) || urls.length !== n) {
    await srv.dispose();
    throw new Error(`ports file lists ${JSON.stringify(urls)}, expected ${n} nats URLs`);
  }
  return { urls, servers: [srv], dispose: () => srv.dispose() };
}

/**
 * Two servers of `bin` meshed with -cluster/--routes (each routes to the other),
 * one client endpoint each. Waits until a message crosses in both directions.
 */
export async function meshTopology(bin, clusterName = "jsclu") {
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const c1 = await freePort();
    let c2 = await freePort();
    while (c2 === c1) c2 = await freePort();
    const args = (mine, other) => [
      "-cluster", `nats://127.0.0.1:${mine}`,
      "--routes", `nats://127.0.0.1:${other}`,
      "--cluster_name", clusterName,
    ];
    const started = await Promise.allSettled([
      startServer({ bin, args: args(c1, c2) }),
      startServer({ bin, args: args(c2, c1) }),
    ]);
    const servers = started.filter((r) => r.status === "fulfilled").map((r) => r.value);
    const dispose = () => Promise.all(servers.map((s) => s.dispose()));
    if (servers.length !== 2) {
      lastErr = started.find((r) => r.status === "rejected").reason;
      await dispose();
      continue; // a picked cluster port may have been taken meanwhile
    }
    const topo = { urls: servers.map((s) => s.url), servers, dispose };
    try {
      await waitMeshed(topo, 20_000);
    } catch (err) {
      await dispose();
      err.message += servers.map((s, i) => `\n--- node ${i} log ---\n${s.log(2000)}`).join("");
      throw err;
    }
    return topo;
  }
  throw lastErr;
}

/** Until a message published on each endpoint reaches a subscriber on every other one. */
async function waitMeshed(topo, timeout) {
  const conns = [];
  try {
    for (const u of topo.urls) conns.push(await connectTo(u));
    const subj = uniq("mesh.ready");
    const recs = conns.map((nc) => recorder(nc, subj));
    await Promise.all(conns.map((nc) => nc.flush()));
    const deadline = Date.now() + timeout;
    for (let p = 0; p < conns.length; p++) {
      for (let s = 0; s < conns.length; s++) {
        if (s !== p) await ensureRoute(conns[p], recs[s], subj, { deadline, label: `mesh node ${p} -> node ${s}` });
      }
    }
  } finally {
    await Promise.all(conns.map((nc) => withTimeout(nc.close(), 5_000, "close").catch(() => {})));
  }
}

// ---------------------------------------------------------------- clients

async function connectTo(url, opts = {}) {
  try {
    return await withTimeout(
      connect({ servers: url, timeout: 5_000, reconnect: false, ...opts }),
      15_000,
      `connect to ${url}`,
    );
  } catch (err) {
    throw await explainConnectFailure(err, Number(new URL(url).port));
  }
}

/** Connections of one test file; `at(i)` connects to endpoint i (mod count). */
class Endpoints {
  constructor(urls) {
    this.urls = urls;
    this.conns = new Set();
  }
  get n() {
    return this.urls.length;
  }
  async at(i, opts) {
    const url = this.urls[i % this.urls.length];
    const nc = await connectTo(url, opts);
    this.conns.add(nc);
    // The client really is on that endpoint.
    assert.equal(nc.info.port, Number(new URL(url).port), `connected to ${url}`);
    return nc;
  }
  async closeAll() {
    const all = [...this.conns];
    this.conns.clear();
    await Promise.all(
      all.map((nc) => (nc.isClosed() ? undefined : withTimeout(nc.close(), 5_000, "close").catch(() => {}))),
    );
  }
}

/**
 * Callback subscription recording real messages and counting probes
 * (payload PROBE) separately. `waitCount(n)` waits for n real messages.
 */
export function recorder(nc, subject, opts = {}) {
  const rec = {
    msgs: [],
    probes: 0,
    errors: [],
    waiters: [],
    sub: null,
    get count() {
      return rec.msgs.length;
    },
    strings() {
      return rec.msgs.map((m) => m.string());
    },
    wake() {
      for (const w of [...rec.waiters]) w();
    },
    async until(pred, timeout, label) {
      if (pred()) return;
      let w;
      const p = new Promise((resolve) => {
        w = () => pred() && resolve();
        rec.waiters.push(w);
      });
      try {
        await withTimeout(p, timeout, label);
      } finally {
        rec.waiters = rec.waiters.filter((x) => x !== w);
      }
    },
    waitCount(n, timeout = 10_000) {
      return rec.until(() => rec.msgs.length >= n, timeout, `${n} messages on ${subject} (got ${rec.msgs.length})`);
    },
  };
  rec.sub = nc.subscribe(subject, {
    ...opts,
    callback: (err, msg) => {
      if (err) rec.errors.push(err);
      else if (msg.data.length === PROBE.length && msg.string() === PROBE) rec.probes += 1;
      else rec.msgs.push(msg);
      rec.wake();
    },
  });
  return rec;
}

/**
 * Publish probes on `subject` (must match rec's subscription) from `pubNc`
 * until one reaches `rec`. Each round waits a short while for the probe.
 */
export async function ensureRoute(pubNc, rec, subject, { timeout = 10_000, deadline, label } = {}) {
  const end = deadline ?? Date.now() + timeout;
  let rounds = 0;
  for (;;) {
    const before = rec.probes;
    pubNc.publish(subject, PROBE);
    await pubNc.flush();
    rounds += 1;
    try {
      await rec.until(() => rec.probes > before, Math.max(1, Math.min(200, end - Date.now())), "probe");
      return rounds;
    } catch {
      if (Date.now() >= end) {
        throw new Error(`${label || "route"}: no probe on ${subject} arrived after ${rounds} probes`);
      }
    }
  }
}

/** Any of `recs` got a new probe (for queue groups: one member gets each). */
async function ensureRouteAny(pubNc, recs, subject, { timeout = 10_000, label } = {}) {
  const end = Date.now() + timeout;
  const total = () => recs.reduce((n, r) => n + r.probes, 0);
  for (;;) {
    const before = total();
    pubNc.publish(subject, PROBE);
    await pubNc.flush();
    const t0 = Date.now();
    while (total() <= before && Date.now() - t0 < 200) await new Promise((r) => setTimeout(r, 5));
    if (total() > before) return;
    if (Date.now() >= end) throw new Error(`${label || "route"}: no probe on ${subject} reached the queue group`);
  }
}

/** `nats` subject matching (tokens, `*`, `>`), for expected results. */
export function subjectMatches(pattern, subject) {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

const sum = (recs) => recs.reduce((n, r) => n + r.count, 0);

/** Wait until every connection answered a PING (nothing more is in flight to them). */
const flushAll = (conns) => withTimeout(Promise.all(conns.map((c) => c.flush())), 10_000, "flush");

// ---------------------------------------------------------------- the cases

/**
 * Register the cluster cases for one topology.
 * @param {string} name  describe() title
 * @param {() => Promise<{urls: string[], servers: object[], dispose: () => Promise}>} build
 * @param {{skip?: string|false}} [o]
 */
export function clusterSuite(name, build, o = {}) {
  describe(name, { skip: o.skip || false }, () => {
    let topo;
    let ep;

    before(async () => {
      topo = await build();
      ep = new Endpoints(topo.urls);
    });

    after(async () => {
      await ep?.closeAll();
      await topo?.dispose();
    });

    test("pub/sub with wildcards and headers, publisher and subscribers on different endpoints", async () => {
      const n = ep.n;
      for (let p = 0; p < n; p++) {
        const s = (p + 1) % n; // subscribers on the next endpoint
        const base = uniq("wc");
        const pub = await ep.at(p);
        const subNc = await ep.at(s);
        const patterns = [`${base}.*.b`, `${base}.>`, `${base}.a.*`, `${base}.a.b`];
        const recs = patterns.map((pat) => recorder(subNc, pat));
        await subNc.flush();
        // Probe subjects matching each pattern, sent from the publisher's endpoint.
        const probeFor = [`${base}.probe.b`, `${base}.probe`, `${base}.a.probe`, `${base}.a.b`];
        for (const [i, r] of recs.entries()) {
          await ensureRoute(pub, r, probeFor[i], { label: `endpoint ${p} -> ${s} (${patterns[i]})` });
        }

        const subjects = [`${base}.a.b`, `${base}.x.b`, `${base}.a.c`, `${base}.a.b.c`, `${base}.a`, base, `${base}.b.a`];
        const sent = [];
        for (const [i, subj] of subjects.entries()) {
          for (const withHeaders of [true, false]) {
            const data = `${subj}|${i}|${withHeaders ? "h" : "-"}`;
            const opts = { reply: `${base}.reply.${i}` };
            if (withHeaders) {
              const h = mkHeaders();
              h.set("X-Seq", String(i));
              h.append("X-Multi", "one");
              h.append("X-Multi", "two");
              h.set("MiXeD-Case", "Value with spaces: and colons");
              opts.headers = h;
            }
            pub.publish(subj, data, opts);
            sent.push({ subj, data, withHeaders, i });
          }
        }
        await pub.flush();

        for (const [k, pat] of patterns.entries()) {
          const want = sent.filter((m) => subjectMatches(pat, m.subj));
          await recs[k].waitCount(want.length, 10_000);
        }
        await flushAll([pub, subNc]); // late extras would show up now
        for (const [k, pat] of patterns.entries()) {
          const want = sent.filter((m) => subjectMatches(pat, m.subj));
          const got = recs[k].msgs;
          assert.deepEqual(got.map((m) => m.string()), want.map((m) => m.data), `messages for ${pat} (${p} -> ${s})`);
          for (const [j, m] of got.entries()) {
            const w = want[j];
            assert.equal(m.subject, w.subj);
            assert.equal(m.reply, `${base}.reply.${w.i}`);
            if (w.withHeaders) {
              assert.ok(m.headers, `headers on ${m.subject}`);
              assert.equal(m.headers.get("X-Seq"), String(w.i));
              assert.deepEqual(m.headers.values("X-Multi"), ["one", "two"]);
              assert.equal(m.headers.get("MiXeD-Case"), "Value with spaces: and colons");
              assert.ok(m.headers.keys().includes("MiXeD-Case"), `header name case kept: ${m.headers.keys()}`);
            } else {
              assert.equal(m.headers, undefined, `no headers on ${m.subject}`);
            }
          }
        }
        for (const r of recs) r.sub.unsubscribe();
      }
    });

    test("queue group with a member on every endpoint: each message delivered exactly once overall", async (t) => {
      const n = ep.n;
      const subj = uniq("q.every");
      const N = 300;
      const memberConns = [];
      for (let i = 0; i < n; i++) memberConns.push(await ep.at(i));
      const members = memberConns.map((nc) => recorder(nc, subj, { queue: "workers" }));
      await flushAll(memberConns);
      const pubs = [];
      for (let i = 0; i < n; i++) pubs.push(await ep.at(i));
      for (const [i, pub] of pubs.entries()) await ensureRouteAny(pub, members, subj, { label: `endpoint ${i}` });

      for (let i = 0; i < N; i++) for (const [p, pub] of pubs.entries()) pub.publish(subj, `${p}:${i}`);
      await flushAll(pubs);
      await waitFor(() => sum(members) >= n * N, {
        timeout: 15_000,
        label: "queue group received every message",
        describe: () => `member counts ${members.map((m) => m.count)}`,
      });
      await flushAll([...pubs, ...memberConns]);
      const counts = members.map((m) => m.count);
      t.diagnostic(`member counts per endpoint: ${counts}`);
      assert.equal(sum(members), n * N, `exactly ${n * N} deliveries (counts ${counts})`);
      const seen = members.flatMap((m) => m.strings()).sort();
      const want = pubs.flatMap((_, p) => Array.from({ length: N }, (_, i) => `${p}:${i}`)).sort();
      assert.deepEqual(seen, want, "each message exactly once");
    });

    test("queue group with members only on other endpoints: each message delivered exactly once", async (t) => {
      const n = ep.n;
      const subj = uniq("q.remote");
      const N = 300;
      const pub = await ep.at(0);
      const memberConns = [];
      for (let i = 1; i < n; i++) memberConns.push(await ep.at(i), await ep.at(i));
      const members = memberConns.map((nc) => recorder(nc, subj, { queue: "far" }));
      await flushAll(memberConns);
      await ensureRouteAny(pub, members, subj, { label: "endpoint 0 -> remote queue group" });

      for (let i = 0; i < N; i++) pub.publish(subj, String(i));
      await pub.flush();
      await waitFor(() => sum(members) >= N, {
        timeout: 15_000,
        label: "remote queue group received every message",
        describe: () => `member counts ${members.map((m) => m.count)}`,
      });
      await flushAll([pub, ...memberConns]);
      const counts = members.map((m) => m.count);
      t.diagnostic(`member counts: ${counts}`);
      assert.equal(sum(members), N, `exactly ${N} deliveries (counts ${counts})`);
      const seen = members.flatMap((m) => m.strings()).map(Number).sort((a, b) => a - b);
      assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
    });

    test("request/reply across endpoints (nc.request, mux and noMux, with headers)", async () => {
      const n = ep.n;
      const subj = uniq("svc");
      const resp = await ep.at(n - 1);
      const sub = resp.subscribe(subj, {
        callback: (err, m) => {
          if (err) return;
          const h = mkHeaders();
          h.set("X-From", "responder");
          if (m.headers) h.set("X-Echo", m.headers.get("X-Req") || "");
          m.respond(`re:${m.string()}`, { headers: h });
        },
      });
      await resp.flush();
      for (let r = 0; r < n - 1; r++) {
        const nc = await ep.at(r);
        // Probe: the responder's interest (and this requester's reply inbox) may still be propagating.
        await waitFor(
          async () => {
            try {
              const m = await nc.request(subj, PROBE, { timeout: 500 });
              return m.string() === `re:${PROBE}`;
            } catch (err) {
              if (err instanceof errors.TimeoutError || (err instanceof errors.RequestError && err.isNoResponders())) return false;
              throw err;
            }
          },
          { timeout: 10_000, interval: 20, label: `request from endpoint ${r} reached the responder on endpoint ${n - 1}` },
        );
        const h = mkHeaders();
        h.set("X-Req", `r${r}`);
        const one = await nc.request(subj, "hello", { timeout: 5_000, headers: h });
        assert.equal(one.string(), "re:hello");
        assert.equal(one.headers?.get("X-From"), "responder");
        assert.equal(one.headers?.get("X-Echo"), `r${r}`);

        const noMux = await nc.request(subj, "nomux", { timeout: 5_000, noMux: true });
        assert.equal(noMux.string(), "re:nomux");

        const K = 200;
        const replies = await withTimeout(
          Promise.all(Array.from({ length: K }, (_, i) => nc.request(subj, `m${i}`, { timeout: 10_000 }))),
          15_000,
          `${K} concurrent requests from endpoint ${r}`,
        );
        assert.deepEqual(replies.map((m) => m.string()), Array.from({ length: K }, (_, i) => `re:m${i}`));
      }
      sub.unsubscribe();
    });

    test("no responders (503) when nobody anywhere subscribes, and after the remote responder leaves", async () => {
      const n = ep.n;
      const conns = [];
      for (let i = 0; i < n; i++) conns.push(await ep.at(i));
      for (const [i, nc] of conns.entries()) {
        const subj = uniq("nobody");
        const t0 = Date.now();
        const err = await nc.request(subj, "x", { timeout: 5_000 }).then(
          () => assert.fail(`endpoint ${i}: request to ${subj} got a reply`),
          (e) => e,
        );
        assert.ok(err instanceof errors.RequestError, `endpoint ${i}: RequestError, got ${err?.name}: ${err?.message}`);
        assert.ok(err.isNoResponders(), `endpoint ${i}: isNoResponders()`);
        assert.ok(err.cause instanceof errors.NoRespondersError, "cause NoRespondersError");
        assert.equal(err.cause.subject, subj);
        assert.ok(Date.now() - t0 < 2_500, `endpoint ${i}: failed fast (${Date.now() - t0} ms)`);
        const noMux = await nc.request(subj, "x", { timeout: 5_000, noMux: true }).then(
          () => assert.fail("noMux got a reply"),
          (e) => e,
        );
        assert.ok(noMux instanceof errors.RequestError && noMux.isNoResponders(), `endpoint ${i}: noMux no responders`);
      }

      // A responder on the last endpoint: requests from endpoint 0 work; once it
      // unsubscribes, endpoint 0 eventually answers 503 again.
      const subj = uniq("leaving");
      const resp = conns[n - 1];
      const sub = resp.subscribe(subj, { callback: (err, m) => !err && m.respond("here") });
      await resp.flush();
      const attempt = async () => {
        try {
          await conns[0].request(subj, "x", { timeout: 500 });
          return "reply";
        } catch (err) {
          if (err instanceof errors.RequestError && err.isNoResponders()) return "503";
          if (err instanceof errors.TimeoutError) return "timeout";
          throw err;
        }
      };
      await waitFor(async () => (await attempt()) === "reply", { timeout: 10_000, label: "responder reachable" });
      sub.unsubscribe();
      await resp.flush();
      const seen = [];
      await waitFor(
        async () => {
          const r = await attempt();
          seen.push(r);
          return r === "503";
        },
        { timeout: 10_000, label: "no responders after the responder left", describe: () => seen.join(",") },
      );
    });

    test("per-publisher order: 5000 messages from each endpoint, subscribers on every endpoint", async () => {
      const n = ep.n;
      const N = 5_000;
      const subj = uniq("order");
      const subConns = [];
      for (let i = 0; i < n; i++) subConns.push(await ep.at(i));
      const recs = subConns.map((nc) => recorder(nc, subj));
      await flushAll(subConns);
      const pubs = [];
      for (let i = 0; i < n; i++) pubs.push(await ep.at(i));
      for (const [p, pub] of pubs.entries()) {
        for (const [s, r] of recs.entries()) await ensureRoute(pub, r, subj, { label: `endpoint ${p} -> ${s}` });
      }

      for (let i = 0; i < N; i++) for (const [p, pub] of pubs.entries()) pub.publish(subj, `${p}:${i}`);
      await flushAll(pubs);
      for (const [s, r] of recs.entries()) {
        await r.until(() => r.count >= n * N, 20_000, `subscriber on endpoint ${s}: ${n * N} messages (got ${r.count})`);
      }
      await flushAll([...pubs, ...subConns]);
      for (const [s, r] of recs.entries()) {
        assert.equal(r.count, n * N, `subscriber on endpoint ${s}: count`);
        const per = Array.from({ length: n }, () => []);
        for (const str of r.strings()) {
          const [p, i] = str.split(":").map(Number);
          per[p].push(i);
        }
        for (let p = 0; p < n; p++) {
          const firstBad = per[p].findIndex((v, i) => v !== i);
          assert.equal(
            firstBad,
            -1,
            `subscriber on endpoint ${s}, publisher on endpoint ${p}: out of order at index ${firstBad} ` +
              `(got ${per[p].slice(Math.max(0, firstBad - 2), firstBad + 3)})`,
          );
          assert.equal(per[p].length, N);
        }
      }
    });

    test("sub.drain() of a subscription fed from another endpoint", async () => {
      const N = 1_000;
      const subj = uniq("drain.sub");
      const pub = await ep.at(0);
      const nc = await ep.at(1);
      // A slow iterator consumer (target) and a callback subscription (control) on one connection.
      const target = nc.subscribe(subj);
      const got = [];
      const done = (async () => {
        for await (const m of target) {
          await new Promise((r) => setImmediate(r));
          if (m.string() !== PROBE) got.push(m.string());
        }
        return got;
      })();
      const control = recorder(nc, subj);
      await nc.flush();
      await ensureRoute(pub, control, subj, { label: "endpoint 0 -> 1" });

      for (let i = 0; i < N; i++) pub.publish(subj, String(i));
      await pub.flush();
      // All N reached this connection (control saw them); target's copies are in the same stream.
      await control.waitCount(N, 10_000);
      await withTimeout(target.drain(), 10_000, "sub.drain()");
      const res = await withTimeout(done, 10_000, "iterator to end after drain");
      assert.equal(res.length, N, "drained subscription processed every message");
      assert.deepEqual(res, Array.from({ length: N }, (_, i) => String(i)));
      assert.ok(target.isClosed(), "subscription closed");
      assert.equal(nc.isClosed(), false, "connection still open");

      for (let i = 0; i < 10; i++) pub.publish(subj, `late${i}`);
      await pub.flush();
      await control.waitCount(N + 10, 10_000);
      await nc.flush();
      assert.equal(got.length, N, "nothing after drain");
    });

    test("nc.drain() of a connection fed from another endpoint", async () => {
      const N = 2_000;
      const subj = uniq("drain.conn");
      const pub = await ep.at(0);
      const nc = await ep.at(1);
      const got = [];
      const sub = nc.subscribe(subj);
      const done = (async () => {
        for await (const m of sub) {
          await new Promise((r) => setImmediate(r));
          if (m.string() !== PROBE) got.push(m.string());
        }
        return got;
      })();
      const control = recorder(nc, subj);
      await nc.flush();
      await ensureRoute(pub, control, subj, { label: "endpoint 0 -> 1" });
      for (let i = 0; i < N; i++) pub.publish(subj, String(i));
      await pub.flush();
      await control.waitCount(N, 10_000);
      await withTimeout(nc.drain(), 15_000, "nc.drain()");
      assert.ok(nc.isClosed(), "closed after drain");
      const res = await withTimeout(done, 10_000, "iterator end");
      assert.equal(res.length, N);
      assert.equal(res[N - 1], String(N - 1));
    });

    test("INFO connect_urls lists every endpoint's client URL; the client learns them all", async (t) => {
      const all = ep.urls.map(hostport).sort();
      for (let i = 0; i < ep.n; i++) {
        const nc = await ep.at(i);
        // connect_urls may be completed by a later async INFO (cluster routes forming).
        let last;
        await waitFor(
          () => {
            last = nc.info?.connect_urls || [];
            return all.every((u) => last.includes(u));
          },
          {
            timeout: 10_000,
            label: `endpoint ${i}: connect_urls lists ${all}`,
            describe: () => `connect_urls ${JSON.stringify(last)}`,
          },
        );
        t.diagnostic(`endpoint ${i} (${ep.urls[i]}): connect_urls ${JSON.stringify(nc.info.connect_urls)}`);
        assert.deepEqual([...nc.info.connect_urls].sort(), all, `endpoint ${i}: exactly the endpoints' URLs`);
        assert.equal(new Set(nc.info.connect_urls).size, nc.info.connect_urls.length, "no duplicates");
        const learned = nc.protocol.servers.getServers().map((s) => s.listen).sort();
        assert.deepEqual(learned, all, `endpoint ${i}: servers known to the client`);
      }
    });
  });
}

/** Why a Meridian-only topology cannot run with the binary under test (or false). */
export function meridianSkip() {
  return isMeridianBinary(serverBinary()) ? false : `${serverBinary()} is not meridian-server (--frontends)`;
}
