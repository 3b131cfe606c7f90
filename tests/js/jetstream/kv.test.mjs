// Key-Value buckets through @nats-io/kv 3.3.1 (Kvm): a client-side layer over
// a KV_<bucket> stream, direct gets, expected-sequence publishes, rollups and
// ordered push consumers (watch / keys / history).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { waitFor, withTimeout } from "../lib/util.mjs";
import {
  closeJetStreamSuite,
  drainIter,
  expectApiError,
  openJetStreamSuite,
  skipUnlessSupported,
  stopIter,
  takeN,
} from "../lib/jetstream.mjs";
import { nuid } from "@nats-io/transport-node";

let srv;
let clients;
let nc;
let jsm;
let kvm;

const T = { timeout: 30_000 }; // per test, well under the runner's 120 s

let suite;
before(async () => {
  ({ srv, clients, nc, jsm } = suite = await openJetStreamSuite());
  kvm = new Kvm(suite.js);
});
after(() => closeJetStreamSuite(suite));

const bucketName = (p = "b") => `${p}_${nuid.next()}`;

async function keysOf(kv, filter) {
  const iter = await kv.keys(filter);
  return (await drainIter(iter, 10_000, "keys")).sort();
}

async function historyOf(kv, key) {
  const iter = await kv.history({ key });
  return (await drainIter(iter, 10_000, "history")).map((e) => [e.revision, e.operation, e.string()]);
}

test("create a bucket: the backing KV_<bucket> stream config", T, async () => {
  const b = bucketName("cfg");
  const kv = await kvm.create(b, { history: 5, description: "config test" });
  const si = await jsm.streams.info(`KV_${b}`);
  const c = si.config;
  assert.deepEqual(c.subjects, [`$KV.${b}.>`]);
  assert.equal(c.max_msgs_per_subject, 5);
  assert.equal(c.allow_rollup_hdrs, true);
  assert.equal(c.allow_direct, true);
  assert.equal(c.discard, "new");
  assert.equal(c.retention, "limits");
  assert.equal(c.max_msg_size, -1);
  assert.equal(c.max_bytes, -1);
  assert.equal(c.description, "config test");
  const st = await kv.status();
  assert.deepEqual([st.bucket, st.history, st.values, st.ttl, st.replicas], [b, 5, 0, 0, 1]);
  assert.equal(st.streamInfo.config.name, `KV_${b}`);

  // opening binds without creating; an unknown bucket fails on first use (10059)
  const again = await kvm.open(b);
  assert.equal((await again.status()).history, 5);
  const missing = await kvm.open(bucketName("missing"));
  await expectApiError(missing.status(), { err_code: 10059, code: 404 });

  const listed = [];
  for await (const s of kvm.list()) listed.push(s.bucket);
  assert.ok(listed.includes(b), "Kvm.list() includes the bucket");
});

test("put / get: revisions are stream sequences; get by revision; missing key is null", T, async () => {
  const kv = await kvm.create(bucketName("pg"), { history: 3 });
  assert.equal(await kv.put("a", "1"), 1);
  assert.equal(await kv.put("b.c", "x"), 2);
  assert.equal(await kv.put("a", "2"), 3);
  const e = await kv.get("a");
  assert.deepEqual([e.key, e.revision, e.operation, e.string(), e.length], ["a", 3, "PUT", "2", 1]);
  assert.equal(e.bucket, kv.bucket);
  assert.ok(Math.abs(e.created.getTime() - Date.now()) < 60_000, `created ${e.created.toISOString()}`);
  assert.equal((await kv.get("a", { revision: 1 })).string(), "1");
  assert.equal((await kv.get("b.c")).string(), "x", "dotted keys are subject tokens");
  assert.equal(await kv.get("nope"), null);
  assert.equal(await kv.get("a", { revision: 2 }), null, "revision of another key is not returned");

  const bin = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const r = await kv.put("bin", bin);
  assert.deepEqual([...(await kv.get("bin")).value], [...bin]);
  assert.equal((await kv.get("bin")).revision, r);

  await kv.put("empty", new Uint8Array(0));
  const empty = await kv.get("empty");
  assert.deepEqual([empty.operation, empty.length], ["PUT", 0]);
});

test("create: only for a new (or deleted) key, else 10071; update: revision must match (10071)", T, async () => {
  const kv = await kvm.create(bucketName("cu"), { history: 5 });
  assert.equal(await kv.create("k", "v1"), 1);
  await expectApiError(kv.create("k", "again"), {
    err_code: 10071,
    code: 400,
    description: "wrong last sequence: 1",
  });
  assert.equal(await kv.update("k", "v2", 1), 2);
  await expectApiError(kv.update("k", "v3", 1), { err_code: 10071, code: 400, description: "wrong last sequence: 2" });
  assert.equal((await kv.get("k")).string(), "v2");

  await kv.delete("k"); // rev 3
  assert.equal(await kv.create("k", "reborn"), 4, "create after delete succeeds (client retries as update)");
  await kv.purge("k"); // rev 5, only the marker remains
  assert.equal(await kv.create("k", "after purge"), 6);
  assert.equal((await kv.get("k")).string(), "after purge");
});

test("delete and purge leave markers; purge rolls up the key's history", T, async () => {
  const b = bucketName("dp");
  const kv = await kvm.create(b, { history: 10 });
  for (let i = 1; i <= 3; i++) await kv.put("d", `d${i}`); // 1..3
  for (let i = 1; i <= 3; i++) await kv.put("p", `p${i}`); // 4..6
  await kv.delete("d"); // 7
  const del = await kv.get("d");
  // nats.js 3.3.1 returns the marker entry (nats.go reports "not found")
  assert.deepEqual([del.operation, del.revision, del.length], ["DEL", 7, 0]);
  assert.deepEqual(await historyOf(kv, "d"), [
    [1, "PUT", "d1"],
    [2, "PUT", "d2"],
    [3, "PUT", "d3"],
    [7, "DEL", ""],
  ]);

  await kv.purge("p"); // 8
  const pur = await kv.get("p");
  assert.deepEqual([pur.operation, pur.revision], ["PURGE", 8]);
  assert.deepEqual(await historyOf(kv, "p"), [[8, "PURGE", ""]]);
  const si = await jsm.streams.info(`KV_${b}`, { subjects_filter: ">" });
  assert.deepEqual(si.state.subjects, { [`$KV.${b}.d`]: 4, [`$KV.${b}.p`]: 1 });

  // the raw markers: empty payload, KV-Operation header (+ Nats-Rollup on purge)
  const raw = await jsm.streams.getMessage(`KV_${b}`, { seq: 8 });
  assert.equal(raw.header.get("KV-Operation"), "PURGE");
  assert.equal(raw.header.get("Nats-Rollup"), "sub");
  assert.equal(raw.data.length, 0);
});

test("history keeps max_msgs_per_subject revisions, oldest first", T, async () => {
  const kv = await kvm.create(bucketName("hist"), { history: 3 });
  for (let i = 1; i <= 5; i++) await kv.put("h", `v${i}`);
  await kv.put("other", "o");
  assert.deepEqual(await historyOf(kv, "h"), [
    [3, "PUT", "v3"],
    [4, "PUT", "v4"],
    [5, "PUT", "v5"],
  ]);
  const all = await drainIter(await kv.history(), 10_000, "history of all keys");
  assert.deepEqual(
    all.map((e) => [e.key, e.revision]),
    [
      ["h", 3],
      ["h", 4],
      ["h", 5],
      ["other", 6],
    ],
  );
  assert.deepEqual(await historyOf(kv, "never"), []);
});

test("default history is 1: a put replaces the previous value in the stream", T, async () => {
  const b = bucketName("h1");
  const kv = await kvm.create(b);
  await kv.put("k", "1");
  await kv.put("k", "2");
  const si = await jsm.streams.info(`KV_${b}`);
  assert.deepEqual([si.config.max_msgs_per_subject, si.state.messages, si.state.first_seq], [1, 1, 2]);
});

test("keys: live keys only, with filters", T, async () => {
  const kv = await kvm.create(bucketName("keys"), { history: 2 });
  assert.deepEqual(await keysOf(kv), [], "empty bucket has no keys");
  for (const k of ["a.1", "a.2", "b.1", "c"]) await kv.put(k, k);
  await kv.put("a.1", "again");
  await kv.delete("b.1");
  await kv.put("gone", "x");
  await kv.purge("gone");
  assert.deepEqual(await keysOf(kv), ["a.1", "a.2", "c"]);
  assert.deepEqual(await keysOf(kv, "a.*"), ["a.1", "a.2"]);
  assert.deepEqual(await keysOf(kv, "b.>"), []);
});

test("watch: initial values, then updates (isUpdate), deletes included", T, async () => {
  const kv = await kvm.create(bucketName("watch"), { history: 5 });
  await kv.put("x", "x1"); // 1
  await kv.put("y", "y1"); // 2
  await kv.put("x", "x2"); // 3
  const w = await kv.watch();
  const initial = await takeN(w, 2, 10_000, "initial values");
  assert.deepEqual(
    initial.map((e) => [e.key, e.revision, e.string(), e.isUpdate, e.operation]),
    [
      ["y", 2, "y1", false, "PUT"],
      // nats.js 3.3.1 flags the LAST initial entry as an update already (i >= num_pending)
      ["x", 3, "x2", true, "PUT"],
    ],
    "latest value per key, in stream order",
  );
  await kv.put("z", "z1"); // 4
  await kv.delete("y"); // 5
  await kv.put("x", "x3"); // 6
  const updates = await takeN(w, 3, 10_000, "updates");
  assert.deepEqual(
    updates.map((e) => [e.key, e.revision, e.operation, e.isUpdate]),
    [
      ["z", 4, "PUT", true],
      ["y", 5, "DEL", true],
      ["x", 6, "PUT", true],
    ],
  );
  await stopIter(w);
});

test("watch on an empty bucket: everything is an update", T, async () => {
  const kv = await kvm.create(bucketName("wempty"));
  const w = await kv.watch();
  await kv.put("first", "1");
  const [e] = await takeN(w, 1, 10_000, "first update");
  assert.deepEqual([e.key, e.revision, e.isUpdate], ["first", 1, true]);
  await stopIter(w);
});

test("watch variants: include history, filtered key, updates only, ignoreDeletes", T, async () => {
  const kv = await kvm.create(bucketName("wvar"), { history: 10 });
  await kv.put("a.1", "1"); // 1
  await kv.put("b.1", "2"); // 2
  await kv.put("a.1", "3"); // 3
  await kv.put("a.2", "4"); // 4
  await kv.delete("a.2"); // 5

  const hist = await kv.watch({ include: "history" });
  const h = await takeN(hist, 5, 10_000, "history watch");
  assert.deepEqual(h.map((e) => e.revision), [1, 2, 3, 4, 5]);
  assert.deepEqual(h.map((e) => e.isUpdate), [false, false, false, false, true]); // last initial = true (nats.js)
  await stopIter(hist);

  const filt = await kv.watch({ key: "a.*" });
  const f = await takeN(filt, 2, 10_000, "filtered watch");
  assert.deepEqual(f.map((e) => [e.key, e.revision, e.operation]), [
    ["a.1", 3, "PUT"],
    ["a.2", 5, "DEL"],
  ]);
  await kv.put("b.1", "ignored by the filter"); // 6
  await kv.put("a.3", "5"); // 7
  const [fu] = await takeN(filt, 1, 10_000, "filtered update");
  assert.deepEqual([fu.key, fu.revision, fu.isUpdate], ["a.3", 7, true]);
  await stopIter(filt);

  const upd = await kv.watch({ include: "updates", ignoreDeletes: true });
  await kv.delete("a.1"); // 8, ignored
  await kv.put("c", "6"); // 9
  const [u] = await takeN(upd, 1, 10_000, "updates-only watch");
  assert.deepEqual([u.key, u.revision, u.isUpdate, u.operation], ["c", 9, true, "PUT"]);
  await stopIter(upd);
});

test("status: values, history, ttl, size", T, async () => {
  const kv = await kvm.create(bucketName("st"), { history: 4, ttl: 60_000, max_bytes: 1 << 20, maxValueSize: 1024 });
  for (let i = 0; i < 6; i++) await kv.put(`k${i % 3}`, "v".repeat(10));
  const st = await kv.status();
  assert.equal(st.values, 6);
  assert.equal(st.history, 4);
  assert.equal(st.ttl, 60_000);
  assert.equal(st.max_bytes, 1 << 20);
  assert.equal(st.maxValueSize, 1024);
  assert.ok(st.size > 60, `size ${st.size}`);
  assert.equal(st.streamInfo.config.max_age, 60_000 * 1_000_000);
  assert.equal(st.streamInfo.config.duplicate_window, 60_000 * 1_000_000, "duplicate window follows a TTL < 2 min");
  await expectApiError(kv.put("big", "x".repeat(1025)), { err_code: 10054, code: 400 });
});

test("TTL bucket: values expire", T, async () => {
  const kv = await kvm.create(bucketName("ttl"), { ttl: 1_000 });
  assert.equal((await kv.status()).ttl, 1_000);
  await kv.put("short", "lived");
  assert.equal((await kv.get("short")).string(), "lived");
  await waitFor(async () => (await kv.get("short")) === null, {
    timeout: 8_000,
    interval: 100,
    label: "value expired by the bucket TTL",
  });
  assert.equal((await kv.status()).values, 0);
});

test("purgeDeletes: markers kept when young (keep 1), removed with olderMillis 0", T, async () => {
  const b = bucketName("pd");
  const kv = await kvm.create(b, { history: 5 });
  await kv.put("a", "1");
  await kv.put("a", "2");
  await kv.delete("a");
  await kv.put("b", "1");
  await kv.purge("b");
  await kv.put("c", "live");
  let si = await jsm.streams.info(`KV_${b}`);
  assert.equal(si.state.messages, 5); // a: 3, b: 1 marker, c: 1

  const young = await kv.purgeDeletes(); // default: markers newer than 30 min keep 1
  assert.equal(young.purged, 2, "a's two old values");
  si = await jsm.streams.info(`KV_${b}`);
  assert.equal(si.state.messages, 3);

  const marker = await kv.get("a");
  await waitFor(() => Date.now() > marker.created.getTime() + 1, { label: "clock past the markers" });
  const old = await kv.purgeDeletes(0);
  assert.equal(old.purged, 2, "both markers");
  si = await jsm.streams.info(`KV_${b}`);
  assert.equal(si.state.messages, 1);
  assert.deepEqual(await keysOf(kv), ["c"]);
  assert.deepEqual(await historyOf(kv, "a"), []);
});

test("a bucket without allow_direct reads through STREAM.MSG.GET", T, async () => {
  const b = bucketName("nodirect");
  const kv = await kvm.create(b, { allow_direct: false, history: 2 });
  assert.equal((await jsm.streams.info(`KV_${b}`)).config.allow_direct, false);
  await kv.put("k", "v1");
  await kv.put("k", "v2");
  assert.equal((await kv.get("k")).string(), "v2");
  assert.equal((await kv.get("k", { revision: 1 })).string(), "v1");
  assert.equal(await kv.get("missing"), null);
});

test("destroy removes the bucket", T, async () => {
  const b = bucketName("gone");
  const kv = await kvm.create(b);
  await kv.put("k", "v");
  assert.equal(await kv.destroy(), true);
  await expectApiError(jsm.streams.info(`KV_${b}`), { err_code: 10059, code: 404 });
  await expectApiError(kv.status(), { err_code: 10059, code: 404 });
});

test("many keys: 200 puts, keys() and watch() see all of them", T, async () => {
  const kv = await kvm.create(bucketName("many"));
  const N = 200;
  await withTimeout(
    Promise.all(Array.from({ length: N }, (_, i) => kv.put(`key.${i}`, `${i}`))),
    20_000,
    `${N} concurrent puts`,
  );
  const keys = await keysOf(kv);
  assert.equal(keys.length, N);
  const w = await kv.watch();
  const initial = await takeN(w, N, 15_000, "initial values");
  assert.equal(new Set(initial.map((e) => e.key)).size, N);
  assert.ok(initial.slice(0, -1).every((e) => !e.isUpdate), "initial values are not updates (but the last, nats.js)");
  assert.equal(initial[N - 1].delta, 0, "last initial entry has pending 0");
  await stopIter(w);
});

// More keys than meridian-jetstream delivers to one consumer in a turn (4,096):
// keys() and watch() use ordered consumers without acks, which nothing else
// brings back once a turn's budget is spent.
test("more keys than a few delivery turns: 12,000 keys, keys() and watch() see all", T, async () => {
  const kv = await kvm.create(bucketName("lots"));
  const N = 12000;
  for (let i = 0; i < N; i += 500) {
    await withTimeout(
      Promise.all(Array.from({ length: 500 }, (_, j) => kv.put(`k.${i + j}`, "v"))),
      20_000,
      `puts ${i}..${i + 499}`,
    );
  }
  assert.equal((await keysOf(kv)).length, N);
  const w = await kv.watch();
  const initial = await takeN(w, N, 15_000, "initial values");
  assert.equal(new Set(initial.map((e) => e.key)).size, N);
  await stopIter(w);
});

// ---- features the reference 2.9.10 lacks (skipped there; spec expectations) ----

test("[2.11] limit markers: per-key TTL on create, MaxAge marker reads as PURGE", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.11.0", "KV limit markers / per-key TTL")) return;
  const b = bucketName("mttl");
  const kv = await kvm.create(b, { markerTTL: 2_000, history: 2 });
  const si = await jsm.streams.info(`KV_${b}`);
  assert.equal(si.config.allow_msg_ttl, true);
  assert.equal(si.config.subject_delete_marker_ttl, 2_000 * 1_000_000);
  await kv.create("k", "short", "1s");
  assert.equal((await kv.get("k")).string(), "short");
  await waitFor(
    async () => {
      const e = await kv.get("k");
      return e === null || e.operation === "PURGE";
    },
    { timeout: 10_000, interval: 100, label: "per-key TTL expired (marker or gone)" },
  );
});
