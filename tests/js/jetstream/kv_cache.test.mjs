// KV reads stay exact when the frontend answers them from its direct-get
// cache (services/frontend/direct_get_cache.h; meridian-server turns it on for
// its one frontend): @nats-io/kv clients on three connections (a writer, two
// readers that never write) against nats-server 2.9.10 -js the same way. Every
// read after an acknowledged change must show it. With two frontends nothing
// is cached and the same holds across them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { connect, nuid } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { waitFor, withTimeout } from "../lib/util.mjs";
import { startJetStreamServer } from "../lib/jetstream.mjs";
import { isMeridianBinary } from "../lib/server.mjs";

const T = { timeout: 60_000 };
const meridian = isMeridianBinary();

let srv;
let ncA; // the writer
let ncB; // a reader
let ncR; // another reader (the writer's own gets wait behind its writes)
let kvmA;
let kvmB;
let kvmR;
const conns = [];

async function open(url) {
  const nc = await withTimeout(connect({ servers: url, timeout: 5_000, reconnect: false }), 15_000, `connect ${url}`);
  conns.push(nc);
  return nc;
}

before(async () => {
  srv = await startJetStreamServer();
  ncA = await open(srv.url);
  ncB = await open(srv.url);
  ncR = await open(srv.url);
  kvmA = new Kvm(jetstream(ncA));
  kvmB = new Kvm(jetstream(ncB));
  kvmR = new Kvm(jetstream(ncR));
});

after(async () => {
  await Promise.all(conns.map((nc) => withTimeout(nc.close(), 5_000, "close").catch(() => {})));
  await srv?.dispose();
});

const bucketName = (p) => `${p}_${nuid.next()}`;

// The writer's view `a` and two readers `b`, `r` (direct gets, as a bucket
// created with allow_direct reads).
async function bucketOnBoth(prefix, opts = {}) {
  const name = bucketName(prefix);
  const a = await kvmA.create(name, opts);
  const b = await kvmB.open(name, { allow_direct: true });
  const r = await kvmR.open(name, { allow_direct: true });
  return { name, a, b, r };
}

// The readers' values of `key`, each read twice (the second is the one a
// cache would answer).
async function readers(key, ...views) {
  const out = [];
  for (const v of views) {
    const first = str(await v.get(key));
    assert.equal(str(await v.get(key)), first, "two reads in a row agree");
    out.push(first);
  }
  return out;
}

const str = (e) => (e === null ? null : e.operation === "PUT" ? e.string() : e.operation);

test("reads follow every acknowledged put", T, async () => {
  const { a, b, r } = await bucketOnBoth("follow");
  await a.put("k", "v0");
  for (let i = 1; i <= 100; i++) {
    assert.deepEqual(await readers("k", b, r), [`v${i - 1}`, `v${i - 1}`]);
    await a.put("k", `v${i}`);
    assert.deepEqual(await readers("k", b, r, a), [`v${i}`, `v${i}`, `v${i}`], `after put ${i}`);
  }
});

test("a publish not yet acknowledged is seen by the same connection's next get", T, async () => {
  const { name, a } = await bucketOnBoth("own");
  const js = jetstream(ncA);
  await a.put("k", "start");
  for (let i = 0; i < 100; i++) {
    assert.notEqual(await a.get("k"), null); // cached from here on
    const acked = js.publish(`$KV.${name}.k`, `w${i}`); // not awaited before the get
    assert.equal(str(await a.get("k")), `w${i}`, `get right after publish ${i}`);
    await acked;
  }
});

test("delete, purge and a stream purge are seen by the next get", T, async () => {
  const { name, a, b, r } = await bucketOnBoth("del", { history: 5 });
  await a.put("k", "v");
  assert.deepEqual(await readers("k", b, r), ["v", "v"]);
  await a.delete("k");
  assert.deepEqual(await readers("k", b, r), ["DEL", "DEL"]);
  await a.put("k", "again");
  assert.deepEqual(await readers("k", b, r), ["again", "again"]);
  await a.purge("k");
  assert.deepEqual(await readers("k", b, r), ["PURGE", "PURGE"]);
  await a.put("k", "once more");
  assert.deepEqual(await readers("k", b, r), ["once more", "once more"]);
  const jsm = await jetstreamManager(ncA);
  await jsm.streams.purge(`KV_${name}`);
  assert.deepEqual(await readers("k", b, r, a), [null, null, null], "after the stream purge");
});

test("a missing key read before it is created shows the created value", T, async () => {
  const { a, b, r } = await bucketOnBoth("missing");
  assert.deepEqual(await readers("k", b, r), [null, null]);
  await a.create("k", "made");
  assert.deepEqual(await readers("k", b, r), ["made", "made"]);
});

test("values expire with the bucket's ttl", T, async () => {
  const { a, b, r } = await bucketOnBoth("ttl", { ttl: 1_000 });
  await a.put("k", "short-lived");
  assert.deepEqual(await readers("k", b, r), ["short-lived", "short-lived"]);
  await waitFor(async () => (await b.get("k")) === null && (await r.get("k")) === null, {
    timeout: 15_000,
    interval: 50,
    label: "expired value gone for both readers",
  });
});

test("a bucket deleted and created again reads empty", T, async () => {
  const { name, a, b, r } = await bucketOnBoth("recreate");
  await a.put("k", "old");
  assert.deepEqual(await readers("k", b, r), ["old", "old"]);
  await a.destroy();
  const again = await kvmA.create(name);
  assert.deepEqual(await readers("k", b, r), [null, null]);
  await again.put("k", "new");
  assert.deepEqual(await readers("k", b, r), ["new", "new"]);
});

test("a stream update (allow_direct off) stops direct answers", T, async () => {
  const { name, a, b, r } = await bucketOnBoth("update");  // b, r: warm the caches
  await a.put("k", "v");
  assert.deepEqual(await readers("k", b, r), ["v", "v"]);
  const jsm = await jetstreamManager(ncA);
  const si = await jsm.streams.info(`KV_${name}`);
  await jsm.streams.update(`KV_${name}`, { ...si.config, allow_direct: false });
  // Views with a short request timeout: Meridian's meridian-jetstream keeps
  // its API interest and lets the request time out, nats-server answers 503.
  const quick = async (nc) => new Kvm(jetstream(nc, { timeout: 1_500 })).open(name, { allow_direct: true });
  for (const v of [await quick(ncB), await quick(ncR)]) {
    await assert.rejects(v.get("k"), (err) => /no responders|503|timeout/i.test(String(err?.message ?? err)),
      "nobody answers direct gets of a stream without allow_direct");
  }
});

test("a message deleted through the API is gone from the next direct get", T, async () => {
  // A removal alone (no append) must invalidate too. (The last message of a
  // subject that has older ones is not deleted here: nats-server 2.9.10 then
  // answers 404 for the subject, Meridian the older message.)
  const jsmA = await jetstreamManager(ncA);
  const jsmB = await jetstreamManager(ncB);
  const stream = `DEL_${nuid.next()}`;
  const subj = `del.${nuid.next()}`;
  await jsmA.streams.add({ name: stream, subjects: [`${subj}.>`], allow_direct: true });
  const js = jetstream(ncA);
  await js.publish(`${subj}.a`, "one");
  const b = await js.publish(`${subj}.b`, "two");
  const last = async (key) => {
    const m = await jsmB.direct.getMessage(stream, { last_by_subj: `${subj}.${key}` });
    return m === null ? null : m.string();
  };
  for (let i = 0; i < 2; i++) assert.deepEqual([await last("a"), await last("b")], ["one", "two"]);
  await jsmA.streams.deleteMessage(stream, b.seq);
  for (let i = 0; i < 2; i++) assert.deepEqual([await last("a"), await last("b")], ["one", null]);
  await jsmA.streams.delete(stream);
});

test("subscribers on the direct-get subjects see every request", T, async () => {
  const { name, a, r } = await bucketOnBoth("seen");
  await a.put("k", "v");
  const subject = `$JS.API.DIRECT.GET.KV_${name}.>`;
  const subA = ncA.subscribe(subject);
  const subB = ncB.subscribe(subject);
  let seenA = 0;
  let seenB = 0;
  (async () => { for await (const _ of subA) seenA++; })();
  (async () => { for await (const _ of subB) seenB++; })();
  await ncA.flush();
  await ncB.flush();
  // The other frontend's subscription reaches this one through the router.
  const probe = `probe.${nuid.next()}`;
  const probeSub = ncB.subscribe(probe);
  await ncB.flush();
  await waitFor(async () => {
    ncA.publish(probe);
    await ncA.flush();
    return probeSub.getReceived() > 0;
  }, { timeout: 10_000, interval: 20, label: "interest from the other frontend" });
  // Subscriptions made after the probe's are behind it on the router link too.
  for (let i = 0; i < 50; i++) assert.equal(str(await r.get("k")), "v");
  await waitFor(() => seenA === 50 && seenB === 50, {
    timeout: 10_000,
    label: "50 requests seen by both subscribers",
    describe: () => `A saw ${seenA}, B saw ${seenB}`,
  });
  subA.unsubscribe();
  subB.unsubscribe();
  probeSub.unsubscribe();
});

function jetstreamPid() {
  const out = execFileSync("pgrep", ["-P", String(srv.pid), "-f", "meridian-jetstream"]).toString().trim();
  const pid = Number(out.split("\n")[0]);
  assert.ok(pid > 0, "meridian-jetstream runs under the launcher");
  return pid;
}

test("[meridian] answers come from the frontend's cache, for at most its ttl", T, async (t) => {
  if (!meridian) {
    t.skip("nats-server answers direct gets itself");
    return;
  }
  const { a: w, r: a } = await bucketOnBoth("edge");
  await w.put("k", "cached");
  await w.put("other", "not read yet");
  assert.equal(str(await a.get("k")), "cached");
  const pid = jetstreamPid();
  process.kill(pid, "SIGSTOP"); // its interest stays; it just does not answer
  try {
    // Within the 1 s ttl the frontend answers; a key it never read cannot be.
    assert.equal(str(await withTimeout(a.get("k"), 500, "cached get")), "cached");
    await assert.rejects(withTimeout(a.get("other"), 300, "uncached get"));
    // Past the ttl the cached answer is not served either.
    await waitFor(async () => {
      try {
        await withTimeout(a.get("k"), 200, "get");
        return false;
      } catch {
        return true;
      }
    }, { timeout: 10_000, interval: 50, label: "cached answer no longer served" });
  } finally {
    process.kill(pid, "SIGCONT");
  }
  await waitFor(async () => str(await a.get("other")) === "not read yet", {
    timeout: 15_000,
    interval: 50,
    label: "meridian-jetstream answers again",
  });
});

test("[meridian] kill -9 of meridian-jetstream: reads afterwards show every acknowledged value", T, async (t) => {
  if (!meridian) {
    t.skip("nats-server has no separate JetStream process");
    return;
  }
  const { name, a, b, r } = await bucketOnBoth("crash");
  for (let i = 0; i < 20; i++) await a.put(`k${i}`, `before${i}`);
  for (let i = 0; i < 20; i++) assert.deepEqual(await readers(`k${i}`, b, r), [`before${i}`, `before${i}`]);
  const pid = jetstreamPid();
  process.kill(pid, "SIGKILL");
  // The launcher restarts it; until then requests fail (no responders or timeout).
  // Back once it answers reads and takes writes (its stream subjects' interest
  // may follow its API interest by a moment).
  const kvA = await kvmA.open(name);
  await waitFor(async () => {
    try {
      await kvA.put("probe", "x");
      return str(await b.get("k0")) === "before0" && str(await r.get("k0")) === "before0";
    } catch {
      return false;
    }
  }, { timeout: 30_000, interval: 100, label: "meridian-jetstream back" });
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(await readers(`k${i}`, b, r), [`before${i}`, `before${i}`]);
    await kvA.put(`k${i}`, `after${i}`);
    assert.deepEqual(await readers(`k${i}`, b, r), [`after${i}`, `after${i}`], `key ${i} after the restart`);
  }
});

test("[meridian] two frontends: reads on each follow every acknowledged put", T, async (t) => {
  if (!meridian) {
    t.skip("one nats-server");
    return;
  }
  const two = await startJetStreamServer({ args: ["--frontends", "2"] });
  try {
    const [u1, u2] = two.ports.nats;
    const name = bucketName("two");
    const a = await new Kvm(jetstream(await open(u1))).create(name);
    const b = await new Kvm(jetstream(await open(u2))).open(name, { allow_direct: true });
    const r = await new Kvm(jetstream(await open(u1))).open(name, { allow_direct: true });
    await a.put("k", "v0");
    for (let i = 1; i <= 50; i++) {
      assert.deepEqual(await readers("k", b, r), [`v${i - 1}`, `v${i - 1}`]);
      await a.put("k", `v${i}`);
      assert.deepEqual(await readers("k", b, r), [`v${i}`, `v${i}`], `after put ${i}`);
    }
  } finally {
    await two.dispose(); // its connections are closed with the others in after()
  }
});
