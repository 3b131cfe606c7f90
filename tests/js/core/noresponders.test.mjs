// No-responders: a request to a subject with no subscribers fails fast (503 status).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { errors } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, uniq } from "../lib/util.mjs";

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

const TIMEOUT = 10_000;
const FAST = 2_000; // "well under the timeout"

async function expectNoResponders(nc, subj, opts = {}) {
  const start = Date.now();
  const err = await nc.request(subj, "anyone?", { timeout: TIMEOUT, ...opts }).then(
    (m) => assert.fail(`expected no-responders, got a reply: ${m.string()}`),
    (e) => e,
  );
  const elapsed = Date.now() - start;
  assert.ok(elapsed < FAST, `failed after ${elapsed} ms; must be well under the ${TIMEOUT} ms timeout`);
  // nats.js v3: RequestError whose cause is NoRespondersError.
  assert.ok(err instanceof errors.RequestError, `expected RequestError, got ${err?.name}: ${err?.message}`);
  assert.equal(err.isNoResponders(), true, "err.isNoResponders()");
  assert.ok(err.cause instanceof errors.NoRespondersError, `cause ${err.cause?.name}`);
  assert.equal(err.cause.subject, subj);
  return err;
}

test("request with no subscribers fails fast with NoRespondersError", async () => {
  const nc = await clients.connect();
  await expectNoResponders(nc, uniq("nobody.home"));
});

test("noMux request with no subscribers fails fast with NoRespondersError", async () => {
  const nc = await clients.connect();
  await expectNoResponders(nc, uniq("nobody.nomux"), { noMux: true });
});

test("many concurrent no-responder requests all fail fast", async () => {
  const nc = await clients.connect();
  const subjects = Array.from({ length: 50 }, () => uniq("nobody.many"));
  await Promise.all(subjects.map((s) => expectNoResponders(nc, s)));
});

test("responder appears, then leaves: reply, then no-responders again", async () => {
  const svc = await clients.connect();
  const cli = await clients.connect();
  const subj = uniq("comes.and.goes");

  await expectNoResponders(cli, subj);

  const sub = svc.subscribe(subj, { callback: (err, msg) => !err && msg.respond("here") });
  await svc.flush();
  assert.equal((await cli.request(subj, "x", { timeout: TIMEOUT })).string(), "here");

  sub.unsubscribe();
  await svc.flush();
  await expectNoResponders(cli, subj);
});

test("a queue-group subscriber counts as a responder; a wildcard one too", async () => {
  const svc = await clients.connect();
  const cli = await clients.connect();
  const root = uniq("nr");
  svc.subscribe(`${root}.q`, { queue: "g", callback: (err, msg) => !err && msg.respond("q") });
  svc.subscribe(`${root}.w.*`, { callback: (err, msg) => !err && msg.respond("w") });
  await svc.flush();
  assert.equal((await cli.request(`${root}.q`, "", { timeout: TIMEOUT })).string(), "q");
  assert.equal((await cli.request(`${root}.w.x`, "", { timeout: TIMEOUT })).string(), "w");
  await expectNoResponders(cli, `${root}.w.x.y`);
});

test("the connection keeps working after no-responders", async () => {
  const nc = await clients.connect();
  await expectNoResponders(nc, uniq("nobody"));
  await nc.flush();
  const subj = uniq("after");
  nc.subscribe(subj, { callback: (err, msg) => !err && msg.respond("ok") });
  await nc.flush();
  assert.equal((await nc.request(subj, "", { timeout: TIMEOUT })).string(), "ok");
});
