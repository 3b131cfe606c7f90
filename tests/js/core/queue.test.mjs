// Queue groups: one member of a group gets each message; plain subs get all.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.mjs";
import { Clients, flushAll, record, uniq, waitFor } from "../lib/util.mjs";

let srv;
let clients;

before(async () => {
  srv = await startServer();
  clients = new Clients(srv);
});

after(async () => {
  await clients?.closeAll();
  await srv?.dispose();
});

const sum = (recs) => recs.reduce((n, r) => n + r.count, 0);

test("3 queue members share 300 messages; a plain subscriber gets all 300", async () => {
  const subj = uniq("queue");
  const N = 300;
  const memberConns = [await clients.connect(), await clients.connect(), await clients.connect()];
  const plainConn = await clients.connect();
  const pub = await clients.connect();
  const members = memberConns.map((nc) => record(nc, subj, { queue: "workers" }));
  const plain = record(plainConn, subj);
  await flushAll([...memberConns, plainConn]);

  for (let i = 0; i < N; i++) pub.publish(subj, String(i));
  await pub.flush();
  await plain.waitCount(N, 10_000);
  await waitFor(() => sum(members) >= N, {
    timeout: 10_000,
    label: "queue group received all messages",
    describe: () => `member counts ${members.map((m) => m.count)}`,
  });
  await flushAll([...memberConns, plainConn]); // no late duplicates

  const counts = members.map((m) => m.count);
  assert.equal(sum(members), N, `group total must be exactly ${N} (counts ${counts})`);
  for (const [i, c] of counts.entries()) {
    // Random distribution: P(a member gets 0 of 300) ≈ (2/3)^300. Generous bound.
    assert.ok(c > 0, `member ${i} received ${c} (counts ${counts})`);
  }
  // Each message went to exactly one member.
  const seen = members.flatMap((m) => m.strings()).map(Number).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
  assert.equal(plain.count, N);
});

test("two different queue groups each receive every message", async () => {
  const subj = uniq("twogroups");
  const N = 200;
  const conns = [await clients.connect(), await clients.connect()];
  const pub = await clients.connect();
  const groupA = conns.map((nc) => record(nc, subj, { queue: "A" }));
  const groupB = conns.map((nc) => record(nc, subj, { queue: "B" }));
  await flushAll(conns);

  for (let i = 0; i < N; i++) pub.publish(subj, String(i));
  await pub.flush();
  await waitFor(() => sum(groupA) >= N && sum(groupB) >= N, {
    timeout: 10_000,
    label: "both groups received all messages",
    describe: () => `A ${groupA.map((r) => r.count)} B ${groupB.map((r) => r.count)}`,
  });
  await flushAll(conns);

  assert.equal(sum(groupA), N, "group A total");
  assert.equal(sum(groupB), N, "group B total");
});

test("queue members on the same connection also share messages exactly once", async () => {
  const subj = uniq("sameconn");
  const N = 100;
  const nc = await clients.connect();
  const pub = await clients.connect();
  const members = [record(nc, subj, { queue: "q" }), record(nc, subj, { queue: "q" })];
  await nc.flush();
  for (let i = 0; i < N; i++) pub.publish(subj, String(i));
  await pub.flush();
  await waitFor(() => sum(members) >= N, { timeout: 10_000, label: "group received all" });
  await nc.flush();
  assert.equal(sum(members), N);
});

test("an unsubscribed queue member no longer receives; the rest get everything", async () => {
  const subj = uniq("qunsub");
  const N = 100;
  const a = await clients.connect();
  const b = await clients.connect();
  const pub = await clients.connect();
  const ra = record(a, subj, { queue: "q" });
  const rb = record(b, subj, { queue: "q" });
  await flushAll([a, b]);
  ra.sub.unsubscribe();
  await a.flush();

  for (let i = 0; i < N; i++) pub.publish(subj, String(i));
  await pub.flush();
  await rb.waitCount(N, 10_000);
  await flushAll([a, b]);
  assert.equal(ra.count, 0);
  assert.equal(rb.count, N);
});
