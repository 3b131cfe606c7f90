// Connection handshake: the INFO fields the client sees, PING/PONG round trips.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, isMeridianBinary } from "../lib/server.mjs";
import { Clients, compareVersions, withTimeout } from "../lib/util.mjs";

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

test("INFO fields as seen by the client", async (t) => {
  const nc = await clients.connect({ name: "info-test" });
  const info = nc.info;
  assert.ok(info, "client has server info");

  assert.equal(info.proto, 1, "proto");
  assert.equal(info.headers, true, "headers must be true");
  assert.equal(typeof info.max_payload, "number");
  assert.equal(info.max_payload, 1024 * 1024, "default max_payload is 1 MiB");
  assert.equal(typeof info.server_id, "string");
  assert.ok(info.server_id.length > 0, "server_id present");
  assert.equal(typeof info.go, "string");
  assert.equal(info.port, srv.port, "INFO port is the listening port");
  assert.equal(typeof info.client_id, "number", "client_id present");
  assert.ok(info.client_id > 0, "client_id > 0");
  assert.ok(!info.auth_required, "no auth configured");
  assert.ok(!info.tls_required, "no TLS configured");

  assert.match(info.version, /^\d+\.\d+\.\d+/, "version is semver");
  const isReference29 = !isMeridianBinary() && /^2\.9\./.test(info.version);
  if (isReference29) {
    t.diagnostic(`reference nats-server ${info.version}: skipping the version >= 2.10 assertion`);
  } else {
    assert.ok(
      compareVersions(info.version, "2.10.0") >= 0,
      `server version ${info.version} must be >= 2.10.0 (clients gate features on it)`,
    );
  }
});

test("each connection gets its own client_id", async () => {
  const a = await clients.connect();
  const b = await clients.connect();
  assert.notEqual(a.info.client_id, b.info.client_id);
});

test("flush (PING/PONG) round trips", async () => {
  const nc = await clients.connect();
  for (let i = 0; i < 20; i++) {
    await withTimeout(nc.flush(), 5_000, `flush #${i}`);
  }
  // Many outstanding pings at once are answered in order.
  await withTimeout(Promise.all(Array.from({ length: 50 }, () => nc.flush())), 5_000, "50 concurrent flushes");
});

test("rtt() measures a round trip", async () => {
  const nc = await clients.connect();
  const rtt = await withTimeout(nc.rtt(), 5_000, "rtt");
  assert.equal(typeof rtt, "number");
  assert.ok(rtt >= 0 && rtt < 5_000, `rtt ${rtt} ms`);
});

test("stats count a published and received message", async () => {
  const nc = await clients.connect();
  const sub = nc.subscribe("stats.check", { max: 1 });
  nc.publish("stats.check", "x");
  const got = await withTimeout(
    (async () => {
      const out = [];
      for await (const m of sub) out.push(m.string());
      return out;
    })(),
    5_000,
    "auto-unsubscribed subscription to end",
  );
  assert.deepEqual(got, ["x"]);
  const st = nc.stats();
  assert.ok(st.outMsgs >= 1, `outMsgs ${st.outMsgs}`);
  assert.ok(st.inMsgs >= 1, `inMsgs ${st.inMsgs}`);
});

test("close() resolves closed() without error", async () => {
  const nc = await clients.connect();
  await withTimeout(nc.close(), 5_000, "close");
  const err = await withTimeout(nc.closed(), 5_000, "closed()");
  assert.equal(err, undefined);
  assert.ok(nc.isClosed());
});
