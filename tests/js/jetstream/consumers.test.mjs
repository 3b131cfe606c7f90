// JetStream consumers (@nats-io/jetstream 3.3.1): durable/ephemeral, pull
// (fetch/consume/next and the raw MSG.NEXT statuses), push, ack policies and
// ack kinds, redelivery, deliver policies, filters, exact ConsumerInfo
// counters, errors, and the ordered consumer's recovery.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createInbox } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { waitFor, withTimeout, record } from "../lib/util.mjs";
import {
  apiRequest,
  assertRawError,
  closeJetStreamSuite,
  counts,
  drainIter,
  expectApiError,
  openJetStreamSuite,
  publishN,
  rawPull,
  referenceLacks,
  skipUnlessSupported,
  stopIter,
  takeN,
  uniqName,
} from "../lib/jetstream.mjs";

let srv;
let clients;
let nc;
let jsm;
let js;

let suite;
before(async () => ({ srv, clients, nc, jsm, js } = suite = await openJetStreamSuite()));
after(() => closeJetStreamSuite(suite));

const NS = 1_000_000; // nanoseconds per millisecond
const T = { timeout: 30_000 }; // per test, well under the runner's 120 s

/** Stream `<name>` on `<name>.>` with `n` messages on `<name>.<i % mod>` (payload m<i>). */
async function streamWith(prefix, n = 0, mod = 1) {
  const name = uniqName(prefix);
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  if (n > 0) await publishN(js, n, (i) => `${name}.${i % mod}`);
  return name;
}

/** Fetch exactly `n` messages (bounded); returns the JsMsgs. */
async function fetchN(consumer, n, expires = 5_000) {
  const iter = await consumer.fetch({ max_messages: n, expires });
  return drainIter(iter, expires + 5_000, `fetch ${n}`);
}

/** Create an ephemeral ack-none consumer and return the stream seqs it delivers (exactly num_pending). */
async function deliveredSeqs(stream, cfg) {
  const ci = await jsm.consumers.add(stream, { ack_policy: "none", ...cfg });
  const c = await js.consumers.get(stream, ci.name);
  const msgs = ci.num_pending > 0 ? await fetchN(c, ci.num_pending) : [];
  await jsm.consumers.delete(stream, ci.name);
  return { pending: ci.num_pending, seqs: msgs.map((m) => m.seq) };
}

test("durable pull consumer: defaults, list, idempotent create, delete, 10014 after", T, async () => {
  const name = await streamWith("DUR", 3);
  const ci = await jsm.consumers.add(name, { durable_name: "d1", ack_policy: "explicit" });
  assert.equal(ci.stream_name, name);
  assert.equal(ci.name, "d1");
  const c = ci.config;
  assert.equal(c.durable_name, "d1");
  assert.equal(c.deliver_policy, "all");
  assert.equal(c.ack_policy, "explicit");
  assert.equal(c.ack_wait, 30_000 * NS, "default ack_wait 30 s");
  assert.equal(c.max_deliver, -1);
  assert.equal(c.max_waiting, 512, "pull default max_waiting");
  assert.equal(c.max_ack_pending, 1000, "default max_ack_pending");
  assert.equal(c.replay_policy, "instant");
  assert.equal(c.deliver_subject, undefined, "pull consumer");
  assert.deepEqual(counts(ci), {
    delivered: { consumer_seq: 0, stream_seq: 0 },
    ack_floor: { consumer_seq: 0, stream_seq: 0 },
    num_ack_pending: 0,
    num_redelivered: 0,
    num_pending: 3,
  });
  assert.equal(ci.num_waiting, 0);

  const again = await jsm.consumers.add(name, { durable_name: "d1", ack_policy: "explicit" });
  assert.equal(again.name, "d1", "identical create is idempotent");

  const listed = [];
  for await (const x of jsm.consumers.list(name)) listed.push(x.name);
  assert.deepEqual(listed, ["d1"]);
  assert.equal((await jsm.streams.info(name)).state.consumer_count, 1);

  assert.equal(await jsm.consumers.delete(name, "d1"), true);
  await expectApiError(jsm.consumers.info(name, "d1"), {
    err_code: 10014,
    code: 404,
    description: "consumer not found",
    name: "ConsumerNotFoundError",
  });
  await expectApiError(jsm.consumers.delete(name, "d1"), { err_code: 10014, code: 404 });
  assert.equal((await jsm.streams.info(name)).state.consumer_count, 0);
});

test("ephemeral consumer: server-chosen name, default inactive_threshold 5 s, removed when inactive", T, async () => {
  const name = await streamWith("EPH", 2);
  const dflt = await jsm.consumers.add(name, { ack_policy: "explicit" });
  assert.ok(dflt.name.length > 0, "server picks a name");
  assert.equal(dflt.config.durable_name, undefined);
  assert.equal(dflt.config.inactive_threshold, 5_000 * NS, "ephemeral default inactive_threshold");

  const short = await jsm.consumers.add(name, { ack_policy: "explicit", inactive_threshold: 500 * NS });
  assert.notEqual(short.name, dflt.name);
  assert.equal(short.config.inactive_threshold, 500 * NS);
  const t0 = Date.now();
  await waitFor(
    async () => {
      try {
        await jsm.consumers.info(name, short.name);
        return false;
      } catch (err) {
        assert.equal(err.code, 10014, `while waiting: ${err.message}`);
        return true;
      }
    },
    { timeout: 8_000, interval: 100, label: "ephemeral with 500 ms inactive_threshold removed" },
  );
  assert.ok(Date.now() - t0 >= 300, "not removed before its threshold");
});

test("fetch: batch of 4 with exact pending tokens and ConsumerInfo counters through acks", T, async () => {
  const name = await streamWith("FETCH", 10);
  await jsm.consumers.add(name, { durable_name: "f", ack_policy: "explicit" });
  const c = await js.consumers.get(name, "f");
  const msgs = await fetchN(c, 4);
  assert.deepEqual(msgs.map((m) => m.seq), [1, 2, 3, 4]);
  assert.deepEqual(msgs.map((m) => m.info.deliverySequence), [1, 2, 3, 4]);
  assert.deepEqual(msgs.map((m) => m.info.pending), [9, 8, 7, 6], "pending token of the ack subject");
  assert.deepEqual(msgs.map((m) => m.info.deliveryCount), [1, 1, 1, 1]);
  assert.equal(msgs[0].subject, `${name}.0`, "delivered with the stream subject");
  assert.equal(msgs[0].string(), "m1");
  assert.equal(msgs[0].info.stream, name);
  assert.equal(msgs[0].info.consumer, "f");
  assert.equal(msgs[0].redelivered, false);
  assert.match(msgs[0].reply, new RegExp(`^\\$JS\\.ACK\\.${name}\\.f\\.1\\.1\\.1\\.\\d+\\.9$`));

  assert.deepEqual(counts(await c.info()), {
    delivered: { consumer_seq: 4, stream_seq: 4 },
    ack_floor: { consumer_seq: 0, stream_seq: 0 },
    num_ack_pending: 4,
    num_redelivered: 0,
    num_pending: 6,
  });
  assert.equal(await msgs[0].ackAck(), true);
  assert.equal(await msgs[1].ackAck(), true);
  assert.deepEqual(counts(await c.info()), {
    delivered: { consumer_seq: 4, stream_seq: 4 },
    ack_floor: { consumer_seq: 2, stream_seq: 2 },
    num_ack_pending: 2,
    num_redelivered: 0,
    num_pending: 6,
  });
  await msgs[3].ackAck(); // out of order: floor stays
  let ci = await c.info();
  assert.deepEqual([ci.ack_floor.stream_seq, ci.num_ack_pending], [2, 1]);
  await msgs[2].ackAck(); // gap closed: floor jumps to 4
  ci = await c.info();
  assert.deepEqual([ci.ack_floor.consumer_seq, ci.ack_floor.stream_seq, ci.num_ack_pending], [4, 4, 0]);
});

test("fetch with fewer messages than the batch ends when the request expires", T, async () => {
  const name = await streamWith("FEXP", 3);
  await jsm.consumers.add(name, { durable_name: "f", ack_policy: "none" });
  const c = await js.consumers.get(name, "f");
  const t0 = Date.now();
  const iter = await c.fetch({ max_messages: 10, expires: 1_500 });
  const msgs = await drainIter(iter, 10_000, "fetch");
  const took = Date.now() - t0;
  assert.deepEqual(msgs.map((m) => m.seq), [1, 2, 3]);
  assert.ok(took >= 1_000 && took < 8_000, `ended by expiry after ${took} ms`);
  // nothing at all: next() resolves null at expiry
  assert.equal(await c.next({ expires: 1_000 }), null);
});

test("fetch by max_bytes stops before the message that does not fit (409 ends the fetch)", T, async () => {
  const name = uniqName("FBYTES");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await publishN(js, 5, `${name}.x`, () => "x".repeat(1024));
  await jsm.consumers.add(name, { durable_name: "f", ack_policy: "none" });
  const c = await js.consumers.get(name, "f");
  const iter = await c.fetch({ max_bytes: 2 * 1024 + 600, expires: 2_000 });
  const got = [];
  let err;
  try {
    await withTimeout(
      (async () => {
        for await (const m of iter) got.push(m.seq);
      })(),
      8_000,
      "max_bytes fetch",
    );
  } catch (e) {
    err = e;
  }
  assert.deepEqual(got, [1, 2], "two 1 KiB messages fit in 2.6 KiB");
  // nats.js 3.3.1 ends a fetch on a 409 by throwing JetStreamStatusError
  assert.equal(err?.name, "JetStreamStatusError", `fetch ended with ${err?.name}: ${err?.message}`);
  assert.equal(err.code, 409);
});

test("raw pull: no_wait (complete / partial / empty) and expiry statuses", T, async () => {
  const name = await streamWith("NOWAIT", 3);
  await jsm.consumers.add(name, { durable_name: "p", ack_policy: "explicit" });
  const ref29 = referenceLacks(nc, "2.10.0");

  let r = await rawPull(nc, name, "p", { batch: 2, no_wait: true }, { timeout: 1_000 });
  assert.deepEqual(r.msgs.map((m) => m.subject), [`${name}.0`, `${name}.0`]);
  // a no_wait request that was filled completely gets no status; collect briefly
  assert.deepEqual(r.statuses, [], "filled no_wait request ends without a status");

  r = await rawPull(nc, name, "p", { batch: 2, no_wait: true }, { timeout: 3_000 });
  assert.equal(r.msgs.length, 1);
  assert.equal(r.statuses.length, 1, "partly filled no_wait request ends with a status");
  const partial = r.statuses[0];
  if (ref29) {
    // nats-server 2.9.10 answers 408 Request Timeout (+pending headers) here
    assert.deepEqual([partial.code, partial.description], [408, "Request Timeout"]);
  } else {
    assert.deepEqual([partial.code, partial.description], [404, "No Messages"]);
  }

  r = await rawPull(nc, name, "p", { batch: 1, no_wait: true }, { timeout: 3_000 });
  assert.equal(r.msgs.length, 0);
  assert.deepEqual(
    r.statuses.map((s) => [s.code, s.description]),
    [[404, "No Messages"]],
  );

  const t0 = Date.now();
  r = await rawPull(nc, name, "p", { batch: 1, expires: 300 * NS }, { timeout: 5_000 });
  assert.equal(r.msgs.length, 0);
  assert.deepEqual(
    r.statuses.map((s) => [s.code, s.description]),
    [[408, "Request Timeout"]],
  );
  assert.equal(r.statuses[0].headers.get("Nats-Pending-Messages"), "1");
  assert.equal(r.statuses[0].headers.get("Nats-Pending-Bytes"), "0");
  assert.ok(Date.now() - t0 >= 250, "not before the request expired");

  // a bare integer body is a batch size
  await js.publish(`${name}.9`, "late");
  r = await rawPull(nc, name, "p", "1", { count: 1, timeout: 3_000 });
  assert.deepEqual(r.msgs.map((m) => m.string()), ["late"]);
});

test("raw pull: 409 statuses for consumer limits, push consumers and deletion", T, async () => {
  const name = await streamWith("P409", 3);
  await jsm.consumers.add(name, {
    durable_name: "lim",
    ack_policy: "explicit",
    max_batch: 2,
    max_expires: 1_000 * NS,
    max_bytes: 2_000,
    max_waiting: 1,
  });
  const only = async (body) => {
    const r = await rawPull(nc, name, "lim", body, { timeout: 3_000 });
    assert.equal(r.msgs.length, 0, `no messages for ${JSON.stringify(body)}`);
    return r.statuses.map((s) => [s.code, s.description]);
  };
  assert.deepEqual(await only({ batch: 5, no_wait: true }), [[409, "Exceeded MaxRequestBatch of 2"]]);
  assert.deepEqual(await only({ batch: 1, expires: 5_000 * NS }), [[409, "Exceeded MaxRequestExpires of 1s"]]);
  assert.deepEqual(await only({ batch: 1, max_bytes: 5_000 }), [[409, "Exceeded MaxRequestMaxBytes of 2000"]]);

  // max_waiting 1: a second waiting request is refused
  await jsm.consumers.add(name, { durable_name: "mw", ack_policy: "explicit", max_waiting: 1, deliver_policy: "new" });
  const first = rawPull(nc, name, "mw", { batch: 1, expires: 1_000 * NS }, { timeout: 4_000 });
  await waitFor(async () => (await jsm.consumers.info(name, "mw")).num_waiting === 1, {
    label: "first request waiting",
  });
  const second = await rawPull(nc, name, "mw", { batch: 1, expires: 1_000 * NS }, { timeout: 3_000 });
  assert.deepEqual(second.statuses.map((s) => [s.code, s.description]), [[409, "Exceeded MaxWaiting"]]);
  assert.deepEqual((await first).statuses.map((s) => s.code), [408]);

  await jsm.consumers.add(name, { durable_name: "push", ack_policy: "explicit", deliver_subject: createInbox() });
  const pr = await rawPull(nc, name, "push", { batch: 1, no_wait: true }, { timeout: 3_000 });
  assert.deepEqual(pr.statuses.map((s) => [s.code, s.description]), [[409, "Consumer is push based"]]);

  await jsm.consumers.add(name, { durable_name: "gone", ack_policy: "explicit", deliver_policy: "new" });
  const waiting = rawPull(nc, name, "gone", { batch: 1, expires: 5_000 * NS }, { timeout: 6_000 });
  await waitFor(async () => (await jsm.consumers.info(name, "gone")).num_waiting === 1, {
    label: "request waiting on the consumer",
  });
  await jsm.consumers.delete(name, "gone");
  const del = await waiting;
  assert.deepEqual(del.statuses.map((s) => [s.code, s.description]), [[409, "Consumer Deleted"]]);
});

test("raw pull: max_bytes statuses", T, async () => {
  const name = uniqName("PBYTES");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await publishN(js, 3, `${name}.x`, () => "x".repeat(1024));
  await jsm.consumers.add(name, { durable_name: "b", ack_policy: "none" });
  let r = await rawPull(nc, name, "b", { batch: 100, max_bytes: 100, expires: 1_000 * NS }, { timeout: 3_000 });
  assert.equal(r.msgs.length, 0);
  assert.deepEqual(r.statuses.map((s) => [s.code, s.description]), [[409, "Message Size Exceeds MaxBytes"]]);
  r = await rawPull(nc, name, "b", { batch: 100, max_bytes: 2 * 1024 + 600, expires: 1_000 * NS }, { timeout: 3_000 });
  assert.equal(r.msgs.length, 2);
  assert.equal(r.statuses.length, 1);
  assert.equal(r.statuses[0].code, 409);
  assert.ok(
    ["Message Size Exceeds MaxBytes", "Batch Completed"].includes(r.statuses[0].description),
    r.statuses[0].description,
  );
});

test("fetch surfaces a 409 limit as JetStreamStatusError and an exceeded_limits notification", T, async () => {
  const name = await streamWith("F409", 5);
  await jsm.consumers.add(name, { durable_name: "lim", ack_policy: "explicit", max_batch: 2 });
  const c = await js.consumers.get(name, "lim");
  const iter = await c.fetch({ max_messages: 5, expires: 2_000 });
  const notes = [];
  (async () => {
    for await (const s of iter.status()) notes.push(s);
  })();
  let err;
  try {
    await drainIter(iter, 8_000, "fetch over max_batch");
  } catch (e) {
    err = e;
  }
  assert.equal(err?.name, "JetStreamStatusError");
  assert.equal(err.code, 409);
  assert.equal(err.message, "exceeded maxrequestbatch of 2", "nats.js lower-cases the description");
  assert.ok(
    notes.some((n) => n.type === "exceeded_limits" && n.code === 409),
    `notifications: ${JSON.stringify(notes)}`,
  );
});

test("consume() delivers everything in order, including messages published while running", T, async () => {
  const name = await streamWith("CONS", 20);
  await jsm.consumers.add(name, { durable_name: "c", ack_policy: "explicit" });
  const c = await js.consumers.get(name, "c");
  const iter = await c.consume({ max_messages: 5, expires: 2_000 });
  const seqs = [];
  const done = (async () => {
    for await (const m of iter) {
      seqs.push(m.seq);
      m.ack();
      if (seqs.length === 20) await publishN(js, 5, `${name}.late`);
      if (seqs.length === 25) break;
    }
  })();
  await withTimeout(done, 15_000, `consume 25 (got ${seqs.length})`);
  assert.deepEqual(seqs, Array.from({ length: 25 }, (_, i) => i + 1));
  await waitFor(async () => (await c.info()).num_ack_pending === 0, { label: "all acks processed" });
  const ci = await c.info();
  assert.deepEqual([ci.ack_floor.stream_seq, ci.num_pending], [25, 0]);
});

test("consume() with a callback", T, async () => {
  const name = await streamWith("CONSCB", 10);
  await jsm.consumers.add(name, { durable_name: "c", ack_policy: "explicit" });
  const c = await js.consumers.get(name, "c");
  const seqs = [];
  let resolve;
  const all = new Promise((r) => {
    resolve = r;
  });
  const iter = await c.consume({
    max_messages: 3,
    expires: 2_000,
    callback: (m) => {
      seqs.push(m.seq);
      m.ack();
      if (seqs.length === 10) resolve();
    },
  });
  await withTimeout(all, 10_000, `10 messages by callback (got ${seqs.length})`);
  await iter.close();
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test("push consumer: getPushConsumer().consume(), push_bound, raw deliveries, queue group", T, async () => {
  const name = await streamWith("PUSH", 5);
  const deliver = createInbox();
  await jsm.consumers.add(name, { durable_name: "p", ack_policy: "explicit", deliver_subject: deliver });
  const pc = await js.consumers.getPushConsumer(name, "p");
  assert.equal(pc.isPushConsumer(), true);
  const iter = await pc.consume();
  const msgs = await takeN(iter, 5, 10_000, "push deliveries");
  assert.deepEqual(msgs.map((m) => m.seq), [1, 2, 3, 4, 5]);
  assert.equal(msgs[0].subject, `${name}.0`, "push delivery carries the stream subject");
  for (const m of msgs) await m.ackAck();
  await waitFor(async () => (await pc.info()).push_bound === true, { label: "push_bound while subscribed" });
  const ci = await pc.info();
  assert.deepEqual([ci.ack_floor.stream_seq, ci.num_ack_pending, ci.num_pending], [5, 0, 0]);
  await stopIter(iter);

  // a deliver group: each message to exactly one member
  const q = await streamWith("PUSHQ", 0);
  const qdeliver = createInbox();
  const a = record(nc, qdeliver, { queue: "grp" });
  const nc2 = await clients.connect();
  const b = record(nc2, qdeliver, { queue: "grp" });
  await Promise.all([nc.flush(), nc2.flush()]);
  await jsm.consumers.add(q, {
    durable_name: "qp",
    ack_policy: "explicit",
    deliver_subject: qdeliver,
    deliver_group: "grp",
  });
  await publishN(js, 40, `${q}.x`);
  await waitFor(() => a.count + b.count >= 40, { label: "40 queue deliveries", describe: () => `${a.count}+${b.count}` });
  for (const m of [...a.msgs, ...b.msgs]) m.respond();
  const seqs = [...a.msgs, ...b.msgs].map((m) => Number(m.reply.split(".")[5])).sort((x, y) => x - y);
  assert.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => i + 1), "each message exactly once");
  assert.equal(a.count + b.count, 40);
});

test("push consumer idle heartbeats: 100 Idle Heartbeat with Nats-Last-Consumer/Stream", T, async () => {
  const name = await streamWith("HB", 2);
  const deliver = createInbox();
  const rec = record(nc, deliver);
  await nc.flush();
  await jsm.consumers.add(name, {
    durable_name: "hb",
    ack_policy: "none",
    deliver_subject: deliver,
    idle_heartbeat: 300 * NS,
    flow_control: true,
  });
  await waitFor(() => rec.msgs.some((m) => m.headers?.code === 100), {
    timeout: 5_000,
    label: "an idle heartbeat",
  });
  const data = rec.msgs.filter((m) => !m.headers?.code);
  assert.deepEqual(data.map((m) => m.string()), ["m1", "m2"]);
  const hb = rec.msgs.find((m) => m.headers?.code === 100);
  assert.equal(hb.headers.description, "Idle Heartbeat");
  assert.equal(hb.data.length, 0);
  assert.equal(hb.headers.get("Nats-Last-Consumer"), "2");
  assert.equal(hb.headers.get("Nats-Last-Stream"), "2");
});

test("ordered push consumer (getPushConsumer without a name)", T, async () => {
  const name = await streamWith("OPUSH", 10, 2);
  const oc = await js.consumers.getPushConsumer(name, { filter_subjects: `${name}.1` });
  const iter = await oc.consume();
  const msgs = await takeN(iter, 5, 10_000, "ordered push");
  assert.deepEqual(msgs.map((m) => m.seq), [1, 3, 5, 7, 9]);
  await stopIter(iter);
});

test("ack policy none: ack floor follows deliveries", T, async () => {
  const name = await streamWith("ACKNONE", 5);
  await jsm.consumers.add(name, { durable_name: "n", ack_policy: "none" });
  const c = await js.consumers.get(name, "n");
  await fetchN(c, 3);
  assert.deepEqual(counts(await c.info()), {
    delivered: { consumer_seq: 3, stream_seq: 3 },
    ack_floor: { consumer_seq: 3, stream_seq: 3 },
    num_ack_pending: 0,
    num_redelivered: 0,
    num_pending: 2,
  });
});

test("ack policy all: acking one message acks everything before it", T, async () => {
  const name = await streamWith("ACKALL", 5);
  await jsm.consumers.add(name, { durable_name: "a", ack_policy: "all" });
  const c = await js.consumers.get(name, "a");
  const msgs = await fetchN(c, 5);
  await msgs[2].ackAck();
  let ci = await c.info();
  assert.deepEqual([ci.ack_floor.consumer_seq, ci.ack_floor.stream_seq, ci.num_ack_pending], [3, 3, 2]);
  await msgs[4].ackAck();
  ci = await c.info();
  assert.deepEqual([ci.ack_floor.stream_seq, ci.num_ack_pending], [5, 0]);
});

test("nak redelivers at once; nak with delay waits; counters track redeliveries", T, async () => {
  const name = await streamWith("NAK", 1);
  await jsm.consumers.add(name, { durable_name: "n", ack_policy: "explicit" });
  const c = await js.consumers.get(name, "n");
  const m1 = await c.next({ expires: 2_000 });
  assert.equal(m1.info.deliveryCount, 1);
  m1.nak();
  const m2 = await c.next({ expires: 2_000 });
  assert.equal(m2.seq, 1);
  assert.equal(m2.info.deliveryCount, 2);
  assert.equal(m2.redelivered, true);
  assert.equal(m2.info.deliverySequence, 2);
  let ci = await c.info();
  assert.deepEqual(counts(ci), {
    delivered: { consumer_seq: 2, stream_seq: 1 },
    ack_floor: { consumer_seq: 0, stream_seq: 0 },
    num_ack_pending: 1,
    num_redelivered: 1,
    num_pending: 0,
  });

  const t0 = Date.now();
  m2.nak(2_000);
  assert.equal(await c.next({ expires: 1_000 }), null, "not redelivered before the nak delay");
  const m3 = await c.next({ expires: 5_000 });
  assert.ok(m3, "redelivered after the delay");
  assert.ok(Date.now() - t0 >= 1_900, `redelivered after ${Date.now() - t0} ms`);
  assert.equal(m3.info.deliveryCount, 3);
  await m3.ackAck();
  ci = await c.info();
  assert.deepEqual([ci.ack_floor.stream_seq, ci.num_ack_pending, ci.num_redelivered], [1, 0, 0]);
});

test("term stops redelivery and counts as acked", T, async () => {
  const name = await streamWith("TERM", 1);
  await jsm.consumers.add(name, { durable_name: "t", ack_policy: "explicit", ack_wait: 500 * NS });
  const c = await js.consumers.get(name, "t");
  const m = await c.next({ expires: 2_000 });
  m.term();
  assert.equal(await c.next({ expires: 1_500 }), null, "terminated message is not redelivered");
  assert.deepEqual(counts(await c.info()), {
    delivered: { consumer_seq: 1, stream_seq: 1 },
    ack_floor: { consumer_seq: 1, stream_seq: 1 },
    num_ack_pending: 0,
    num_redelivered: 0,
    num_pending: 0,
  });
});

test("[2.10] term with a reason (+TERM <reason>) also stops redelivery", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "+TERM with a reason")) return;
  const name = await streamWith("TERMR", 1);
  await jsm.consumers.add(name, { durable_name: "t", ack_policy: "explicit", ack_wait: 500 * NS });
  const c = await js.consumers.get(name, "t");
  const m = await c.next({ expires: 2_000 });
  m.term("bad input");
  assert.equal(await c.next({ expires: 1_500 }), null, "terminated message is not redelivered");
  const ci = await c.info();
  assert.deepEqual([ci.ack_floor.stream_seq, ci.num_ack_pending, ci.num_redelivered], [1, 0, 0]);
});

test("working (+WPI) extends ack_wait; without it the message is redelivered", T, async () => {
  const name = await streamWith("WPI", 1);
  await jsm.consumers.add(name, { durable_name: "w", ack_policy: "explicit", ack_wait: 1_000 * NS });
  const c = await js.consumers.get(name, "w");
  const m = await c.next({ expires: 2_000 });
  const timer = setInterval(() => m.working(), 300);
  let early;
  try {
    early = await c.next({ expires: 2_500 });
  } finally {
    clearInterval(timer);
  }
  assert.equal(early, null, "no redelivery while +WPI keeps arriving");
  const again = await c.next({ expires: 5_000 });
  assert.ok(again, "redelivered once +WPI stopped");
  assert.equal(again.seq, 1);
  assert.equal(again.info.deliveryCount, 2);
});

test("ack_wait expiry redelivers; max_deliver caps deliveries", T, async () => {
  const name = await streamWith("AWAIT", 1);
  await jsm.consumers.add(name, {
    durable_name: "r",
    ack_policy: "explicit",
    ack_wait: 500 * NS,
    max_deliver: 2,
  });
  const c = await js.consumers.get(name, "r");
  const t0 = Date.now();
  const m1 = await c.next({ expires: 2_000 });
  assert.equal(m1.info.deliveryCount, 1);
  const m2 = await c.next({ expires: 3_000 });
  assert.ok(m2, "redelivered after ack_wait");
  assert.ok(Date.now() - t0 >= 350, `redelivered after ${Date.now() - t0} ms`);
  assert.deepEqual([m2.seq, m2.info.deliveryCount, m2.info.deliverySequence], [1, 2, 2]);
  assert.equal(await c.next({ expires: 1_500 }), null, "max_deliver 2 reached");
  const ci = await c.info();
  assert.deepEqual(ci.delivered, { ...ci.delivered, consumer_seq: 2, stream_seq: 1 });
  assert.deepEqual([ci.num_redelivered, ci.num_pending, ci.num_ack_pending], [1, 0, 0]);
});

test("backoff drives the redelivery schedule (ack_wait = first backoff)", T, async () => {
  const name = await streamWith("BOFF", 1);
  const ci = await jsm.consumers.add(name, {
    durable_name: "b",
    ack_policy: "explicit",
    backoff: [300 * NS, 900 * NS],
    max_deliver: 3,
  });
  assert.equal(ci.config.ack_wait, 300 * NS);
  assert.deepEqual(ci.config.backoff, [300 * NS, 900 * NS]);
  const c = await js.consumers.get(name, "b");
  const times = [];
  for (let i = 0; i < 3; i++) {
    const m = await c.next({ expires: 4_000 });
    assert.ok(m, `delivery #${i + 1}`);
    assert.equal(m.info.deliveryCount, i + 1);
    times.push(Date.now());
  }
  // lower bounds with room for client-side receive jitter
  assert.ok(times[1] - times[0] >= 200, `first redelivery after ${times[1] - times[0]} ms (backoff 300)`);
  assert.ok(times[2] - times[1] >= 700, `second redelivery after ${times[2] - times[1]} ms (backoff 900)`);
  assert.equal(await c.next({ expires: 1_500 }), null, "max_deliver 3 reached");
});

test("deliver policies: all, last, new, by_start_sequence, by_start_time, last_per_subject", T, async () => {
  const name = await streamWith("DPOL", 6, 3); // subjects .1 .2 .0 .1 .2 .0
  assert.deepEqual(await deliveredSeqs(name, { deliver_policy: "all" }), { pending: 6, seqs: [1, 2, 3, 4, 5, 6] });
  assert.deepEqual(await deliveredSeqs(name, { deliver_policy: "last" }), { pending: 1, seqs: [6] });
  assert.deepEqual(await deliveredSeqs(name, { deliver_policy: "by_start_sequence", opt_start_seq: 4 }), {
    pending: 3,
    seqs: [4, 5, 6],
  });
  const m4 = await jsm.streams.getMessage(name, { seq: 4 });
  assert.deepEqual(await deliveredSeqs(name, { deliver_policy: "by_start_time", opt_start_time: m4.timestamp }), {
    pending: 3,
    seqs: [4, 5, 6],
  });
  assert.deepEqual(
    await deliveredSeqs(name, { deliver_policy: "last_per_subject", filter_subject: `${name}.*` }),
    { pending: 3, seqs: [4, 5, 6] },
  );
  assert.deepEqual(await deliveredSeqs(name, { deliver_policy: "last", filter_subject: `${name}.1` }), {
    pending: 1,
    seqs: [4],
  });

  const ci = await jsm.consumers.add(name, { ack_policy: "none", deliver_policy: "new" });
  assert.equal(ci.num_pending, 0);
  const c = await js.consumers.get(name, ci.name);
  await js.publish(`${name}.9`, "fresh");
  const m = await c.next({ expires: 3_000 });
  assert.deepEqual([m.seq, m.string()], [7, "fresh"]);
});

test("filter_subject: only matching messages, num_pending counts only them", T, async () => {
  const name = await streamWith("FILT", 9, 3);
  assert.deepEqual(await deliveredSeqs(name, { filter_subject: `${name}.1` }), { pending: 3, seqs: [1, 4, 7] });
  assert.deepEqual(await deliveredSeqs(name, { filter_subject: `${name}.*` }), {
    pending: 9,
    seqs: [1, 2, 3, 4, 5, 6, 7, 8, 9],
  });
  await jsm.consumers.add(name, { durable_name: "f2", ack_policy: "explicit", filter_subject: `${name}.2` });
  const c = await js.consumers.get(name, "f2");
  const [m] = await fetchN(c, 1);
  assert.deepEqual([m.seq, m.info.pending], [2, 2], "pending token counts only filtered messages");
  await js.publish(`${name}.2`, "more");
  await js.publish(`${name}.0`, "other");
  assert.equal((await c.info()).num_pending, 3);
});

test("max_ack_pending limits unacknowledged deliveries", T, async () => {
  const name = await streamWith("MAP", 10);
  await jsm.consumers.add(name, { durable_name: "m", ack_policy: "explicit", max_ack_pending: 3 });
  const c = await js.consumers.get(name, "m");
  const iter = await c.fetch({ max_messages: 10, expires: 1_500 });
  const first = await drainIter(iter, 8_000, "fetch under max_ack_pending");
  assert.deepEqual(first.map((m) => m.seq), [1, 2, 3]);
  let ci = await c.info();
  assert.deepEqual([ci.num_ack_pending, ci.num_pending], [3, 7]);
  await first[0].ackAck();
  const next = await c.next({ expires: 2_000 });
  assert.equal(next.seq, 4);
  assert.equal(await c.next({ expires: 1_000 }), null, "limit reached again");
  ci = await c.info();
  assert.equal(ci.num_ack_pending, 3);
});

test("exact counters: partial acks, nak, redelivery, then new messages", T, async () => {
  const name = await streamWith("CNT", 10);
  await jsm.consumers.add(name, { durable_name: "x", ack_policy: "explicit" });
  const c = await js.consumers.get(name, "x");
  const msgs = await fetchN(c, 5);
  await msgs[0].ackAck();
  await msgs[1].ackAck();
  await msgs[3].ackAck();
  assert.deepEqual(counts(await c.info()), {
    delivered: { consumer_seq: 5, stream_seq: 5 },
    ack_floor: { consumer_seq: 2, stream_seq: 2 },
    num_ack_pending: 2,
    num_redelivered: 0,
    num_pending: 5,
  });
  // a NAK sent as a request is confirmed by the server (like ackAck), so the
  // next pull cannot overtake it
  await nc.request(msgs[2].reply, "-NAK", { timeout: 5_000 });
  const [re] = await fetchN(c, 1);
  assert.deepEqual([re.seq, re.info.deliverySequence, re.info.deliveryCount], [3, 6, 2]);
  assert.deepEqual(counts(await c.info()), {
    delivered: { consumer_seq: 6, stream_seq: 5 },
    ack_floor: { consumer_seq: 2, stream_seq: 2 },
    num_ack_pending: 2,
    num_redelivered: 1,
    num_pending: 5,
  });
  await re.ackAck();
  await msgs[4].ackAck();
  await publishN(js, 2, `${name}.new`);
  assert.deepEqual(counts(await c.info()), {
    delivered: { consumer_seq: 6, stream_seq: 5 },
    ack_floor: { consumer_seq: 6, stream_seq: 5 },
    num_ack_pending: 0,
    num_redelivered: 0,
    num_pending: 7,
  });
});

test("consumer errors: 10014, 10059, 10017, 10131, 10093, 10094, 10116, 10108, 10012", T, async () => {
  const name = await streamWith("CERR", 1);
  await expectApiError(jsm.consumers.info(name, "nope"), { err_code: 10014, code: 404 });
  await expectApiError(jsm.consumers.add(uniqName("NOSTREAM"), { durable_name: "d", ack_policy: "explicit" }), {
    err_code: 10059,
    code: 404,
    name: "StreamNotFoundError",
  });

  let r = await apiRequest(nc, `$JS.API.CONSUMER.DURABLE.CREATE.${name}.x1`, {
    stream_name: name,
    config: { durable_name: "x2", ack_policy: "explicit" },
  });
  assertRawError(r, 10017, 400, "durable name mismatch");
  r = await apiRequest(nc, `$JS.API.CONSUMER.DURABLE.CREATE.${name}.x1`, {
    stream_name: "OTHER",
    config: { durable_name: "x1", ack_policy: "explicit" },
  });
  assertRawError(r, 10056, 400, "stream name mismatch");
  r = await apiRequest(nc, `$JS.API.CONSUMER.CREATE.${name}.f1.${name}.a`, {
    stream_name: name,
    config: { name: "f1", ack_policy: "explicit", filter_subject: `${name}.b` },
  });
  assertRawError(r, 10131, 400, "filter in subject vs body");
  r = await apiRequest(nc, `$JS.API.CONSUMER.CREATE.${name}`, "{bad json");
  assertRawError(r, 10025, 400, "bad JSON");

  await expectApiError(jsm.consumers.add(name, { durable_name: "f", ack_policy: "explicit", filter_subject: "elsewhere.x" }), {
    err_code: 10093,
    code: 400,
  });
  await expectApiError(jsm.consumers.add(name, { durable_name: "s", ack_policy: "explicit", deliver_policy: "by_start_sequence" }), {
    err_code: 10094,
    code: 400,
  });
  await expectApiError(
    jsm.consumers.add(name, { durable_name: "b", ack_policy: "explicit", backoff: [NS, 2 * NS], max_deliver: 2 }),
    { err_code: 10116, code: 400 },
  );
  await expectApiError(
    jsm.consumers.add(name, { durable_name: "fc", ack_policy: "explicit", deliver_subject: createInbox(), flow_control: true }),
    { err_code: 10108, code: 400 },
  );

  // editable fields update in place; the ack policy cannot change (10012)
  await jsm.consumers.add(name, { durable_name: "ed", ack_policy: "explicit" });
  const up = await jsm.consumers.update(name, "ed", { description: "changed", max_deliver: 5 });
  assert.deepEqual([up.config.description, up.config.max_deliver], ["changed", 5]);
  await expectApiError(jsm.consumers.update(name, "ed", { ack_policy: "all" }), { err_code: 10012, code: 500 });
});

test("consume() reports consumer_deleted when its consumer is deleted", T, async () => {
  const name = await streamWith("CDEL", 0);
  await jsm.consumers.add(name, { durable_name: "d", ack_policy: "explicit" });
  const c = await js.consumers.get(name, "d");
  const iter = await c.consume({ expires: 5_000 });
  const notes = [];
  const seen = (async () => {
    for await (const s of iter.status()) notes.push(s);
  })();
  // nats.js sends the pull requests from inside the iteration
  const reading = (async () => {
    for await (const m of iter) m.ack();
  })().catch(() => {});
  await waitFor(async () => (await jsm.consumers.info(name, "d")).num_waiting === 1, { label: "pull waiting" });
  await jsm.consumers.delete(name, "d");
  await waitFor(() => notes.some((n) => n.type === "consumer_deleted"), {
    timeout: 5_000,
    label: "consumer_deleted notification",
    describe: () => JSON.stringify(notes),
  });
  const n = notes.find((x) => x.type === "consumer_deleted");
  assert.deepEqual([n.code, n.description], [409, "consumer deleted"]);
  iter.stop();
  await withTimeout(Promise.all([reading, seen]), 5_000, "iterators end");
});

test("ordered consumer (consumers.get(stream)) recovers after its consumer is deleted", T, async () => {
  const name = await streamWith("ORD", 5);
  const oc = await js.consumers.get(name);
  const iter = await oc.consume({ expires: 2_000 });
  const notes = [];
  (async () => {
    for await (const s of iter.status()) notes.push(s.type);
  })();
  const it = iter[Symbol.asyncIterator]();
  const seqs = [];
  const read = async (n) => {
    while (seqs.length < n) {
      const r = await it.next();
      if (r.done) break;
      seqs.push(r.value.seq);
    }
  };
  await withTimeout(read(5), 10_000, "first 5 ordered messages");
  const first = (await oc.info(true)).name;
  assert.equal((await jsm.consumers.info(name, first)).config.ack_policy, "none");
  await jsm.consumers.delete(name, first);
  await publishN(js, 5, `${name}.after`);
  await withTimeout(read(10), 20_000, `ordered consumer to recover (got ${seqs.length}; notes ${notes.join(",")})`);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "no gaps, no duplicates");
  const now = (await oc.info(true)).name;
  assert.notEqual(now, first, "a new underlying consumer was created");
  await stopIter(iter);
});

test("ordered consumer fetch resumes after the last seen sequence", T, async () => {
  const name = await streamWith("ORDF", 6);
  const oc = await js.consumers.get(name, { filter_subjects: `${name}.0` });
  const a = await drainIter(await oc.fetch({ max_messages: 4, expires: 2_000 }), 8_000, "ordered fetch");
  assert.deepEqual(a.map((m) => m.seq), [1, 2, 3, 4]);
  const b = await drainIter(await oc.fetch({ max_messages: 2, expires: 2_000 }), 8_000, "ordered fetch 2");
  assert.deepEqual(b.map((m) => m.seq), [5, 6]);
});

// ---- features the reference 2.9.10 lacks (skipped there; spec expectations) ----

test("[2.10] filter_subjects (several filters) on one consumer", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "filter_subjects")) return;
  const name = await streamWith("MFILT", 9, 3);
  assert.deepEqual(await deliveredSeqs(name, { filter_subjects: [`${name}.1`, `${name}.2`] }), {
    pending: 6,
    seqs: [1, 2, 4, 5, 7, 8],
  });
  await expectApiError(
    jsm.consumers.add(name, { durable_name: "ov", ack_policy: "none", filter_subjects: [`${name}.*`, `${name}.1`] }),
    { err_code: 10138, code: 400 },
  );
});

test("[2.10] consumer create action: create on a different existing config 10148, update on a missing one 10149", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "consumer create action")) return;
  const name = await streamWith("ACT", 1);
  await jsm.consumers.add(name, { durable_name: "a", ack_policy: "explicit" });
  await expectApiError(jsm.consumers.add(name, { durable_name: "a", ack_policy: "explicit", description: "other" }), {
    err_code: 10148,
    code: 400,
  });
  const r = await apiRequest(nc, `$JS.API.CONSUMER.CREATE.${name}.zz`, {
    stream_name: name,
    action: "update",
    config: { name: "zz", durable_name: "zz", ack_policy: "explicit" },
  });
  assertRawError(r, 10149, 400, "update of a missing consumer");
});

test("[2.10] consumer metadata and stream consumer_limits defaults", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "consumer metadata / consumer_limits")) return;
  const name = uniqName("CLIM");
  await jsm.streams.add({
    name,
    subjects: [`${name}.>`],
    consumer_limits: { max_ack_pending: 7, inactive_threshold: 2_000 * NS },
  });
  const ci = await jsm.consumers.add(name, { durable_name: "m", ack_policy: "explicit", metadata: { team: "x" } });
  assert.equal(ci.config.metadata.team, "x");
  assert.equal(ci.config.max_ack_pending, 7, "stream consumer_limits apply to consumers that omit them");
});

test("[2.11] pause and resume a consumer", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.11.0", "consumer pause")) return;
  const name = await streamWith("PAUSE", 1);
  await jsm.consumers.add(name, { durable_name: "p", ack_policy: "explicit" });
  const until = new Date(Date.now() + 60_000);
  const r = await jsm.consumers.pause(name, "p", until);
  assert.equal(r.paused, true);
  const c = await js.consumers.get(name, "p");
  assert.equal(await c.next({ expires: 1_000 }), null, "paused consumer delivers nothing");
  assert.equal((await c.info()).paused, true);
  const rr = await jsm.consumers.resume(name, "p");
  assert.equal(rr.paused, false);
  const m = await c.next({ expires: 3_000 });
  assert.equal(m?.seq, 1);
});
