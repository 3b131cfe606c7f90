// Subject wildcards: `*` matches exactly one token, `>` one or more trailing tokens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { nuid } from "@nats-io/transport-node";
import { startServer } from "../lib/server.mjs";
import { Clients, flushAll, record } from "../lib/util.mjs";

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

// Subjects published in every case (relative to a unique root token).
const SUBJECTS = [
  "foo",
  "bar",
  "foo.bar",
  "foo.baz",
  "bar.foo",
  "x.bar",
  "foo.bar.baz",
  "foo.bar.qux",
  "foo.baz.baz",
  "foo.a.b.c",
  "foox.bar",
];

// pattern -> subjects it must match (all others must not match)
const CASES = {
  "foo.bar": ["foo.bar"],
  "foo.*": ["foo.bar", "foo.baz"],
  "*.bar": ["foo.bar", "x.bar", "foox.bar"],
  "*": ["foo", "bar"],
  "foo.*.baz": ["foo.bar.baz", "foo.baz.baz"],
  "foo.>": ["foo.bar", "foo.baz", "foo.bar.baz", "foo.bar.qux", "foo.baz.baz", "foo.a.b.c"],
  "foo.*.>": ["foo.bar.baz", "foo.bar.qux", "foo.baz.baz", "foo.a.b.c"],
  "*.*": ["foo.bar", "foo.baz", "bar.foo", "x.bar", "foox.bar"],
  "*.*.*": ["foo.bar.baz", "foo.bar.qux", "foo.baz.baz"],
  ">": SUBJECTS,
  "*.>": SUBJECTS.filter((s) => s.includes(".")),
};

async function run(pattern) {
  const root = `wc${nuid.next()}`;
  const sub = await clients.connect();
  const pub = await clients.connect();
  const rec = record(sub, `${root}.${pattern}`);
  await sub.flush();

  for (const s of SUBJECTS) pub.publish(`${root}.${s}`, s);
  // Flush ordering bounds the negative cases without sleeping:
  // publisher's PONG => all routed; subscriber's PONG => all queued MSGs delivered.
  await pub.flush();
  const expected = CASES[pattern];
  await rec.waitCount(expected.length, 5_000);
  await flushAll([pub, sub]);

  const got = rec.msgs.map((m) => {
    assert.equal(m.subject, `${root}.${m.string()}`, "msg.subject is the concrete published subject");
    return m.string();
  });
  assert.deepEqual(got, expected, `pattern ${pattern}`);
  rec.sub.unsubscribe();
}

for (const pattern of Object.keys(CASES)) {
  test(`pattern "${pattern}" matches exactly its subjects`, () => run(pattern));
}

test('a publish to "foo" does not match "foo.>" but matches "foo"', async () => {
  const root = `wc${nuid.next()}`;
  const sub = await clients.connect();
  const gt = record(sub, `${root}.foo.>`);
  const lit = record(sub, `${root}.foo`);
  await sub.flush();

  sub.publish(`${root}.foo`, "bare");
  sub.publish(`${root}.foo.x`, "deep");
  await sub.flush();
  await gt.waitCount(1);
  await lit.waitCount(1);
  await sub.flush();

  assert.deepEqual(gt.strings(), ["deep"]);
  assert.deepEqual(lit.strings(), ["bare"]);
});

test("overlapping wildcard subscriptions on one connection each get a copy", async () => {
  const root = `wc${nuid.next()}`;
  const sub = await clients.connect();
  const pub = await clients.connect();
  const recs = [`${root}.a.b`, `${root}.a.*`, `${root}.*.b`, `${root}.>`].map((p) => record(sub, p));
  await sub.flush();
  pub.publish(`${root}.a.b`, "one");
  await pub.flush();
  await Promise.all(recs.map((r) => r.waitCount(1)));
  await sub.flush();
  for (const r of recs) assert.deepEqual(r.strings(), ["one"]);
});
