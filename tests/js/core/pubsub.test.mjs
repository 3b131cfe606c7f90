// Publish/subscribe: exact payloads, ordering, fan-out, unsubscribe, auto-unsubscribe.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Empty } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, collectUntilClosed, flushAll, record, uniq, withTimeout } from "../lib/util.mjs";

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

test("payloads arrive byte-exact: empty, text, binary 0..255, max_payload", async () => {
  const sub = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("payload");
  const rec = record(sub, subj);
  await sub.flush();

  const max = pub.info.max_payload;
  const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
  const big = new Uint8Array(randomBytes(max)); // exactly max_payload
  const nearBig = new Uint8Array(randomBytes(max - 1000));
  const crlf = new TextEncoder().encode("a\r\nMSG x 1 2\r\nb\r\n"); // protocol-looking bytes
  const payloads = [Empty, new TextEncoder().encode("hello world"), binary, big, nearBig, crlf];

  for (const p of payloads) pub.publish(subj, p);
  await pub.flush();
  const msgs = await rec.waitCount(payloads.length, 15_000);

  assert.equal(msgs.length, payloads.length);
  for (let i = 0; i < payloads.length; i++) {
    assert.equal(msgs[i].subject, subj);
    assert.equal(msgs[i].data.length, payloads[i].length, `payload #${i} length`);
    assert.ok(Buffer.from(msgs[i].data).equals(Buffer.from(payloads[i])), `payload #${i} bytes`);
  }
  assert.equal(msgs[1].string(), "hello world");
  assert.equal(msgs[0].headers, undefined, "plain publish has no headers");
});

test("10k messages from one publisher arrive in order", async () => {
  const sub = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("order");
  const N = 10_000;
  const rec = record(sub, subj);
  await sub.flush();

  for (let i = 0; i < N; i++) pub.publish(subj, String(i));
  await withTimeout(pub.flush(), 15_000, "publisher flush");
  await rec.waitCount(N, 30_000);

  assert.equal(rec.count, N);
  for (let i = 0; i < N; i++) {
    if (rec.msgs[i].string() !== String(i)) {
      assert.fail(`message #${i} out of order: got ${rec.msgs[i].string()}`);
    }
  }
});

test("multiple subscribers (same and other connections) all receive every message", async () => {
  const a = await clients.connect();
  const b = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("fanout");
  const N = 50;
  const recs = [record(a, subj), record(a, subj), record(b, subj), record(pub, subj)];
  await flushAll([a, b, pub]);

  for (let i = 0; i < N; i++) pub.publish(subj, `m${i}`);
  await pub.flush();
  await Promise.all(recs.map((r) => r.waitCount(N, 10_000)));
  await flushAll([a, b, pub]);

  const expected = Array.from({ length: N }, (_, i) => `m${i}`);
  for (const r of recs) assert.deepEqual(r.strings(), expected);
});

test("unsubscribe stops delivery", async () => {
  const sub = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("unsub");
  const target = record(sub, subj);
  const control = record(sub, subj); // keeps receiving: proves the later messages were sent
  await sub.flush();

  pub.publish(subj, "before");
  await pub.flush();
  await target.waitCount(1);

  target.sub.unsubscribe();
  assert.ok(target.sub.isClosed());
  await sub.flush(); // UNSUB processed by the server

  for (let i = 0; i < 5; i++) pub.publish(subj, `after${i}`);
  await pub.flush(); // server has routed them
  await control.waitCount(6);
  await sub.flush(); // anything the server queued for `sub` before the PONG has arrived

  assert.deepEqual(target.strings(), ["before"]);
  assert.equal(control.count, 6);
});

test("auto-unsubscribe with {max: 5}", async () => {
  const sub = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("max");
  const s = sub.subscribe(subj, { max: 5 });
  const control = record(sub, subj);
  await sub.flush();

  for (let i = 0; i < 10; i++) pub.publish(subj, `m${i}`);
  await pub.flush();

  const msgs = await collectUntilClosed(s, 5_000);
  assert.deepEqual(
    msgs.map((m) => m.string()),
    ["m0", "m1", "m2", "m3", "m4"],
  );
  await control.waitCount(10);
  await sub.flush();
  assert.equal(s.getReceived(), 5);
  assert.ok(s.isClosed());
});

test("auto-unsubscribe with sub.unsubscribe(5) after subscribing", async () => {
  const sub = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("unsubmax");
  const target = record(sub, subj);
  target.sub.unsubscribe(5);
  const control = record(sub, subj);
  await sub.flush();

  for (let i = 0; i < 10; i++) pub.publish(subj, `m${i}`);
  await pub.flush();
  await control.waitCount(10);
  await sub.flush();

  assert.deepEqual(target.strings(), ["m0", "m1", "m2", "m3", "m4"]);
  await withTimeout(target.sub.closed, 5_000, "subscription closed after max");
  assert.ok(target.sub.isClosed());
});

test("a subscriber receives its own publishes (echo on by default)", async () => {
  const nc = await clients.connect();
  const subj = uniq("echo");
  const rec = record(nc, subj);
  nc.publish(subj, "self");
  await nc.flush();
  await rec.waitCount(1);
  assert.deepEqual(rec.strings(), ["self"]);
});

test("noEcho: a connection does not receive its own publishes", async () => {
  const nc = await clients.connect({ noEcho: true });
  const other = await clients.connect();
  const subj = uniq("noecho");
  const rec = record(nc, subj);
  await nc.flush();
  nc.publish(subj, "mine");
  await nc.flush();
  other.publish(subj, "theirs");
  await other.flush();
  await rec.waitCount(1);
  await nc.flush();
  assert.deepEqual(rec.strings(), ["theirs"]);
});

test("reply subject is carried to the subscriber", async () => {
  const sub = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("reply");
  const rec = record(sub, subj);
  await sub.flush();
  pub.publish(subj, "x", { reply: "my.reply.subject" });
  await pub.flush();
  await rec.waitCount(1);
  assert.equal(rec.msgs[0].reply, "my.reply.subject");
});
