// Publishing into streams with js.publish (@nats-io/jetstream 3.3.1): PubAck,
// de-duplication, expectations, rollups, no-stream and bulk async publishes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { errors, headers } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { withTimeout } from "../lib/util.mjs";
import {
  closeJetStreamSuite,
  expectApiError,
  openJetStreamSuite,
  skipUnlessSupported,
  uniqName,
} from "../lib/jetstream.mjs";

let srv;
let clients;
let nc;
let jsm;
let js;

const T = { timeout: 30_000 }; // per test, well under the runner's 120 s

let suite;
before(async () => ({ srv, clients, nc, jsm, js } = suite = await openJetStreamSuite()));
after(() => closeJetStreamSuite(suite));

async function stream(prefix, extra = {}) {
  const name = uniqName(prefix);
  await jsm.streams.add({ name, subjects: [`${name}.>`], ...extra });
  return name;
}

test("PubAck: stream and seq, duplicate false; the raw ack is {stream, seq} without type", T, async () => {
  const name = await stream("ACK");
  const pa = await js.publish(`${name}.x`, "hello");
  assert.deepEqual(pa, { stream: name, seq: 1, duplicate: false });

  const raw = await nc.request(`${name}.x`, "raw", { timeout: 5_000 });
  const body = JSON.parse(raw.string());
  assert.deepEqual(body, { stream: name, seq: 2 }, `raw PubAck ${raw.string()}`);
  assert.equal(raw.headers, undefined, "PubAck is a plain message");

  // a plain publish (no reply) is stored too
  nc.publish(`${name}.y`, "fire and forget");
  await nc.flush();
  const pa3 = await js.publish(`${name}.x`, "after");
  assert.equal(pa3.seq, 4);
  const m = await jsm.streams.getMessage(name, { seq: 3 });
  assert.equal(m.subject, `${name}.y`);
  assert.equal(m.string(), "fire and forget");
});

test("payloads and headers are stored byte-exact", T, async () => {
  const name = await stream("BYTES");
  const bin = Uint8Array.from({ length: 256 }, (_, i) => i);
  const h = headers();
  h.set("X-Key", "value with spaces");
  h.append("X-Multi", "1");
  h.append("X-Multi", "2");
  await js.publish(`${name}.bin`, bin);
  await js.publish(`${name}.empty`);
  await js.publish(`${name}.hdr`, "payload", { headers: h });
  await js.publish(`${name}.hdrempty`, undefined, { headers: h });
  const big = new Uint8Array(512 * 1024).map((_, i) => (i * 7) & 0xff);
  await js.publish(`${name}.big`, big);

  assert.deepEqual([...(await jsm.streams.getMessage(name, { seq: 1 })).data], [...bin]);
  assert.equal((await jsm.streams.getMessage(name, { seq: 2 })).data.length, 0);
  const m3 = await jsm.streams.getMessage(name, { seq: 3 });
  assert.equal(m3.string(), "payload");
  assert.equal(m3.header.get("X-Key"), "value with spaces");
  assert.deepEqual(m3.header.values("X-Multi"), ["1", "2"]);
  const m4 = await jsm.streams.getMessage(name, { seq: 4 });
  assert.equal(m4.data.length, 0);
  assert.equal(m4.header.get("X-Key"), "value with spaces");
  const m5 = await jsm.streams.getMessage(name, { seq: 5 });
  assert.equal(Buffer.compare(Buffer.from(m5.data), Buffer.from(big)), 0, "512 KiB payload intact");
});

test("msgID de-duplication: duplicate:true with the original seq, nothing stored", T, async () => {
  const name = await stream("DEDUP");
  const a = await js.publish(`${name}.x`, "1", { msgID: "m-1" });
  const b = await js.publish(`${name}.x`, "2", { msgID: "m-2" });
  const dup = await js.publish(`${name}.x`, "1 again", { msgID: "m-1" });
  const dupOther = await js.publish(`${name}.other`, "same id, other subject", { msgID: "m-2" });
  assert.deepEqual([a.seq, a.duplicate], [1, false]);
  assert.deepEqual([b.seq, b.duplicate], [2, false]);
  assert.deepEqual([dup.seq, dup.duplicate, dup.stream], [1, true, name]);
  assert.deepEqual([dupOther.seq, dupOther.duplicate], [2, true]);

  // the raw duplicate ack carries "duplicate": true
  const h = headers();
  h.set("Nats-Msg-Id", "m-1");
  const raw = JSON.parse((await nc.request(`${name}.x`, "raw", { headers: h, timeout: 5_000 })).string());
  assert.deepEqual(raw, { stream: name, seq: 1, duplicate: true });

  const si = await jsm.streams.info(name);
  assert.deepEqual([si.state.messages, si.state.last_seq], [2, 2]);
  assert.equal((await jsm.streams.getMessage(name, { seq: 1 })).string(), "1", "original kept");
  assert.equal((await jsm.streams.getMessage(name, { seq: 1 })).header.get("Nats-Msg-Id"), "m-1");
});

test("expect streamName: match stores, mismatch is 10060", T, async () => {
  const name = await stream("EXS");
  assert.equal((await js.publish(`${name}.x`, "ok", { expect: { streamName: name } })).seq, 1);
  await expectApiError(js.publish(`${name}.x`, "bad", { expect: { streamName: "OTHER" } }), {
    err_code: 10060,
    code: 400,
    description: "expected stream does not match",
  });
  assert.equal((await jsm.streams.info(name)).state.messages, 1);
});

test("expect lastSequence: match stores, mismatch is 10071 with the actual seq", T, async () => {
  const name = await stream("EXL");
  assert.equal((await js.publish(`${name}.x`, "1", { expect: { lastSequence: 0 } })).seq, 1);
  assert.equal((await js.publish(`${name}.y`, "2", { expect: { lastSequence: 1 } })).seq, 2);
  await expectApiError(js.publish(`${name}.x`, "3", { expect: { lastSequence: 1 } }), {
    err_code: 10071,
    code: 400,
    description: "wrong last sequence: 2",
  });
  assert.equal((await jsm.streams.info(name)).state.last_seq, 2);
});

test("expect lastMsgID: match stores, mismatch is 10070", T, async () => {
  const name = await stream("EXM");
  await js.publish(`${name}.x`, "1", { msgID: "first" });
  const ok = await js.publish(`${name}.x`, "2", { msgID: "second", expect: { lastMsgID: "first" } });
  assert.equal(ok.seq, 2);
  await expectApiError(js.publish(`${name}.x`, "3", { msgID: "third", expect: { lastMsgID: "first" } }), {
    err_code: 10070,
    code: 400,
    description: "wrong last msg ID: second",
  });
  assert.equal((await jsm.streams.info(name)).state.messages, 2);
});

test("expect lastSubjectSequence: per-subject check, 0 = subject must be empty (10071)", T, async () => {
  const name = await stream("EXSS");
  const a = `${name}.a`;
  const b = `${name}.b`;
  assert.equal((await js.publish(a, "a1", { expect: { lastSubjectSequence: 0 } })).seq, 1);
  assert.equal((await js.publish(b, "b1", { expect: { lastSubjectSequence: 0 } })).seq, 2);
  assert.equal((await js.publish(a, "a2", { expect: { lastSubjectSequence: 1 } })).seq, 3);
  await expectApiError(js.publish(a, "x", { expect: { lastSubjectSequence: 0 } }), {
    err_code: 10071,
    code: 400,
    description: "wrong last sequence: 3",
  });
  await expectApiError(js.publish(b, "x", { expect: { lastSubjectSequence: 1 } }), {
    err_code: 10071,
    code: 400,
    description: "wrong last sequence: 2",
  });
  // after a filtered purge the subject counts as empty again
  await jsm.streams.purge(name, { filter: a });
  assert.equal((await js.publish(a, "a3", { expect: { lastSubjectSequence: 0 } })).seq, 4);
});

test("[2.11] expect lastSubjectSequenceSubject checks another (wildcard) subject", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.11.0", "Nats-Expected-Last-Subject-Sequence-Subject")) return;
  const name = await stream("EXSSS");
  await js.publish(`${name}.1.foo`, "1"); // 1
  await js.publish(`${name}.2.foo`, "2"); // 2
  await js.publish(`${name}.1.bar`, "3"); // 3
  const ok = await js.publish(`${name}.1.baz`, "4", {
    expect: { lastSubjectSequence: 3, lastSubjectSequenceSubject: `${name}.1.*` },
  });
  assert.equal(ok.seq, 4);
  await expectApiError(
    js.publish(`${name}.1.baz`, "5", { expect: { lastSubjectSequence: 3, lastSubjectSequenceSubject: `${name}.1.*` } }),
    { err_code: 10071, code: 400 },
  );
});

test("Nats-Rollup: sub keeps only the newest of the subject, all only the newest of the stream", T, async () => {
  const name = await stream("ROLL", { allow_rollup_hdrs: true });
  const a = `${name}.a`;
  const b = `${name}.b`;
  for (let i = 1; i <= 3; i++) {
    await js.publish(a, `a${i}`);
    await js.publish(b, `b${i}`);
  }
  const sub = headers();
  sub.set("Nats-Rollup", "sub");
  const pa = await js.publish(a, "a-rollup", { headers: sub });
  assert.equal(pa.seq, 7);
  let si = await jsm.streams.info(name, { subjects_filter: ">" });
  assert.deepEqual(si.state.subjects, { [a]: 1, [b]: 3 });
  assert.equal(si.state.messages, 4);
  assert.equal((await jsm.streams.getMessage(name, { last_by_subj: a })).string(), "a-rollup");

  const all = headers();
  all.set("Nats-Rollup", "all");
  assert.equal((await js.publish(b, "everything", { headers: all })).seq, 8);
  si = await jsm.streams.info(name);
  assert.deepEqual([si.state.messages, si.state.first_seq, si.state.last_seq], [1, 8, 8]);
});

test("Nats-Rollup without allow_rollup_hdrs is 10111", T, async () => {
  const name = await stream("NOROLL");
  await js.publish(`${name}.a`, "1");
  const h = headers();
  h.set("Nats-Rollup", "sub");
  await expectApiError(js.publish(`${name}.a`, "2", { headers: h }), {
    err_code: 10111,
    code: 500,
    description: "rollup not permitted",
  });
  assert.equal((await jsm.streams.info(name)).state.messages, 1);
});

test("publish to a subject no stream captures: no responders (503)", T, async () => {
  const subj = `${uniqName("NOSTREAM")}.x`;
  let err;
  const t0 = Date.now();
  try {
    await js.publish(subj, "lost", { timeout: 5_000 });
  } catch (e) {
    err = e;
  }
  assert.ok(err, "publish must fail");
  assert.ok(Date.now() - t0 < 4_000, "fails fast, not by timeout");
  // nats.js 3.3.1 turns a no-responders reply into JetStreamNotEnabled, cause RequestError
  assert.equal(err.name, "JetStreamNotEnabled");
  assert.ok(err.cause instanceof errors.RequestError, `cause ${err.cause?.name}`);
  assert.ok(err.cause.isNoResponders(), "cause is a 503 no responders");

  const raw = await nc.request(subj, "x", { timeout: 5_000 }).catch((e) => e);
  assert.ok(raw instanceof errors.RequestError && raw.isNoResponders(), "raw request sees no responders");
});

test("no_ack streams store without answering", T, async () => {
  const name = await stream("NOACK", { no_ack: true });
  const err = await nc.request(`${name}.x`, "quiet", { timeout: 750 }).catch((e) => e);
  assert.ok(err instanceof errors.TimeoutError, `no PubAck expected, got ${err?.name ?? "a reply"}`);
  const si = await jsm.streams.info(name);
  assert.equal(si.state.messages, 1);
});

test("1000 concurrent async publishes are all acked, in order, with consecutive seqs", T, async () => {
  const name = await stream("BULK");
  const N = 1000;
  const acks = await withTimeout(
    Promise.all(Array.from({ length: N }, (_, i) => js.publish(`${name}.${i % 10}`, `msg-${i}`))),
    30_000,
    `${N} PubAcks`,
  );
  for (let i = 0; i < N; i++) {
    assert.equal(acks[i].seq, i + 1, `ack #${i}`);
    assert.equal(acks[i].stream, name);
    assert.equal(acks[i].duplicate, false);
  }
  const si = await jsm.streams.info(name);
  assert.deepEqual([si.state.messages, si.state.first_seq, si.state.last_seq], [N, 1, N]);
  assert.equal(si.state.num_subjects, 10);
  for (const seq of [1, 500, 1000]) {
    const m = await jsm.streams.getMessage(name, { seq });
    assert.equal(m.string(), `msg-${seq - 1}`);
    assert.equal(m.subject, `${name}.${(seq - 1) % 10}`);
  }
});

test("1000 concurrent publishes with msgIDs, half of them repeated: 500 stored", T, async () => {
  const name = await stream("BULKDUP");
  const N = 1000;
  const acks = await withTimeout(
    Promise.all(Array.from({ length: N }, (_, i) => js.publish(`${name}.x`, `v${i}`, { msgID: `id-${i % 500}` }))),
    30_000,
    `${N} PubAcks`,
  );
  for (let i = 0; i < 500; i++) assert.deepEqual([acks[i].seq, acks[i].duplicate], [i + 1, false], `ack #${i}`);
  for (let i = 500; i < N; i++) assert.deepEqual([acks[i].seq, acks[i].duplicate], [i - 499, true], `ack #${i}`);
  const si = await jsm.streams.info(name);
  assert.deepEqual([si.state.messages, si.state.last_seq], [500, 500]);
});
