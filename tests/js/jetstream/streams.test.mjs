// JetStream streams through jsm.streams (@nats-io/jetstream 3.3.1): CRUD,
// purge, message get/delete, retention and limits, mirrors/sources,
// republish, direct get, and the err_codes of the failures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { errors, headers } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { waitFor, record } from "../lib/util.mjs";
import { isMeridianBinary } from "../lib/server.mjs";
import {
  apiRequest,
  assertRawError,
  closeJetStreamSuite,
  expectApiError,
  openJetStreamSuite,
  publishN,
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

const NS = 1_000_000; // nanoseconds per millisecond

async function state(name) {
  return (await jsm.streams.info(name)).state;
}

async function waitState(name, pred, label, timeout = 5_000) {
  let last;
  await waitFor(
    async () => {
      last = await state(name);
      return pred(last);
    },
    { timeout, interval: 50, label, describe: () => JSON.stringify(last) },
  );
  return last;
}

test("account info ($JS.API.INFO) counts streams and reports unlimited limits", T, async () => {
  const before = await jsm.getAccountInfo();
  assert.equal(before.type, "io.nats.jetstream.api.v1.account_info_response");
  for (const k of ["memory", "storage", "streams", "consumers"]) assert.equal(typeof before[k], "number", k);
  assert.equal(before.limits.max_streams, -1);
  assert.equal(before.limits.max_consumers, -1);
  assert.equal(before.limits.max_memory, -1);
  assert.equal(before.limits.max_storage, -1);
  assert.equal(typeof before.api.total, "number");

  const name = uniqName("ACC");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await js.publish(`${name}.x`, "payload");
  await jsm.consumers.add(name, { durable_name: "d", ack_policy: "explicit" });
  const afterInfo = await jsm.getAccountInfo();
  assert.equal(afterInfo.streams, before.streams + 1, "one more stream");
  assert.equal(afterInfo.consumers, before.consumers + 1, "one more consumer");
  assert.ok(afterInfo.storage > before.storage, `file storage grew (${before.storage} -> ${afterInfo.storage})`);
  assert.ok(afterInfo.api.total > before.api.total, "api.total counts requests");
  await jsm.streams.delete(name);
  const gone = await jsm.getAccountInfo();
  assert.equal(gone.streams, before.streams);
  assert.equal(gone.consumers, before.consumers);
});

test("add returns the normalised config and an empty state", T, async () => {
  const name = uniqName("DEF");
  const si = await jsm.streams.add({ name, subjects: [`${name}.a`, `${name}.b.*`] });
  const c = si.config;
  assert.equal(c.name, name);
  assert.deepEqual(c.subjects, [`${name}.a`, `${name}.b.*`]);
  assert.equal(c.retention, "limits");
  assert.equal(c.storage, "file");
  assert.equal(c.discard, "old");
  assert.equal(c.max_msgs, -1);
  assert.equal(c.max_bytes, -1);
  assert.equal(c.max_age, 0);
  assert.equal(c.max_msgs_per_subject, -1);
  assert.equal(c.max_msg_size, -1);
  assert.equal(c.max_consumers, -1);
  assert.equal(c.num_replicas, 1);
  assert.equal(c.duplicate_window, 120_000 * NS, "default duplicate window 2 min");
  assert.equal(c.sealed, false);
  assert.equal(c.deny_delete, false);
  assert.equal(c.deny_purge, false);
  assert.equal(c.allow_rollup_hdrs, false);
  assert.ok(!Number.isNaN(Date.parse(si.created)), `created ${si.created}`);
  assert.deepEqual(
    {
      messages: si.state.messages,
      bytes: si.state.bytes,
      first_seq: si.state.first_seq,
      last_seq: si.state.last_seq,
      consumer_count: si.state.consumer_count,
    },
    { messages: 0, bytes: 0, first_seq: 0, last_seq: 0, consumer_count: 0 },
  );

  // no subjects → the stream name is the subject
  const bare = uniqName("BARE");
  const bi = await jsm.streams.add({ name: bare });
  assert.deepEqual(bi.config.subjects, [bare]);
  const pa = await js.publish(bare, "x");
  assert.equal(pa.stream, bare);

  // duplicate window follows a smaller max_age
  const aged = uniqName("AGED");
  const ai = await jsm.streams.add({ name: aged, subjects: [`${aged}.>`], max_age: 1_000 * NS });
  assert.equal(ai.config.duplicate_window, 1_000 * NS);
});

test("create is idempotent for the same config; a different config is 10058", T, async () => {
  const name = uniqName("IDEM");
  const cfg = { name, subjects: [`${name}.>`], max_msgs: 10 };
  await jsm.streams.add({ ...cfg });
  const again = await jsm.streams.add({ ...cfg });
  assert.equal(again.config.max_msgs, 10);
  await expectApiError(jsm.streams.add({ ...cfg, max_msgs: 11 }), {
    err_code: 10058,
    code: 400,
    description: "stream name already in use with a different configuration",
  });
});

test("raw create errors: name mismatch 10056, bad JSON 10025, replicas 10074, max_age 10052", T, async () => {
  const a = uniqName("RA");
  const b = uniqName("RB");
  let r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${a}`, { name: b, subjects: [`${b}.>`] });
  assert.equal(r.type, "io.nats.jetstream.api.v1.stream_create_response");
  assertRawError(r, 10056, 400, "name mismatch");
  assert.equal(r.error.description, "stream name in subject does not match request");

  r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${a}`, "{not json");
  assertRawError(r, 10025, 400, "bad json");

  r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${a}`, { name: a, subjects: [`${a}.>`], num_replicas: 3 });
  assertRawError(r, 10074, 500, "replicas > 1 without a cluster");

  r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${a}`, { name: a, subjects: [`${a}.>`], max_age: 1_000 });
  assertRawError(r, 10052, 500, "max_age < 100ms");

  r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${a}`, {
    name: a,
    subjects: [`${a}.>`],
    max_age: 1_000 * NS,
    duplicate_window: 2_000 * NS,
  });
  assertRawError(r, 10052, 500, "duplicate_window > max_age");

  r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${a}`, { name: a, subjects: [`${a}.>`], sealed: true });
  assertRawError(r, 10052, 500, "create sealed");

  // none of them created anything
  await expectApiError(jsm.streams.info(a), { err_code: 10059, code: 404 });
});

test("overlapping subjects are rejected with 10065 (create and update)", T, async () => {
  const a = uniqName("OVA");
  const b = uniqName("OVB");
  await jsm.streams.add({ name: a, subjects: [`${a}.>`] });
  await expectApiError(jsm.streams.add({ name: b, subjects: [`${a}.x`] }), {
    err_code: 10065,
    code: 400,
    description: "subjects overlap with an existing stream",
  });
  await jsm.streams.add({ name: b, subjects: [`${b}.x`] });
  await expectApiError(jsm.streams.update(b, { subjects: [`${b}.x`, `${a}.*`] }), { err_code: 10065, code: 400 });
  assert.deepEqual((await jsm.streams.info(b)).config.subjects, [`${b}.x`]);
});

test("info / names / list / update / delete", T, async () => {
  const name = uniqName("CRUD");
  await jsm.streams.add({ name, subjects: [`${name}.>`], description: "crud test" });
  await publishN(js, 3, `${name}.x`);

  const names = [];
  for await (const n of jsm.streams.names()) names.push(n);
  assert.ok(names.includes(name), "names() lists the stream");

  const filtered = [];
  for await (const n of jsm.streams.names(`${name}.x`)) filtered.push(n);
  assert.deepEqual(filtered, [name], "names(subject) = only the stream holding the subject");
  assert.equal(await jsm.streams.find(`${name}.anything`), name);

  const infos = [];
  for await (const si of jsm.streams.list()) infos.push(si);
  const mine = infos.find((si) => si.config.name === name);
  assert.ok(mine, "list() contains the stream");
  assert.equal(mine.state.messages, 3);
  assert.equal(mine.config.description, "crud test");

  const listed = [];
  for await (const si of jsm.streams.list(`${name}.x`)) listed.push(si.config.name);
  assert.deepEqual(listed, [name]);

  const up = await jsm.streams.update(name, { max_msgs: 100, description: "changed" });
  assert.equal(up.config.max_msgs, 100);
  assert.equal(up.config.description, "changed");
  assert.equal(up.state.messages, 3, "update keeps the messages");
  const info = await jsm.streams.info(name);
  assert.equal(info.config.max_msgs, 100);

  await expectApiError(jsm.streams.update(name, { storage: "memory" }), { err_code: 10052, code: 500 });

  assert.equal(await jsm.streams.delete(name), true);
  await expectApiError(jsm.streams.info(name), {
    err_code: 10059,
    code: 404,
    description: "stream not found",
    name: "StreamNotFoundError", // nats.js maps 10059 to this subclass
  });
  await expectApiError(jsm.streams.delete(name), { err_code: 10059, code: 404 });
  await expectApiError(jsm.streams.purge(name), { err_code: 10059, code: 404 });
  await expectApiError(jsm.streams.getMessage(name, { seq: 1 }), { err_code: 10059, code: 404 });
});

test("purge: whole, by filter, below seq, keep, filter+keep; seq with keep is 10003", T, async () => {
  const name = uniqName("PRG");
  await jsm.streams.add({ name, subjects: [`${name}.*`] });
  const a = `${name}.a`;
  const b = `${name}.b`;
  await publishN(js, 10, (i) => (i % 2 ? a : b)); // odd seqs on a, even on b

  let r = await jsm.streams.purge(name, { filter: a });
  assert.deepEqual({ success: r.success, purged: r.purged }, { success: true, purged: 5 });
  let st = await state(name);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [5, 2, 10]);

  r = await jsm.streams.purge(name, { seq: 6 }); // below 6: 2, 4
  assert.equal(r.purged, 2);
  st = await state(name);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [3, 6, 10]);

  r = await jsm.streams.purge(name, { keep: 1 });
  assert.equal(r.purged, 2);
  st = await state(name);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [1, 10, 10]);

  await publishN(js, 4, (i) => (i % 2 ? a : b)); // 11 a, 12 b, 13 a, 14 b
  r = await jsm.streams.purge(name, { filter: a, keep: 1 }); // drops 11
  assert.equal(r.purged, 1);
  assert.equal((await jsm.streams.getMessage(name, { seq: 11 })), null);
  assert.equal((await jsm.streams.getMessage(name, { seq: 13 })).string(), "m3");

  r = await jsm.streams.purge(name);
  assert.equal(r.purged, 4); // 10, 12, 13, 14
  st = await state(name);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [0, 15, 14]);
  assert.equal((await js.publish(a, "after")).seq, 15, "sequence continues after a purge");

  const raw = await apiRequest(nc, `$JS.API.STREAM.PURGE.${name}`, { seq: 3, keep: 1 });
  assertRawError(raw, 10003, 400, "seq and keep together");
});

test("getMessage by seq / last_by_subj / next_by_subj; misses are null and 10037", T, async () => {
  const name = uniqName("GET");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  const h = headers();
  h.set("X-One", "1");
  h.append("X-Multi", "a");
  h.append("X-Multi", "b");
  await js.publish(`${name}.a`, "first", { headers: h });
  await js.publish(`${name}.b`, new Uint8Array([0, 1, 2, 255]));
  await js.publish(`${name}.a`, "third");

  const m1 = await jsm.streams.getMessage(name, { seq: 1 });
  assert.equal(m1.subject, `${name}.a`);
  assert.equal(m1.seq, 1);
  assert.equal(m1.string(), "first");
  assert.equal(m1.header.get("X-One"), "1");
  assert.deepEqual(m1.header.values("X-Multi"), ["a", "b"]);
  assert.ok(Math.abs(m1.time.getTime() - Date.now()) < 60_000, `time ${m1.timestamp}`);

  const m2 = await jsm.streams.getMessage(name, { seq: 2 });
  assert.deepEqual([...m2.data], [0, 1, 2, 255]);

  const last = await jsm.streams.getMessage(name, { last_by_subj: `${name}.a` });
  assert.equal(last.seq, 3);
  assert.equal(last.string(), "third");

  const next = await jsm.streams.getMessage(name, { next_by_subj: `${name}.a`, seq: 2 });
  assert.equal(next.seq, 3);

  assert.equal(await jsm.streams.getMessage(name, { seq: 99 }), null, "nats.js maps 10037 to null");
  assert.equal(await jsm.streams.getMessage(name, { last_by_subj: `${name}.zz` }), null);
  const raw = await apiRequest(nc, `$JS.API.STREAM.MSG.GET.${name}`, { seq: 99 });
  assert.equal(raw.type, "io.nats.jetstream.api.v1.stream_msg_get_response");
  assertRawError(raw, 10037, 404, "missing message");
  assert.equal(raw.error.description, "no message found");

  // the JSON form carries base64 payload and headers
  const rawHit = await apiRequest(nc, `$JS.API.STREAM.MSG.GET.${name}`, { seq: 2 });
  assert.equal(rawHit.message.data, Buffer.from([0, 1, 2, 255]).toString("base64"));
  assert.equal(rawHit.message.seq, 2);
});

test("deleteMessage (erase and no_erase); deleted seq 10043, past the end 10057", T, async () => {
  const name = uniqName("DEL");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await publishN(js, 5, `${name}.x`);
  assert.equal(await jsm.streams.deleteMessage(name, 2), true);
  assert.equal(await jsm.streams.deleteMessage(name, 4, false), true);
  assert.equal(await jsm.streams.getMessage(name, { seq: 2 }), null);
  assert.equal(await jsm.streams.getMessage(name, { seq: 4 }), null);
  const si = await jsm.streams.info(name);
  assert.deepEqual([si.state.messages, si.state.first_seq, si.state.last_seq, si.state.num_deleted], [3, 1, 5, 2]);
  const withDetails = await jsm.streams.info(name, { deleted_details: true });
  assert.deepEqual(withDetails.state.deleted, [2, 4]);

  // already deleted inside the stream: "sequence not found" (10043); past the end: store error (10057)
  await expectApiError(jsm.streams.deleteMessage(name, 2), {
    err_code: 10043,
    code: 400,
    description: "sequence 2 not found",
  });
  await expectApiError(jsm.streams.deleteMessage(name, 99), { err_code: 10057, code: 500 });

  // deleting the first message moves first_seq
  await jsm.streams.deleteMessage(name, 1);
  const st = await state(name);
  assert.deepEqual([st.messages, st.first_seq], [2, 3]);
});

test("subjects_filter in stream info reports per-subject counts", T, async () => {
  const name = uniqName("SUBJ");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await publishN(js, 6, (i) => `${name}.${i % 3}`); // .1 .2 .0 .1 .2 .0
  await js.publish(`${name}.x.y`, "deep");
  const si = await jsm.streams.info(name, { subjects_filter: `${name}.*` });
  assert.deepEqual(si.state.subjects, { [`${name}.0`]: 2, [`${name}.1`]: 2, [`${name}.2`]: 2 });
  assert.equal(si.state.num_subjects, 4);
  const all = await jsm.streams.info(name, { subjects_filter: ">" });
  assert.equal(Object.keys(all.state.subjects).length, 4);
  assert.equal(all.state.subjects[`${name}.x.y`], 1);
});

test("interest retention keeps a message until every consumer acked it", T, async () => {
  const name = uniqName("INT");
  await jsm.streams.add({ name, subjects: [`${name}.>`], retention: "interest" });
  // no consumers: acknowledged with a sequence, but not kept
  const pa = await js.publish(`${name}.x`, "nobody");
  assert.equal(pa.seq, 1);
  let st = await state(name);
  assert.deepEqual([st.messages, st.last_seq], [0, 1]);

  await jsm.consumers.add(name, { durable_name: "c1", ack_policy: "explicit" });
  await jsm.consumers.add(name, { durable_name: "c2", ack_policy: "explicit" });
  await publishN(js, 3, `${name}.x`); // seqs 2..4
  assert.equal((await state(name)).messages, 3);

  const c1 = await js.consumers.get(name, "c1");
  const got1 = [];
  for await (const m of await c1.fetch({ max_messages: 3, expires: 2_000 })) {
    got1.push(m.seq);
    await m.ackAck();
  }
  assert.deepEqual(got1, [2, 3, 4]);
  assert.equal((await state(name)).messages, 3, "c2 has not acked yet");

  const c2 = await js.consumers.get(name, "c2");
  const m = await c2.next({ expires: 2_000 });
  assert.equal(m.seq, 2);
  await m.ackAck();
  st = await waitState(name, (s) => s.messages === 2, "seq 2 removed once both acked");
  assert.equal(st.first_seq, 3);

  for await (const x of await c2.fetch({ max_messages: 2, expires: 2_000 })) await x.ackAck();
  await waitState(name, (s) => s.messages === 0, "all removed");

  // deleting a consumer drops its interest: c1 alone decides
  await jsm.consumers.delete(name, "c2");
  await js.publish(`${name}.x`, "late"); // seq 5
  const n = await c1.next({ expires: 2_000 });
  assert.equal(n.seq, 5);
  await n.ackAck();
  await waitState(name, (s) => s.messages === 0, "removed after the only consumer acked");
});

test("workqueue retention: ack removes; consumer rules 10098/10099/10100", T, async () => {
  const name = uniqName("WQ");
  await jsm.streams.add({ name, subjects: [`${name}.*`], retention: "workqueue" });
  await publishN(js, 5, (i) => `${name}.${i % 2 ? "a" : "b"}`);

  await expectApiError(jsm.consumers.add(name, { durable_name: "all", ack_policy: "all" }), {
    err_code: 10098,
    code: 400,
    description: "workqueue stream requires explicit ack",
  });
  await jsm.consumers.add(name, { durable_name: "w1", ack_policy: "explicit" });
  await expectApiError(jsm.consumers.add(name, { durable_name: "w2", ack_policy: "explicit" }), {
    err_code: 10099,
    code: 400,
  });
  await expectApiError(
    jsm.consumers.add(name, { durable_name: "w3", ack_policy: "explicit", filter_subject: `${name}.a` }),
    { err_code: 10100, code: 400 },
  );

  const c = await js.consumers.get(name, "w1");
  const got = [];
  for await (const m of await c.fetch({ max_messages: 2, expires: 2_000 })) {
    got.push(m.seq);
    await m.ackAck();
  }
  assert.deepEqual(got, [1, 2]);
  const st = await waitState(name, (s) => s.messages === 3, "acked work items removed");
  assert.equal(st.first_seq, 3);

  // after the unfiltered consumer is gone, disjoint filtered ones are fine
  await jsm.consumers.delete(name, "w1");
  await jsm.consumers.add(name, { durable_name: "fa", ack_policy: "explicit", filter_subject: `${name}.a` });
  await jsm.consumers.add(name, { durable_name: "fb", ack_policy: "explicit", filter_subject: `${name}.b` });
  const fa = await js.consumers.get(name, "fa");
  const seqs = [];
  for await (const m of await fa.fetch({ max_messages: 5, expires: 1_000 })) {
    seqs.push(m.seq);
    await m.ackAck();
  }
  assert.deepEqual(seqs, [3, 5]);
  const left = await waitState(name, (s) => s.messages === 1, "only the .b item left");
  assert.equal(left.first_seq, 4);
});

test("max_msgs with discard old drops the oldest; with discard new rejects (10077)", T, async () => {
  const old = uniqName("MMO");
  await jsm.streams.add({ name: old, subjects: [`${old}.>`], max_msgs: 5 });
  const acks = await publishN(js, 8, `${old}.x`);
  assert.deepEqual(acks.map((a) => a.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
  let st = await state(old);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [5, 4, 8]);

  const nw = uniqName("MMN");
  await jsm.streams.add({ name: nw, subjects: [`${nw}.>`], max_msgs: 5, discard: "new" });
  await publishN(js, 5, `${nw}.x`);
  await expectApiError(js.publish(`${nw}.x`, "six"), {
    err_code: 10077,
    code: 503,
    description: "maximum messages exceeded",
  });
  st = await state(nw);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [5, 1, 5]);
});

test("max_bytes with discard old and new", T, async () => {
  const payload = "x".repeat(400); // two fit in 1000 bytes, three never do
  const old = uniqName("MBO");
  await jsm.streams.add({ name: old, subjects: [`${old}.>`], max_bytes: 1000 });
  await publishN(js, 5, `${old}.x`, () => payload);
  let st = await state(old);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [2, 4, 5]);
  assert.ok(st.bytes <= 1000, `bytes ${st.bytes}`);

  const nw = uniqName("MBN");
  await jsm.streams.add({ name: nw, subjects: [`${nw}.>`], max_bytes: 1000, discard: "new" });
  await publishN(js, 2, `${nw}.x`, () => payload);
  await expectApiError(js.publish(`${nw}.x`, payload), {
    err_code: 10077,
    code: 503,
    description: "maximum bytes exceeded",
  });
  st = await state(nw);
  assert.deepEqual([st.messages, st.last_seq], [2, 2]);
});

test("max_msgs_per_subject keeps the newest per subject; discard_new_per_subject rejects", T, async () => {
  const name = uniqName("MPS");
  await jsm.streams.add({ name, subjects: [`${name}.*`], max_msgs_per_subject: 2 });
  for (let i = 1; i <= 3; i++) {
    await js.publish(`${name}.a`, `a${i}`);
    await js.publish(`${name}.b`, `b${i}`);
  }
  const st = await state(name);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [4, 3, 6]);
  assert.equal(await jsm.streams.getMessage(name, { seq: 1 }), null);
  assert.equal((await jsm.streams.getMessage(name, { seq: 3 })).string(), "a2");
  assert.equal((await jsm.streams.getMessage(name, { last_by_subj: `${name}.b` })).string(), "b3");

  const dn = uniqName("DNPS");
  const si = await jsm.streams.add({
    name: dn,
    subjects: [`${dn}.*`],
    max_msgs_per_subject: 1,
    discard: "new",
    discard_new_per_subject: true,
  });
  assert.equal(si.config.discard_new_per_subject, true);
  await js.publish(`${dn}.a`, "1");
  await expectApiError(js.publish(`${dn}.a`, "2"), {
    err_code: 10077,
    code: 503,
    description: "maximum messages per subject exceeded",
  });
  assert.equal((await js.publish(`${dn}.b`, "3")).seq, 2, "another subject still accepted");
});

test("max_msg_size rejects bigger payloads with 10054", T, async () => {
  const name = uniqName("MSZ");
  await jsm.streams.add({ name, subjects: [`${name}.>`], max_msg_size: 10 });
  assert.equal((await js.publish(`${name}.x`, "0123456789")).seq, 1);
  await expectApiError(js.publish(`${name}.x`, "0123456789A"), {
    err_code: 10054,
    code: 400,
    description: "message size exceeds maximum allowed",
  });
  assert.equal((await state(name)).messages, 1);
});

test("max_age expires messages (polled with a deadline)", T, async () => {
  const name = uniqName("AGE");
  await jsm.streams.add({ name, subjects: [`${name}.>`], max_age: 1_000 * NS });
  await publishN(js, 3, `${name}.x`);
  assert.equal((await state(name)).messages, 3);
  const st = await waitState(name, (s) => s.messages === 0, "messages expired by max_age", 8_000);
  assert.deepEqual([st.first_seq, st.last_seq], [4, 3]);
  assert.equal((await js.publish(`${name}.x`, "new")).seq, 4);
});

test("deny_delete / deny_purge, and sealed streams (10057, 10110, 10109)", T, async () => {
  const dd = uniqName("DENY");
  await jsm.streams.add({ name: dd, subjects: [`${dd}.>`], deny_delete: true, deny_purge: true });
  await js.publish(`${dd}.x`, "1");
  await expectApiError(jsm.streams.deleteMessage(dd, 1), {
    err_code: 10057,
    code: 500,
    description: "message delete not permitted",
  });
  await expectApiError(jsm.streams.purge(dd), { err_code: 10110, code: 500, description: "stream purge not permitted" });
  assert.equal((await state(dd)).messages, 1);

  const se = uniqName("SEAL");
  await jsm.streams.add({ name: se, subjects: [`${se}.>`] });
  await js.publish(`${se}.x`, "1");
  const sealed = await jsm.streams.update(se, { sealed: true });
  assert.equal(sealed.config.sealed, true);
  assert.equal(sealed.config.deny_delete, true, "sealing implies deny_delete");
  assert.equal(sealed.config.deny_purge, true, "sealing implies deny_purge");
  const sealedErr = { err_code: 10109, code: 400, description: "invalid operation on sealed stream" };
  await expectApiError(js.publish(`${se}.x`, "2"), sealedErr, "publish");
  await expectApiError(jsm.streams.deleteMessage(se, 1), sealedErr, "delete");
  await expectApiError(jsm.streams.purge(se), sealedErr, "purge");
  await expectApiError(jsm.streams.update(se, { sealed: false }), { err_code: 10052, code: 500 }, "unseal");
  const st = await state(se);
  assert.deepEqual([st.messages, st.last_seq], [1, 1]);
});

test("duplicate_window: duplicates inside it, accepted again after it", T, async () => {
  const name = uniqName("DUPW");
  await jsm.streams.add({ name, subjects: [`${name}.>`], duplicate_window: 1_000 * NS });
  const a = await js.publish(`${name}.x`, "one", { msgID: "id-1" });
  const b = await js.publish(`${name}.x`, "one again", { msgID: "id-1" });
  assert.deepEqual([a.seq, a.duplicate, b.seq, b.duplicate], [1, false, 1, true]);
  let later;
  await waitFor(
    async () => {
      later = await js.publish(`${name}.x`, "after window", { msgID: "id-1" });
      return !later.duplicate;
    },
    { timeout: 6_000, interval: 200, label: "msgID accepted again after the 1 s window" },
  );
  assert.equal(later.seq, 2);
  assert.equal((await state(name)).messages, 2);
});

test("mirror (with filter_subject) keeps the origin's sequences", T, async () => {
  const src = uniqName("MSRC");
  await jsm.streams.add({ name: src, subjects: [`${src}.*`] });
  await publishN(js, 6, (i) => `${src}.${i % 2 ? "a" : "b"}`);

  const r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${src}M0`, {
    name: `${src}M0`,
    subjects: [`${src}.m0`],
    mirror: { name: src },
  });
  assertRawError(r, 10034, 400, "mirror with subjects");

  const full = `${src}FULL`;
  await jsm.streams.add({ name: full, mirror: { name: src } });
  const filt = `${src}FILT`;
  await jsm.streams.add({ name: filt, mirror: { name: src, filter_subject: `${src}.a` } });

  const fst = await waitState(full, (s) => s.messages === 6, "mirror caught up", 10_000);
  assert.deepEqual([fst.first_seq, fst.last_seq], [1, 6]);
  const gst = await waitState(filt, (s) => s.messages === 3 && s.last_seq === 5, "filtered mirror caught up", 10_000);
  assert.equal(gst.first_seq, 1);
  const m3 = await jsm.streams.getMessage(filt, { seq: 3 });
  assert.equal(m3.subject, `${src}.a`);
  assert.equal(m3.string(), "m3");
  assert.equal(await jsm.streams.getMessage(filt, { seq: 2 }), null, "filtered-out seq is a gap");

  const mi = await jsm.streams.info(full);
  assert.equal(mi.mirror.name, src);
  assert.equal(mi.config.mirror.name, src);

  // new messages keep flowing
  await js.publish(`${src}.a`, "m7");
  await waitState(full, (s) => s.last_seq === 7, "mirror got seq 7", 10_000);
  await waitState(filt, (s) => s.last_seq === 7 && s.messages === 4, "filtered mirror got seq 7", 10_000);
});

test("sources aggregate streams (with filter_subject) and tag messages with Nats-Stream-Source", T, async () => {
  const a = uniqName("SRCA");
  const b = uniqName("SRCB");
  await jsm.streams.add({ name: a, subjects: [`${a}.>`] });
  await jsm.streams.add({ name: b, subjects: [`${b}.*`] });
  await publishN(js, 3, `${a}.x`);
  await publishN(js, 4, (i) => `${b}.${i % 2 ? "keep" : "drop"}`);

  const agg = uniqName("AGG");
  await jsm.streams.add({
    name: agg,
    subjects: [`${agg}.own`],
    sources: [{ name: a }, { name: b, filter_subject: `${b}.keep` }],
  });
  await js.publish(`${agg}.own`, "own");
  const st = await waitState(agg, (s) => s.messages === 6, "3 + 2 sourced + 1 own", 10_000);
  assert.equal(st.last_seq, 6);

  const subjects = [];
  let tagged = 0;
  for (let seq = 1; seq <= 6; seq++) {
    const m = await jsm.streams.getMessage(agg, { seq });
    subjects.push(m.subject);
    const tag = m.header.get("Nats-Stream-Source");
    if (m.subject !== `${agg}.own`) {
      assert.ok(tag.startsWith(`${m.subject.startsWith(a) ? a : b} `), `source tag "${tag}"`);
      tagged++;
    }
  }
  assert.equal(tagged, 5);
  assert.equal(subjects.filter((s) => s === `${b}.keep`).length, 2);
  assert.equal(subjects.filter((s) => s === `${b}.drop`).length, 0);
  assert.equal(subjects.filter((s) => s === `${a}.x`).length, 3);

  const si = await jsm.streams.info(agg);
  assert.deepEqual(si.sources.map((s) => s.name).sort(), [a, b].sort());
});

test("republish copies stored messages with Nats-Stream/Subject/Sequence/Last-Sequence", T, async () => {
  const name = uniqName("REP");
  const ho = uniqName("REPH");
  await jsm.streams.add({ name, subjects: [`${name}.>`], republish: { src: `${name}.>`, dest: `out.${name}.>` } });
  await jsm.streams.add({
    name: ho,
    subjects: [`${ho}.>`],
    republish: { src: `${ho}.>`, dest: `out.${ho}.>`, headers_only: true },
  });
  const rec = record(nc, `out.${name}.>`);
  const rech = record(nc, `out.${ho}.>`);
  await nc.flush();

  const h = headers();
  h.set("X-User", "u");
  await js.publish(`${name}.x`, "hello");
  await js.publish(`${name}.y`, "with header", { headers: h });
  await js.publish(`${name}.x`, "again");
  await js.publish(`${ho}.z`, "12345");
  const msgs = await rec.waitCount(3);
  const [m1, m2, m3] = msgs;
  assert.equal(m1.subject, `out.${name}.x`);
  assert.equal(m1.string(), "hello");
  const hdr = (m) => ({
    stream: m.headers.get("Nats-Stream"),
    subject: m.headers.get("Nats-Subject"),
    seq: m.headers.get("Nats-Sequence"),
    last: m.headers.get("Nats-Last-Sequence"),
  });
  assert.deepEqual(hdr(m1), { stream: name, subject: `${name}.x`, seq: "1", last: "0" });
  assert.deepEqual(hdr(m2), { stream: name, subject: `${name}.y`, seq: "2", last: "0" });
  assert.equal(m2.headers.get("X-User"), "u", "user headers are kept");
  assert.deepEqual(hdr(m3), { stream: name, subject: `${name}.x`, seq: "3", last: "1" });

  const [h1] = await rech.waitCount(1);
  assert.equal(h1.subject, `out.${ho}.z`);
  assert.equal(h1.data.length, 0, "headers_only republish has no payload");
  assert.equal(h1.headers.get("Nats-Msg-Size"), "5");
});

test("direct get (allow_direct): by seq, last_by_subj, subject-appended form, errors", T, async () => {
  const name = uniqName("DIR");
  await jsm.streams.add({ name, subjects: [`${name}.>`], allow_direct: true });
  const h = headers();
  h.set("X-A", "v");
  await js.publish(`${name}.a`, "1");
  await js.publish(`${name}.b`, "2", { headers: h });
  await js.publish(`${name}.a`, "3");

  const m2 = await jsm.direct.getMessage(name, { seq: 2 });
  assert.equal(m2.subject, `${name}.b`);
  assert.equal(m2.seq, 2);
  assert.equal(m2.stream, name);
  assert.equal(m2.string(), "2");
  assert.equal(m2.header.get("X-A"), "v");
  assert.ok(!Number.isNaN(m2.time.getTime()), `Nats-Time-Stamp ${m2.timestamp}`);

  // nats.js sends last_by_subj in the subject-appended form
  const last = await jsm.direct.getMessage(name, { last_by_subj: `${name}.a` });
  assert.equal(last.seq, 3);
  assert.equal(last.string(), "3");
  const nbs = await jsm.direct.getMessage(name, { next_by_subj: `${name}.a`, seq: 2 });
  assert.equal(nbs.seq, 3);
  assert.equal(await jsm.direct.getMessage(name, { seq: 99 }), null, "404 maps to null");

  // raw: exact header block for a message stored without headers
  const r1 = await nc.request(`$JS.API.DIRECT.GET.${name}`, JSON.stringify({ seq: 1 }), { timeout: 5_000 });
  assert.deepEqual([...r1.headers.keys()], ["Nats-Stream", "Nats-Subject", "Nats-Sequence", "Nats-Time-Stamp"]);
  assert.deepEqual(
    [r1.headers.get("Nats-Stream"), r1.headers.get("Nats-Subject"), r1.headers.get("Nats-Sequence")],
    [name, `${name}.a`, "1"],
  );
  assert.match(r1.headers.get("Nats-Time-Stamp"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  // user headers come first, then the server's
  const r2 = await nc.request(`$JS.API.DIRECT.GET.${name}`, JSON.stringify({ seq: 2 }), { timeout: 5_000 });
  assert.deepEqual([...r2.headers.keys()], ["X-A", "Nats-Stream", "Nats-Subject", "Nats-Sequence", "Nats-Time-Stamp"]);

  // subject-appended form, literal and wildcard tails
  for (const tail of [`${name}.a`, `${name}.>`, `${name}.*`]) {
    const r = await nc.request(`$JS.API.DIRECT.GET.${name}.${tail}`, "", { timeout: 5_000 });
    assert.equal(r.headers.get("Nats-Sequence"), "3", `tail ${tail}`);
    assert.equal(r.string(), "3");
  }

  const status = async (subj, payload) => {
    const r = await nc.request(subj, payload, { timeout: 5_000 });
    return [r.headers?.code, r.headers?.description, r.data.length];
  };
  assert.deepEqual(await status(`$JS.API.DIRECT.GET.${name}`, JSON.stringify({ seq: 99 })), [404, "Message Not Found", 0]);
  assert.deepEqual(await status(`$JS.API.DIRECT.GET.${name}.${name}.zz`, ""), [404, "Message Not Found", 0]);
  assert.deepEqual(await status(`$JS.API.DIRECT.GET.${name}.${name}.a`, "{}"), [408, "Bad Request", 0]);
  assert.deepEqual(await status(`$JS.API.DIRECT.GET.${name}`, ""), [408, "Empty Request", 0]);
  assert.deepEqual(await status(`$JS.API.DIRECT.GET.${name}`, "{bad"), [408, "Malformed Request", 0]);
});

test("direct get on a stream without allow_direct gets no answer", T, async () => {
  const name = uniqName("NODIR");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await js.publish(`${name}.a`, "1");
  let err;
  try {
    await nc.request(`$JS.API.DIRECT.GET.${name}`, JSON.stringify({ seq: 1 }), { timeout: 1_000 });
  } catch (e) {
    err = e;
  }
  assert.ok(err, "no reply expected");
  const noResponders = err instanceof errors.RequestError && err.isNoResponders();
  assert.ok(err instanceof errors.TimeoutError || noResponders, `timeout or no responders, got ${err.name}`);
});

// ---- features the reference 2.9.10 lacks (skipped there; spec expectations) ----

test("[2.10] first_seq starts the stream at that sequence", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "first_seq")) return;
  const name = uniqName("FSEQ");
  const si = await jsm.streams.add({ name, subjects: [`${name}.>`], first_seq: 100 });
  assert.equal(si.config.first_seq, 100);
  assert.equal((await js.publish(`${name}.x`, "a")).seq, 100);
  const st = await state(name);
  assert.deepEqual([st.messages, st.first_seq, st.last_seq], [1, 100, 100]);
});

test("[2.10] stream metadata round-trips", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "stream metadata")) return;
  const name = uniqName("META");
  const si = await jsm.streams.add({ name, subjects: [`${name}.>`], metadata: { owner: "team-a", tier: "1" } });
  assert.equal(si.config.metadata.owner, "team-a");
  assert.equal(si.config.metadata.tier, "1");
  const up = await jsm.streams.update(name, { metadata: { owner: "team-b" } });
  assert.equal(up.config.metadata.owner, "team-b");
  assert.equal(up.config.metadata.tier, undefined);
});

test("[2.10] subject_transform rewrites the stored subject", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "subject_transform")) return;
  const name = uniqName("XFORM");
  await jsm.streams.add({
    name,
    subjects: [`${name}.in.>`],
    subject_transform: { src: `${name}.in.>`, dest: `${name}.out.>` },
  });
  const pa = await js.publish(`${name}.in.k`, "v");
  const m = await jsm.streams.getMessage(name, { seq: pa.seq });
  assert.equal(m.subject, `${name}.out.k`);
});

test("[2.10] compression s2 is accepted and data reads back", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "compression")) return;
  const name = uniqName("S2");
  const si = await jsm.streams.add({ name, subjects: [`${name}.>`], compression: "s2" });
  assert.equal(si.config.compression, "s2");
  const body = "abc".repeat(1000);
  await js.publish(`${name}.x`, body);
  assert.equal((await jsm.streams.getMessage(name, { seq: 1 })).string(), body);
});

test("[2.11] per-message TTL (allow_msg_ttl, Nats-TTL); 10166 when not allowed", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.11.0", "per-message TTL")) return;
  const name = uniqName("TTL");
  const si = await jsm.streams.add({ name, subjects: [`${name}.>`], allow_msg_ttl: true });
  assert.equal(si.config.allow_msg_ttl, true);
  await js.publish(`${name}.short`, "bye", { ttl: "1s" });
  await js.publish(`${name}.keep`, "stay");
  await waitState(name, (s) => s.messages === 1, "TTL message expired", 8_000);
  assert.equal((await jsm.streams.getMessage(name, { seq: 2 })).string(), "stay");

  const plain = uniqName("NOTTL");
  await jsm.streams.add({ name: plain, subjects: [`${plain}.>`] });
  await expectApiError(js.publish(`${plain}.x`, "x", { ttl: "1s" }), { err_code: 10166, code: 400 });
});

test("standalone answers: leader stepdown and peer remove need clustering (10010); no stream templates", T, async () => {
  const name = uniqName("SOLO");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await jsm.consumers.add(name, { durable_name: "c", ack_policy: "explicit" });
  for (const [subject, type, body] of [
    [`$JS.API.STREAM.LEADER.STEPDOWN.${name}`, "stream_leader_stepdown_response", undefined],
    [`$JS.API.STREAM.LEADER.STEPDOWN.NOPE${name}`, "stream_leader_stepdown_response", undefined],
    [`$JS.API.STREAM.PEER.REMOVE.${name}`, "stream_remove_peer_response", { peer: "x" }],
    [`$JS.API.CONSUMER.LEADER.STEPDOWN.${name}.c`, "consumer_leader_stepdown_response", undefined],
  ]) {
    const r = await apiRequest(nc, subject, body);
    assert.equal(r.type, `io.nats.jetstream.api.v1.${type}`, subject);
    assertRawError(r, 10010, 503, subject);
    assert.equal(r.error.description, "JetStream clustering support required");
  }
  const names = await apiRequest(nc, "$JS.API.STREAM.TEMPLATE.NAMES", undefined);
  assert.equal(names.type, "io.nats.jetstream.api.v1.stream_template_names_response");
  assert.deepEqual([names.total, names.offset, names.streams], [0, 0, []]);
  for (const op of ["INFO", "DELETE"]) {
    const r = await apiRequest(nc, `$JS.API.STREAM.TEMPLATE.${op}.${name}T`, undefined);
    assert.equal(r.type, `io.nats.jetstream.api.v1.stream_template_${op.toLowerCase()}_response`);
    assertRawError(r, 10068, 404, op);
  }
  await jsm.streams.delete(name);
});

test("[meridian] options not supported yet are refused by name, never ignored", T, async (t) => {
  if (!isMeridianBinary()) {
    t.skip("Meridian's own refusals (nats-server supports these options)");
    return;
  }
  const name = uniqName("UNSUP");
  let r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${name}`, { name, subjects: [`${name}.>`], pedantic: true });
  assertRawError(r, 10157, 400, "pedantic stream");
  assert.match(r.error.description, /pedantic mode: not supported/);
  r = await apiRequest(nc, `$JS.API.STREAM.CREATE.${name}M`, { name: `${name}M`, mirror: { name }, mirror_direct: true });
  assertRawError(r, 10052, 500, "mirror_direct");
  assert.match(r.error.description, /mirror_direct is not supported/);
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  r = await apiRequest(nc, `$JS.API.CONSUMER.CREATE.${name}.p`, {
    stream_name: name,
    config: { name: "p", ack_policy: "explicit" },
    pedantic: true,
  });
  assertRawError(r, 10157, 400, "pedantic consumer");
  r = await apiRequest(nc, `$JS.API.STREAM.SNAPSHOT.${name}`, { deliver_subject: "x" });
  assert.match(r.error.description, /stream snapshots not supported/);
});
