// Request/reply through the server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { errors, headers, deferred } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, uniq, withTimeout } from "../lib/util.mjs";

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

function upperResponder(nc, subj, opts = {}) {
  return nc.subscribe(subj, {
    ...opts,
    callback: (err, msg) => {
      if (!err) msg.respond(msg.string().toUpperCase());
    },
  });
}

test("request gets the responder's reply", async () => {
  const svc = await clients.connect();
  const cli = await clients.connect();
  const subj = uniq("svc.upper");
  upperResponder(svc, subj);
  await svc.flush();

  const r = await cli.request(subj, "hello", { timeout: 5_000 });
  assert.equal(r.string(), "HELLO");
  assert.equal(r.subject.startsWith("_INBOX."), true, `reply delivered on inbox, got ${r.subject}`);
});

test("request with noMux (one inbox per request)", async () => {
  const svc = await clients.connect();
  const cli = await clients.connect();
  const subj = uniq("svc.nomux");
  upperResponder(svc, subj);
  await svc.flush();

  const r = await cli.request(subj, "abc", { timeout: 5_000, noMux: true });
  assert.equal(r.string(), "ABC");
});

test("500 concurrent requests each get their own reply", async () => {
  const svc = await clients.connect();
  const cli = await clients.connect();
  const subj = uniq("svc.many");
  upperResponder(svc, subj);
  await svc.flush();

  const N = 500;
  const replies = await withTimeout(
    Promise.all(Array.from({ length: N }, (_, i) => cli.request(subj, `req-${i}`, { timeout: 10_000 }))),
    20_000,
    `${N} concurrent requests`,
  );
  for (let i = 0; i < N; i++) assert.equal(replies[i].string(), `REQ-${i}`);
});

test("requests to a queue-group service are answered once each", async () => {
  const svcs = [await clients.connect(), await clients.connect(), await clients.connect()];
  const cli = await clients.connect();
  const subj = uniq("svc.queue");
  let handled = 0;
  for (const [i, nc] of svcs.entries()) {
    nc.subscribe(subj, {
      queue: "svc",
      callback: (err, msg) => {
        if (err) return;
        handled++;
        msg.respond(`${i}:${msg.string()}`);
      },
    });
  }
  await Promise.all(svcs.map((nc) => nc.flush()));

  const N = 60;
  const replies = await Promise.all(
    Array.from({ length: N }, (_, i) => cli.request(subj, String(i), { timeout: 5_000 })),
  );
  for (let i = 0; i < N; i++) assert.match(replies[i].string(), new RegExp(`^[012]:${i}$`));
  await Promise.all(svcs.map((nc) => nc.flush()));
  assert.equal(handled, N);
});

test("a slow responder makes the request fail with TimeoutError", async () => {
  const svc = await clients.connect();
  const cli = await clients.connect();
  const subj = uniq("svc.slow");
  const release = deferred();
  let received = 0;
  svc.subscribe(subj, {
    callback: (err, msg) => {
      if (err) return;
      received++;
      // Answers only after the requester has given up.
      release.then(() => msg.respond("too late"));
    },
  });
  await svc.flush();

  const start = Date.now();
  const err = await cli.request(subj, "x", { timeout: 300 }).then(
    () => assert.fail("request should have timed out"),
    (e) => e,
  );
  const elapsed = Date.now() - start;
  assert.ok(err instanceof errors.TimeoutError, `expected TimeoutError, got ${err?.name}: ${err?.message}`);
  assert.ok(elapsed >= 250 && elapsed < 5_000, `timed out after ${elapsed} ms`);
  assert.equal(received, 1, "the responder did get the request");

  // The late reply is dropped harmlessly; the connection keeps working.
  release.resolve();
  await svc.flush();
  await cli.flush();
  upperResponder(svc, `${subj}.ok`);
  await svc.flush();
  assert.equal((await cli.request(`${subj}.ok`, "still ok", { timeout: 5_000 })).string(), "STILL OK");
});

test("headers travel on the request and on the reply", async () => {
  const svc = await clients.connect();
  const cli = await clients.connect();
  const subj = uniq("svc.hdrs");
  let seen;
  svc.subscribe(subj, {
    callback: (err, msg) => {
      if (err) return;
      seen = {
        id: msg.headers?.get("X-Request-Id"),
        multi: msg.headers?.values("X-Multi"),
        data: msg.string(),
      };
      const h = headers();
      h.set("X-Reply-To-Id", msg.headers?.get("X-Request-Id") ?? "");
      h.append("X-Trace", "svc-1");
      h.append("X-Trace", "svc-2");
      msg.respond(`reply:${msg.string()}`, { headers: h });
    },
  });
  await svc.flush();

  const h = headers();
  h.set("X-Request-Id", "42");
  h.append("X-Multi", "a");
  h.append("X-Multi", "b");
  const r = await cli.request(subj, "body", { timeout: 5_000, headers: h });

  assert.deepEqual(seen, { id: "42", multi: ["a", "b"], data: "body" });
  assert.equal(r.string(), "reply:body");
  assert.ok(r.headers, "reply has headers");
  assert.equal(r.headers.get("X-Reply-To-Id"), "42");
  assert.deepEqual(r.headers.values("X-Trace"), ["svc-1", "svc-2"]);
});

test("requestMany collects replies from several responders", async () => {
  const svcs = [await clients.connect(), await clients.connect(), await clients.connect()];
  const cli = await clients.connect();
  const subj = uniq("svc.scatter");
  for (const [i, nc] of svcs.entries()) {
    nc.subscribe(subj, { callback: (err, msg) => !err && msg.respond(`r${i}`) });
  }
  await Promise.all(svcs.map((nc) => nc.flush()));

  const iter = await cli.requestMany(subj, "q", { strategy: "count", maxMessages: 3, maxWait: 5_000 });
  const got = [];
  await withTimeout(
    (async () => {
      for await (const m of iter) got.push(m.string());
    })(),
    10_000,
    "requestMany",
  );
  assert.deepEqual(got.sort(), ["r0", "r1", "r2"]);
});
