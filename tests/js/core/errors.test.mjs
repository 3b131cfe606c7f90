// Errors: max_payload enforcement by the client, invalid subjects (client-side
// and server-side), use of a closed connection.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { errors, headers } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, StatusWatcher, record, uniq, withTimeout } from "../lib/util.mjs";

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

test("publishing more than max_payload is rejected by the client", async () => {
  const nc = await clients.connect();
  const max = nc.info.max_payload;
  assert.ok(max > 0);
  const subj = uniq("big");

  assert.throws(
    () => nc.publish(subj, new Uint8Array(max + 1)),
    (err) => err instanceof errors.InvalidArgumentError && /max_payload/.test(err.message),
  );
  // Headers count toward the limit too.
  const h = headers();
  h.set("X-Pad", "x");
  assert.throws(
    () => nc.publish(subj, new Uint8Array(max), { headers: h }),
    (err) => err instanceof errors.InvalidArgumentError && /max_payload/.test(err.message),
  );
  // A request with an oversized payload fails too.
  await assert.rejects(nc.request(subj, new Uint8Array(max + 1), { timeout: 2_000 }), /max_payload/);

  // The connection is unaffected; exactly max_payload is fine.
  const rec = record(nc, subj);
  nc.publish(subj, new Uint8Array(max));
  await withTimeout(nc.flush(), 10_000, "flush");
  await rec.waitCount(1, 10_000);
  assert.equal(rec.msgs[0].data.length, max);
});

test("empty or whitespace subjects are rejected by the client", async () => {
  const nc = await clients.connect();
  for (const bad of ["", "foo bar", "foo\tbar", " "]) {
    assert.throws(() => nc.subscribe(bad), errors.InvalidSubjectError, `subscribe(${JSON.stringify(bad)})`);
    assert.throws(() => nc.publish(bad, "x"), errors.InvalidSubjectError, `publish(${JSON.stringify(bad)})`);
  }
  await assert.rejects(nc.request("", "x", { timeout: 1_000 }), errors.InvalidSubjectError);
  await withTimeout(nc.flush(), 5_000, "flush");
});

for (const bad of ["foo..bar", "foo.>.bar", ".foo", "foo."]) {
  test(`subscribe to malformed subject ${JSON.stringify(bad)}: server error surfaces as a status event`, async () => {
    const nc = await clients.connect();
    const status = new StatusWatcher(nc);
    // nats.js only checks for empty/whitespace subjects; the server rejects the SUB.
    nc.subscribe(bad);
    await withTimeout(nc.flush(), 5_000, "flush");
    const ev = await status.next("error", 5_000);
    assert.ok(ev.error instanceof errors.ProtocolError, `got ${ev.error?.name}: ${ev.error?.message}`);
    assert.match(ev.error.message, /invalid subject/i);

    // Like nats-server, the connection stays usable.
    assert.equal(nc.isClosed(), false);
    const subj = uniq("still.works");
    const rec = record(nc, subj);
    nc.publish(subj, "ok");
    await withTimeout(nc.flush(), 5_000, "flush after error");
    await rec.waitCount(1);
  });
}

test("using a closed connection throws ClosedConnectionError", async () => {
  const nc = await clients.connect();
  await nc.close();
  assert.throws(() => nc.publish("x", "y"), errors.ClosedConnectionError);
  assert.throws(() => nc.subscribe("x"), errors.ClosedConnectionError);
  await assert.rejects(nc.request("x", "y", { timeout: 1_000 }), errors.ClosedConnectionError);
  await assert.rejects(nc.flush(), errors.ClosedConnectionError);
});
