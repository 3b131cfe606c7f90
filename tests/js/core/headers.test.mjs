// Message headers (HPUB/HMSG) as the nats.js client sends and reads them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Empty, headers, Match } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, record, uniq } from "../lib/util.mjs";

let srv;
let clients;
let pub;
let sub;

before(async () => {
  srv = await startServer();
  clients = new Clients(srv);
  pub = await clients.connect();
  sub = await clients.connect();
});

after(async () => {
  await clients?.closeAll();
  await srv?.dispose();
});

/** Publish one message and return it as received by another connection. */
async function roundTrip(data, hdrs) {
  const subj = uniq("hdr");
  const rec = record(sub, subj, { max: 1 });
  await sub.flush();
  pub.publish(subj, data, hdrs ? { headers: hdrs } : undefined);
  await pub.flush();
  const [m] = await rec.waitCount(1);
  return m;
}

test("single and multi-valued headers", async () => {
  const h = headers();
  h.set("X-Single", "one");
  h.append("X-Multi", "first");
  h.append("X-Multi", "second");
  h.append("X-Multi", "third");
  const m = await roundTrip("payload", h);

  assert.equal(m.string(), "payload");
  assert.ok(m.headers);
  assert.equal(m.headers.get("X-Single"), "one");
  assert.deepEqual(m.headers.values("X-Multi"), ["first", "second", "third"]);
  assert.equal(m.headers.get("X-Multi"), "first");
  assert.equal(m.headers.last("X-Multi"), "third");
  assert.equal(m.headers.has("X-Absent"), false);
  assert.equal(m.headers.code, 0, "no status on a user message");
  assert.equal(m.headers.hasError, false);
});

test("header name case is preserved", async () => {
  const h = headers();
  h.set("X-MiXeD-CaSe", "v1");
  h.set("lowercase-key", "v2");
  h.set("UPPER", "v3");
  const m = await roundTrip("x", h);

  assert.deepEqual(m.headers.keys().sort(), ["UPPER", "X-MiXeD-CaSe", "lowercase-key"].sort());
  assert.equal(m.headers.get("X-MiXeD-CaSe"), "v1");
  assert.equal(m.headers.get("x-mixed-case", Match.IgnoreCase), "v1");
  assert.equal(m.headers.get("lowercase-key"), "v2");
  assert.equal(m.headers.get("UPPER"), "v3");
});

test("values with spaces, colons and punctuation survive", async () => {
  const h = headers();
  h.set("X-Url", "http://example.invalid:8080/a?b=c");
  h.set("X-Spaces", "a b  c");
  h.set("X-Json", '{"k": [1, 2]}');
  h.set("X-Empty", "");
  const m = await roundTrip("x", h);
  assert.equal(m.headers.get("X-Url"), "http://example.invalid:8080/a?b=c");
  assert.equal(m.headers.get("X-Spaces"), "a b  c");
  assert.equal(m.headers.get("X-Json"), '{"k": [1, 2]}');
  assert.equal(m.headers.has("X-Empty"), true);
  assert.equal(m.headers.get("X-Empty"), "");
});

test("many headers on one message", async () => {
  const h = headers();
  for (let i = 0; i < 100; i++) h.set(`X-H${i}`, `value-${i}`);
  const m = await roundTrip("x", h);
  assert.equal(m.headers.keys().length, 100);
  for (let i = 0; i < 100; i++) assert.equal(m.headers.get(`X-H${i}`), `value-${i}`);
});

test("headers with an empty payload", async () => {
  const h = headers();
  h.set("X-Only-Headers", "yes");
  const m = await roundTrip(Empty, h);
  assert.equal(m.data.length, 0);
  assert.ok(m.headers);
  assert.equal(m.headers.get("X-Only-Headers"), "yes");
  assert.equal(m.headers.code, 0);
});

test("binary payload after headers is byte-exact", async () => {
  const h = headers();
  h.set("X-Kind", "binary");
  const data = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
  const m = await roundTrip(data, h);
  assert.ok(Buffer.from(m.data).equals(Buffer.from(data)));
  assert.equal(m.headers.get("X-Kind"), "binary");
});

test("a status-like header line on a message with payload is still user data", async () => {
  // A user message whose header block starts "NATS/1.0 503 ..." but has a payload.
  const h = headers(503, "Looks Like No Responders");
  h.set("X-User", "1");
  const m = await roundTrip("real data", h);
  assert.equal(m.string(), "real data");
  assert.equal(m.headers.code, 503);
  assert.equal(m.headers.description, "Looks Like No Responders");
  assert.equal(m.headers.get("X-User"), "1");

  // A header literally named "Status" is an ordinary header.
  const h2 = headers();
  h2.set("Status", "503");
  const m2 = await roundTrip("more data", h2);
  assert.equal(m2.string(), "more data");
  assert.equal(m2.headers.get("Status"), "503");
  assert.equal(m2.headers.code, 0);

  // As a reply to a request: 503 + payload is a normal reply, not "no responders".
  const subj = uniq("hdr.svc");
  sub.subscribe(subj, {
    max: 1,
    callback: (err, msg) => {
      if (!err) msg.respond("payload wins", { headers: headers(503, "Service Unavailable") });
    },
  });
  await sub.flush();
  const r = await pub.request(subj, "q", { timeout: 5_000 });
  assert.equal(r.string(), "payload wins");
  assert.equal(r.headers.code, 503);
});

test("plain and header messages interleave in order on one subscription", async () => {
  const subj = uniq("hdr.mix");
  const rec = record(sub, subj);
  await sub.flush();
  for (let i = 0; i < 20; i++) {
    if (i % 2) {
      const h = headers();
      h.set("X-I", String(i));
      pub.publish(subj, String(i), { headers: h });
    } else {
      pub.publish(subj, String(i));
    }
  }
  await pub.flush();
  await rec.waitCount(20);
  rec.msgs.forEach((m, i) => {
    assert.equal(m.string(), String(i));
    if (i % 2) assert.equal(m.headers?.get("X-I"), String(i));
    else assert.equal(m.headers, undefined);
  });
});
