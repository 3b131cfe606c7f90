// Object Store through @nats-io/obj 3.3.1 (Objm): an OBJ_<bucket> stream with
// chunk subjects ($O.<b>.C.<nuid>) and rolled-up meta subjects ($O.<b>.M.<name>).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { nuid } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { withTimeout } from "../lib/util.mjs";
import {
  closeJetStreamSuite,
  expectApiError,
  openJetStreamSuite,
  skipUnlessSupported,
  stopIter,
  takeN,
} from "../lib/jetstream.mjs";

let srv;
let clients;
let nc;
let jsm;
let objm;

const T = { timeout: 30_000 }; // per test, well under the runner's 120 s
const CHUNK = 128 * 1024;

let suite;
before(async () => {
  ({ srv, clients, nc, jsm } = suite = await openJetStreamSuite());
  objm = new Objm(suite.js);
});
after(() => closeJetStreamSuite(suite));

const bucketName = (p = "o") => `${p}_${nuid.next()}`;
const b64urlPadded = (buf) => Buffer.from(buf).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
const digestOf = (bytes) => `SHA-256=${b64urlPadded(crypto.createHash("sha256").update(bytes).digest())}`;
const metaSubject = (b, name) => `$O.${b}.M.${b64urlPadded(Buffer.from(name, "utf8"))}`;

function pattern(size, seed = 1) {
  const a = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    a[i] = x >>> 16;
  }
  return a;
}

async function subjectCounts(b, filter) {
  const si = await jsm.streams.info(`OBJ_${b}`, { subjects_filter: filter });
  return si.state.subjects || {};
}

test("create a bucket: the backing OBJ_<bucket> stream and status", T, async () => {
  const b = bucketName("cfg");
  const os = await objm.create(b, { description: "objects" });
  const si = await jsm.streams.info(`OBJ_${b}`);
  assert.deepEqual(si.config.subjects, [`$O.${b}.C.>`, `$O.${b}.M.>`]);
  assert.equal(si.config.allow_rollup_hdrs, true);
  assert.equal(si.config.allow_direct, true);
  assert.equal(si.config.discard, "new");
  assert.equal(si.config.description, "objects");
  const st = await os.status();
  assert.deepEqual([st.bucket, st.sealed, st.size, st.ttl, st.replicas, st.backingStore], [b, false, 0, 0, 1, "JetStream"]);

  const opened = await objm.open(b);
  assert.equal((await opened.status()).bucket, b);
  await assert.rejects(objm.open(bucketName("missing")), /object store not found/);

  const listed = [];
  for await (const s of objm.list()) listed.push(s.bucket);
  assert.ok(listed.includes(b), "Objm.list() includes the bucket");
});

test("put / getBlob round-trips sizes 0 .. > 1 MiB with exact chunk counts and digests", T, async () => {
  const b = bucketName("sizes");
  const os = await objm.create(b);
  const sizes = [0, 1, 1000, CHUNK - 1, CHUNK, CHUNK + 1, 300 * 1024, 1024 * 1024 + 7];
  for (const [i, size] of sizes.entries()) {
    const name = `obj-${size}`;
    const data = pattern(size, i + 1);
    const info = await withTimeout(os.putBlob({ name }, data), 20_000, `put ${size} bytes`);
    const chunks = Math.ceil(size / CHUNK);
    assert.deepEqual([info.name, info.size, info.chunks, info.bucket], [name, size, chunks, b], `info for ${size}`);
    assert.equal(info.digest, digestOf(data), `digest of ${size}`);
    assert.equal(info.deleted, false);
    assert.ok(info.revision > 0);

    const back = await withTimeout(os.getBlob(name), 20_000, `get ${size} bytes`);
    assert.equal(back.length, size, `read back ${size}`);
    assert.equal(Buffer.compare(Buffer.from(back), Buffer.from(data)), 0, `bytes of ${size}`);

    const counts = await subjectCounts(b, `$O.${b}.C.${info.nuid}`);
    assert.equal(counts[`$O.${b}.C.${info.nuid}`] ?? 0, chunks, `chunk messages for ${size}`);
  }
});

test("the meta message: JSON at $O.<b>.M.<base64url name>, rolled up", T, async () => {
  const b = bucketName("meta");
  const os = await objm.create(b);
  const data = pattern(5000);
  const name = "dir/file name?.txt";
  const info = await os.putBlob({ name, description: "a file", metadata: { k: "v" } }, data);
  const m = await jsm.streams.getMessage(`OBJ_${b}`, { last_by_subj: metaSubject(b, name) });
  assert.ok(m, "meta message under the base64url (padded) subject");
  assert.equal(m.header.get("Nats-Rollup"), "sub");
  const meta = m.json();
  assert.deepEqual(
    [meta.name, meta.bucket, meta.nuid, meta.size, meta.chunks, meta.digest, meta.description, meta.metadata?.k],
    [name, b, info.nuid, 5000, 1, digestOf(data), "a file", "v"],
  );
  assert.equal(meta.options.max_chunk_size, CHUNK);

  const got = await os.info(name);
  assert.deepEqual([got.name, got.size, got.revision, got.description], [name, 5000, m.seq, "a file"]);
  assert.equal(got.metadata.k, "v");
  assert.equal(await os.info("missing"), null);
  assert.equal(await os.get("missing"), null);
});

test("get() streams the data and resolves its error promise without an error", T, async () => {
  const os = await objm.create(bucketName("stream"));
  const data = pattern(3 * CHUNK + 10);
  await os.putBlob({ name: "s" }, data);
  const r = await os.get("s");
  assert.equal(r.info.size, data.length);
  const parts = [];
  const reader = r.data.getReader();
  await withTimeout(
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(Buffer.from(value));
      }
    })(),
    15_000,
    "read the object stream",
  );
  assert.ok(!(await withTimeout(r.error, 5_000, "error promise")), "no error after the last chunk");
  assert.equal(Buffer.compare(Buffer.concat(parts), Buffer.from(data)), 0);
});

test("put again replaces the object and purges the old chunks", T, async () => {
  const b = bucketName("replace");
  const os = await objm.create(b);
  const first = await os.putBlob({ name: "r" }, pattern(2 * CHUNK + 1, 1));
  const second = await os.putBlob({ name: "r" }, pattern(1000, 2));
  assert.notEqual(first.nuid, second.nuid);
  const counts = await subjectCounts(b, `$O.${b}.C.>`);
  assert.deepEqual(counts, { [`$O.${b}.C.${second.nuid}`]: 1 }, "only the new chunk remains");
  const metas = await subjectCounts(b, `$O.${b}.M.>`);
  assert.deepEqual(Object.values(metas), [1], "one meta message per object");
  assert.deepEqual([...(await os.getBlob("r"))], [...pattern(1000, 2)]);
});

test("delete: tombstone meta, chunks purged, get is null, list skips it", T, async () => {
  const b = bucketName("del");
  const os = await objm.create(b);
  for (const n of ["a", "b", "c"]) await os.putBlob({ name: n }, pattern(CHUNK + 5, n.charCodeAt(0)));
  const binfo = await os.info("b");
  const pr = await os.delete("b");
  assert.deepEqual([pr.success, pr.purged], [true, 2], "both chunks of b purged");
  const tomb = await os.info("b");
  assert.deepEqual([tomb.deleted, tomb.size, tomb.chunks, tomb.digest], [true, 0, 0, ""]);
  assert.equal(await os.get("b"), null);
  const counts = await subjectCounts(b, `$O.${b}.C.${binfo.nuid}`);
  assert.equal(counts[`$O.${b}.C.${binfo.nuid}`] ?? 0, 0);

  const names = (await os.list()).map((i) => i.name).sort();
  assert.deepEqual(names, ["a", "c"]);
  assert.deepEqual(await os.delete("never-existed"), { purged: 0, success: false });
});

test("list: every live object with its info", T, async () => {
  const os = await objm.create(bucketName("list"));
  assert.deepEqual(await os.list(), [], "empty bucket");
  const want = {};
  for (let i = 0; i < 5; i++) {
    const d = pattern(100 * (i + 1), i);
    await os.putBlob({ name: `item-${i}` }, d);
    want[`item-${i}`] = d.length;
  }
  const got = {};
  for (const i of await os.list()) got[i.name] = i.size;
  assert.deepEqual(got, want);
});

test("links: to an object (read through), to a bucket; link rules", T, async () => {
  const os = await objm.create(bucketName("links"));
  const other = await objm.create(bucketName("target"));
  const data = pattern(CHUNK + 100, 9);
  const src = await os.putBlob({ name: "src" }, data);

  const ln = await os.link("alias", src);
  assert.equal(ln.isLink(), true);
  assert.deepEqual(ln.options.link, { bucket: src.bucket, name: "src" });
  assert.equal(Buffer.compare(Buffer.from(await os.getBlob("alias")), Buffer.from(data)), 0, "read through the link");

  // a link to an object in another bucket
  const far = await other.putBlob({ name: "far" }, pattern(10, 3));
  const cross = await os.link("cross", far);
  assert.deepEqual(cross.options.link, { bucket: far.bucket, name: "far" });
  assert.deepEqual([...(await os.getBlob("cross"))], [...pattern(10, 3)]);

  const bl = await os.linkStore("bucket-link", other);
  assert.deepEqual(bl.options.link, { bucket: (await other.status()).bucket });
  await assert.rejects(os.get("bucket-link"), /link is a bucket/);

  await assert.rejects(os.link("alias2", ln), /src object is a link/);
  await assert.rejects(os.link("src", src), /an object already exists with that name/);
  await os.delete("src");
  await assert.rejects(os.link("alias3", await os.info("src")), /src object is deleted/);
});

test("update meta: description, rename (old meta purged), rename onto an existing name fails", T, async () => {
  const b = bucketName("upd");
  const os = await objm.create(b);
  const data = pattern(4000, 4);
  await os.putBlob({ name: "before" }, data);
  await os.putBlob({ name: "taken" }, pattern(10, 5));

  await os.update("before", { description: "described" });
  assert.equal((await os.info("before")).description, "described");

  await os.update("before", { name: "after" });
  assert.equal(await os.info("before"), null, "old name gone (its meta subject purged)");
  const moved = await os.info("after");
  assert.deepEqual([moved.size, moved.digest], [4000, digestOf(data)]);
  assert.equal(Buffer.compare(Buffer.from(await os.getBlob("after")), Buffer.from(data)), 0);
  const metas = await subjectCounts(b, `$O.${b}.M.>`);
  assert.deepEqual(Object.keys(metas).sort(), [metaSubject(b, "after"), metaSubject(b, "taken")].sort());

  await assert.rejects(os.update("after", { name: "taken" }), /an object already exists with that name/);
  await assert.rejects(os.update("nope", { description: "x" }), /object not found/);
});

test("watch: updates as they happen (including deletes); includeHistory replays the current set", T, async () => {
  const os = await objm.create(bucketName("watch"));
  await os.putBlob({ name: "old" }, pattern(10));
  const w = await os.watch();
  await os.putBlob({ name: "new" }, pattern(20));
  await os.delete("old");
  const seen = await takeN(w, 2, 10_000, "object watch updates");
  assert.deepEqual(
    seen.map((i) => [i.name, i.deleted ?? false, i.isUpdate]),
    [
      ["new", false, true],
      ["old", true, true],
    ],
  );
  await stopIter(w);

  const h = await os.watch({ includeHistory: true });
  const initial = await takeN(h, 2, 10_000, "object watch history");
  assert.deepEqual(initial.map((i) => i.name).sort(), ["new", "old"]);
  await stopIter(h);
});

test("seal: status reports sealed, puts are rejected (10109)", T, async () => {
  const os = await objm.create(bucketName("seal"));
  await os.putBlob({ name: "kept" }, pattern(100));
  const st = await os.seal();
  assert.equal(st.sealed, true);
  assert.equal((await os.status()).sealed, true);
  await expectApiError(os.putBlob({ name: "late" }, pattern(10)), { err_code: 10109, code: 400 });
  assert.deepEqual([...(await os.getBlob("kept"))], [...pattern(100)]);
});

test("status: size grows with stored bytes; ttl", T, async () => {
  const os = await objm.create(bucketName("st"), { ttl: 60_000 * 1_000_000 });
  const st0 = await os.status();
  assert.equal(st0.ttl, 60_000 * 1_000_000);
  await os.putBlob({ name: "x" }, pattern(50_000));
  const st1 = await os.status();
  assert.ok(st1.size >= 50_000, `size ${st1.size}`);
  assert.equal(st1.streamInfo.state.messages, 2, "one chunk + one meta");
});

test("destroy removes the bucket", T, async () => {
  const b = bucketName("gone");
  const os = await objm.create(b);
  await os.putBlob({ name: "x" }, pattern(10));
  assert.equal(await os.destroy(), true);
  await expectApiError(jsm.streams.info(`OBJ_${b}`), { err_code: 10059, code: 404 });
  await assert.rejects(os.status(), /object store not found/);
});

test("[2.10] bucket metadata and compression", T, async (t) => {
  if (skipUnlessSupported(t, nc, "2.10.0", "stream metadata / compression")) return;
  const b = bucketName("meta10");
  const os = await objm.create(b, { metadata: { owner: "me" }, compression: true });
  const st = await os.status();
  assert.equal(st.metadata.owner, "me");
  assert.equal(st.compression, true);
  const d = pattern(CHUNK * 2);
  await os.putBlob({ name: "c" }, d);
  assert.equal(Buffer.compare(Buffer.from(await os.getBlob("c")), Buffer.from(d)), 0);
});
