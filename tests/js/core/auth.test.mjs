// Authentication: --user/--pass and --auth (token).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { connect, errors } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, explainConnectFailure, record, uniq, withTimeout } from "../lib/util.mjs";

const FAST = 10_000; // an auth failure must be reported well within this

async function expectAuthFailure(srv, opts) {
  const url = srv.url;
  const start = Date.now();
  const err = await withTimeout(
    connect({ servers: url, reconnect: false, timeout: 5_000, ...opts }),
    FAST,
    "connect with bad credentials",
  ).then(
    async (nc) => {
      await nc.close();
      assert.fail("connect should have failed");
    },
    (e) => e,
  );
  if (!(err instanceof errors.AuthorizationError)) await explainConnectFailure(err, srv.port);
  assert.ok(
    err instanceof errors.AuthorizationError,
    `expected AuthorizationError, got ${err?.name}: ${err?.message}`,
  );
  assert.match(err.message, /authorization violation/i);
  assert.ok(Date.now() - start < FAST);
  return err;
}

async function assertWorks(nc) {
  const subj = uniq("auth.ok");
  const rec = record(nc, subj);
  nc.publish(subj, "hi");
  await withTimeout(nc.flush(), 5_000, "flush");
  await rec.waitCount(1);
  assert.equal(rec.msgs[0].string(), "hi");
}

describe("user/password (--user a --pass b)", () => {
  let srv;
  let clients;
  before(async () => {
    srv = await startServer({ args: ["--user", "a", "--pass", "b"] });
    clients = new Clients(srv);
  });
  after(async () => {
    await clients?.closeAll();
    await srv?.dispose();
  });

  test("right credentials connect", async () => {
    const nc = await clients.connect({ user: "a", pass: "b" });
    assert.equal(nc.info.auth_required, true, "INFO auth_required");
    await assertWorks(nc);
  });

  test("wrong password fails with AuthorizationError", async () => {
    await expectAuthFailure(srv, { user: "a", pass: "wrong" });
  });

  test("wrong user fails with AuthorizationError", async () => {
    await expectAuthFailure(srv, { user: "nobody", pass: "b" });
  });

  test("no credentials fail with AuthorizationError", async () => {
    await expectAuthFailure(srv, {});
  });

  test("a token is not accepted in place of user/password", async () => {
    await expectAuthFailure(srv, { token: "b" });
  });
});

describe("token (--auth s3cr3t)", () => {
  let srv;
  let clients;
  before(async () => {
    srv = await startServer({ args: ["--auth", "s3cr3t"] });
    clients = new Clients(srv);
  });
  after(async () => {
    await clients?.closeAll();
    await srv?.dispose();
  });

  test("right token connects", async () => {
    const nc = await clients.connect({ token: "s3cr3t" });
    assert.equal(nc.info.auth_required, true, "INFO auth_required");
    await assertWorks(nc);
  });

  test("wrong token fails with AuthorizationError", async () => {
    await expectAuthFailure(srv, { token: "nope" });
  });

  test("no token fails with AuthorizationError", async () => {
    await expectAuthFailure(srv, {});
  });
});
