// Drain: in-flight messages are delivered, then the subscription / connection closes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { errors } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, record, uniq, withTimeout } from "../lib/util.mjs";

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

/** Consume a subscription with an async iterator doing a little async work per message. */
function slowConsumer(sub) {
  const got = [];
  const done = (async () => {
    for await (const m of sub) {
      await new Promise((r) => setImmediate(r));
      got.push(m.string());
    }
    return got;
  })();
  return { got, done };
}

test("nc.drain() delivers in-flight messages, then closes the connection", async () => {
  const nc = await clients.connect();
  const pub = await clients.connect();
  const subjA = uniq("drain.cb");
  const subjB = uniq("drain.iter");
  const N = 2_000;
  const cb = record(nc, subjA);
  const iter = slowConsumer(nc.subscribe(subjB));
  await nc.flush();

  for (let i = 0; i < N; i++) {
    pub.publish(subjA, String(i));
    pub.publish(subjB, String(i));
  }
  await pub.flush(); // the server has routed all of them toward `nc`

  // Drain right away, while messages are still in flight to / queued in the client.
  await withTimeout(nc.drain(), 15_000, "nc.drain()");
  assert.ok(nc.isClosed(), "connection closed after drain");
  assert.equal(await withTimeout(nc.closed(), 5_000, "closed()"), undefined, "closed without error");

  assert.equal(cb.count, N, "callback subscription got every in-flight message");
  assert.deepEqual(
    cb.strings().slice(0, 3),
    ["0", "1", "2"],
  );
  const got = await withTimeout(iter.done, 15_000, "iterator to finish after drain");
  assert.equal(got.length, N, "iterator subscription processed every in-flight message");
  assert.equal(got[N - 1], String(N - 1));
});

test("a drained connection rejects new work", async () => {
  const nc = await clients.connect();
  await withTimeout(nc.drain(), 10_000, "drain");
  assert.throws(() => nc.publish(uniq("x"), "y"), errors.ClosedConnectionError);
  assert.throws(() => nc.subscribe(uniq("x")), errors.ClosedConnectionError);
  await assert.rejects(nc.drain(), errors.ClosedConnectionError);
});

test("sub.drain() delivers pending messages, closes only that subscription", async () => {
  const nc = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("subdrain");
  const N = 1_000;
  const target = record(nc, subj);
  const control = record(nc, subj);
  await nc.flush();

  for (let i = 0; i < N; i++) pub.publish(subj, String(i));
  await pub.flush();
  await withTimeout(target.sub.drain(), 10_000, "sub.drain()");

  assert.equal(target.count, N, "drained sub got all in-flight messages");
  assert.ok(target.sub.isClosed(), "subscription closed after drain");
  assert.equal(await withTimeout(target.sub.closed, 5_000, "sub.closed"), undefined);
  assert.equal(nc.isClosed(), false, "connection still open");

  // Later messages reach only the other subscription.
  for (let i = 0; i < 10; i++) pub.publish(subj, `late${i}`);
  await pub.flush();
  await control.waitCount(N + 10, 10_000);
  await nc.flush();
  assert.equal(target.count, N);
});

test("sub.drain() on an iterator lets the consumer finish", async () => {
  const nc = await clients.connect();
  const pub = await clients.connect();
  const subj = uniq("subdrain.iter");
  const N = 500;
  const sub = nc.subscribe(subj);
  const consumer = slowConsumer(sub);
  await nc.flush();
  for (let i = 0; i < N; i++) pub.publish(subj, String(i));
  await pub.flush();
  await withTimeout(sub.drain(), 10_000, "sub.drain()");
  const got = await withTimeout(consumer.done, 10_000, "consumer loop end");
  assert.equal(got.length, N);
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => String(i)));
});
