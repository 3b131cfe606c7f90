// JetStream monitoring over HTTP: GET /jsz (with accounts, streams,
// consumers, config, acc, offset) and the "jetstream" object of GET /varz,
// with nats-server 2.9.10's JSON shapes. The same assertions hold for the
// reference server (NATS_TEST_SERVER=nats-server).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { execFileSync } from "node:child_process";
import { isMeridianBinary, startServer } from "../lib/server.mjs";
import { waitFor, withTimeout } from "../lib/util.mjs";
import {
  closeJetStreamSuite,
  openJetStreamSuite,
  startJetStreamServer,
  uniqName,
} from "../lib/jetstream.mjs";

const T = { timeout: 30_000 };

let srv;
let clients;
let nc;
let jsm;
let js;

let suite;
before(async () => ({ srv, clients, nc, jsm, js } = suite = await openJetStreamSuite()));
after(() => closeJetStreamSuite(suite));

async function get(server, path) {
  assert.ok(server.monitoringUrl, "the server reports a monitoring port");
  const res = await withTimeout(fetch(`${server.monitoringUrl}${path}`), 10_000, `GET ${path}`);
  const body = await res.text();
  return { status: res.status, body, json: () => JSON.parse(body) };
}

const TOP_LEVEL = [
  "server_id", "now", "config", "memory", "storage", "reserved_memory", "reserved_storage",
  "accounts", "ha_assets", "api", "streams", "consumers", "messages", "bytes",
];

test("GET /jsz: totals, config and nats-server's top-level members", T, async () => {
  const before = (await get(srv, "/jsz")).json();
  assert.deepEqual(Object.keys(before), TOP_LEVEL);
  assert.equal(before.server_id, nc.info.server_id, "the server the client sees");
  assert.ok(!Number.isNaN(Date.parse(before.now)), before.now);
  assert.equal(before.config.store_dir, `${srv.storeDir}/jetstream`);
  for (const k of ["max_memory", "max_storage"]) assert.equal(typeof before.config[k], "number", k);
  assert.equal(before.accounts, 1);
  assert.equal(typeof before.api.total, "number");

  const name = uniqName("JSZ");
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  for (let i = 0; i < 3; i++) await js.publish(`${name}.a`, "hello");
  await jsm.consumers.add(name, { durable_name: "D1", ack_policy: "explicit" });
  const after = (await get(srv, "/jsz")).json();
  assert.equal(after.streams, before.streams + 1);
  assert.equal(after.consumers, before.consumers + 1);
  assert.equal(after.messages, before.messages + 3);
  assert.ok(after.bytes > before.bytes, `bytes grew (${before.bytes} -> ${after.bytes})`);
  assert.ok(after.storage > before.storage, `file storage grew (${before.storage} -> ${after.storage})`);
  assert.ok(after.api.total > before.api.total, "api.total counts requests");
  assert.equal(after.account_details, undefined, "no details unless asked");
  await jsm.streams.delete(name);
});

test("GET /jsz?streams&consumers&config: stream and consumer details", T, async () => {
  const name = uniqName("DET");
  await jsm.streams.add({ name, subjects: [`${name}.>`], max_bytes: 1 << 20 });
  for (let i = 0; i < 3; i++) await js.publish(`${name}.a`, "hello");
  await jsm.consumers.add(name, { durable_name: "D1", ack_policy: "explicit" });

  const top = (await get(srv, "/jsz")).json();
  assert.ok(top.reserved_storage >= 1 << 20, `max_bytes is reserved (${top.reserved_storage})`);

  const full = (await get(srv, "/jsz?streams=true&consumers=true&config=true")).json();
  assert.equal(full.account_details.length, 1);
  const acc = full.account_details[0];
  assert.equal(acc.name, "$G");
  assert.equal(acc.id, "$G");
  assert.equal(typeof acc.api.total, "number");
  const sd = acc.stream_detail.find((s) => s.name === name);
  assert.ok(sd, `stream ${name} in stream_detail`);
  assert.deepEqual(Object.keys(sd), ["name", "created", "cluster", "config", "state", "consumer_detail"]);
  assert.ok(!Number.isNaN(Date.parse(sd.created)));
  assert.equal(typeof sd.cluster.leader, "string");
  assert.equal(sd.config.name, name);
  assert.equal(sd.config.max_bytes, 1 << 20);
  assert.equal(sd.state.messages, 3);
  assert.equal(sd.state.last_seq, 3);
  assert.equal(sd.state.consumer_count, 1);
  assert.equal(sd.consumer_detail.length, 1);
  const cd = sd.consumer_detail[0];
  assert.equal(cd.stream_name, name);
  assert.equal(cd.name, "D1");
  assert.equal(cd.config.durable_name, "D1");
  assert.equal(cd.num_pending, 3);

  const bare = (await get(srv, "/jsz?consumers=true")).json();  // consumers imply streams, accounts
  const bd = bare.account_details[0].stream_detail.find((s) => s.name === name);
  assert.deepEqual(Object.keys(bd), ["name", "created", "cluster", "state", "consumer_detail"]);
  assert.equal(bd.consumer_detail[0].config, undefined, "no config without config=true");

  const accounts = (await get(srv, "/jsz?accounts=true")).json();
  assert.equal(accounts.account_details[0].stream_detail, undefined, "no streams unless asked");
  await jsm.streams.delete(name);
});

test("GET /jsz: acc, offset and bad query values", T, async () => {
  const named = (await get(srv, "/jsz?acc=$G")).json();
  assert.equal(named.account_details?.[0]?.name, "$G", "a named account is shown without accounts=true");
  const paged = (await get(srv, "/jsz?accounts=true&offset=1")).json();
  assert.equal(paged.account_details, undefined, "paged past the only account");
  const bad = await get(srv, "/jsz?streams=maybe");
  assert.equal(bad.status, 400);
  assert.equal(bad.body, `Error decoding boolean for 'streams': strconv.ParseBool: parsing "maybe": invalid syntax`);
  const badInt = await get(srv, "/jsz?limit=x");
  assert.equal(badInt.status, 400);
  assert.equal(badInt.body, `Error decoding int for 'limit': strconv.Atoi: parsing "x": invalid syntax`);
  const goBool = (await get(srv, "/jsz?accounts=T")).json();
  assert.equal(goBool.account_details?.length, 1, "T is true, as Go's ParseBool reads it");
});

test("GET /varz: the jetstream object has config and stats", T, async () => {
  const varz = (await get(srv, "/varz")).json();
  assert.deepEqual(Object.keys(varz.jetstream).slice(0, 2), ["config", "stats"]);
  assert.equal(varz.jetstream.config.store_dir, `${srv.storeDir}/jetstream`);
  assert.equal(typeof varz.jetstream.stats.api.total, "number");
  assert.equal(varz.jetstream.stats.accounts, 1);
});

test("GET /healthz with JetStream: ok, with every option; bad values 400", T, async () => {
  for (const q of ["", "?js-enabled-only=true", "?js-server-only=true", "?js-enabled-only=false"]) {
    const h = await get(srv, `/healthz${q}`);
    assert.equal(h.status, 200, `${q}: ${h.body}`);
    assert.deepEqual(h.json(), { status: "ok" }, q);
  }
  const bad = await get(srv, "/healthz?js-enabled-only=maybe");
  assert.equal(bad.status, 400);
  assert.equal(bad.body, `Error decoding boolean for 'js-enabled-only': strconv.ParseBool: parsing "maybe": invalid syntax`);
});

test("[meridian] meridian-jetstream not answering: /healthz and /jsz 503 until it answers again", T, async (t) => {
  if (!isMeridianBinary()) {
    t.skip("Meridian's JetStream runs in its own process");
    return;
  }
  const own = await startJetStreamServer();
  let stopped = 0;
  try {
    const jsPid = Number(execFileSync("pgrep", ["-P", String(own.pid), "-f", "meridian-jetstream"]).toString().trim());
    assert.ok(jsPid > 0, "meridian-jetstream runs under the launcher");
    assert.equal((await get(own, "/healthz")).status, 200);
    // Stopped, not killed: the launcher does not restart it, it just does not answer.
    process.kill(jsPid, "SIGSTOP");
    stopped = jsPid;
    const down = await get(own, "/healthz");
    assert.equal(down.status, 503, down.body);
    assert.equal(down.json().status, "unavailable");
    assert.match(down.json().error, /^JetStream not enabled: meridian-jetstream did not answer/);
    const jsz = await get(own, "/jsz");
    assert.equal(jsz.status, 503, jsz.body);
    assert.match(jsz.body, /^JetStream service unavailable: /);
    process.kill(jsPid, "SIGCONT");
    stopped = 0;
    let up;
    await waitFor(async () => (up = await get(own, "/healthz")).status === 200, {
      timeout: 15_000,
      interval: 50,
      label: "/healthz ok again",
      describe: () => up?.body,
    });
    assert.equal((await get(own, "/jsz")).json().disabled, undefined);
  } finally {
    if (stopped) process.kill(stopped, "SIGCONT");
    await own.dispose();
  }
});

test("GET /jsz without JetStream: disabled, and leader-only refused", T, async () => {
  const plain = await startServer();
  try {
    const jsz = (await get(plain, "/jsz")).json();
    assert.equal(jsz.disabled, true);
    assert.deepEqual(Object.keys(jsz), ["server_id", "now", "disabled", ...TOP_LEVEL.slice(2)]);
    assert.deepEqual(jsz.config, { max_memory: 0, max_storage: 0 });
    const leader = await get(plain, "/jsz?leader-only=true");
    assert.equal(leader.status, 400);
    assert.equal(leader.body, "filtered response: not leader");
    const varz = (await get(plain, "/varz")).json();
    assert.deepEqual(varz.jetstream, {});
  } finally {
    await plain.dispose();
  }
});
