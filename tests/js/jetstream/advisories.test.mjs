// JetStream advisories and metrics on $JS.EVENT.> (nats-server 2.9.10's
// server/jetstream_events.go): stream and consumer create/update/delete,
// max deliveries, naks, terminations, the API audit and the ack metric with
// sample_freq. Every check subscribes first; the server publishes an event
// only to those who listen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { record, waitFor } from "../lib/util.mjs";
import {
  apiRequest,
  closeJetStreamSuite,
  expectApiError,
  openJetStreamSuite,
  publishN,
  uniqName,
} from "../lib/jetstream.mjs";

let srv;
let clients;
let nc;
let jsm;
let js;

let suite;
before(async () => ({ srv, clients, nc, jsm, js } = suite = await openJetStreamSuite()));
after(() => closeJetStreamSuite(suite));

const NS = 1_000_000; // nanoseconds per millisecond
const T = { timeout: 30_000 };
const EVENT_KEYS = ["type", "id", "timestamp"]; // TypedEvent, always first
// MSG_NAKED and MSG_TERMINATED advisories, in Go struct order.
const NAK_TERM_KEYS = [...EVENT_KEYS, "stream", "consumer", "consumer_seq", "stream_seq", "deliveries"];

/**
 * Subscribe to every event ($JS.EVENT.>) and wait until the server knows:
 * interest reaches JetStream asynchronously (in Meridian through the
 * router), so send $JS.API.INFO requests until their audit comes back.
 */
async function watchEvents() {
  const rec = record(nc, "$JS.EVENT.>");
  await nc.flush();
  const seen = () => rec.msgs.some((m) => m.subject === "$JS.EVENT.ADVISORY.API" && m.json().subject === "$JS.API.INFO");
  await waitFor(
    async () => {
      if (seen()) return true;
      await apiRequest(nc, "$JS.API.INFO");
      return waitFor(seen, { timeout: 200 }).catch(() => false);
    },
    { timeout: 10_000, interval: 0, label: "API audit of $JS.API.INFO (event interest)" },
  );
  return {
    rec,
    /** Parsed events on `subject`, in arrival order. */
    on(subject) {
      return rec.msgs.filter((m) => m.subject === subject).map((m) => m.json());
    },
    /** Wait for the `n`-th event on `subject` (1-based) matching `pred`; return it. */
    async next(subject, pred = () => true, n = 1, timeout = 10_000) {
      const found = await waitFor(
        () => {
          const hits = this.on(subject).filter(pred);
          return hits.length >= n ? hits[n - 1] : null;
        },
        { timeout, label: `event #${n} on ${subject}`, describe: () => rec.msgs.map((m) => m.subject).join(", ") },
      );
      return found;
    },
    /** Subjects of every event received, in order. */
    subjects() {
      return rec.msgs.map((m) => m.subject);
    },
    stop() {
      rec.sub.unsubscribe();
    },
  };
}

/** Runs `body(ev)` with an event watcher that is stopped afterwards, whatever happens. */
async function withEvents(body) {
  const ev = await watchEvents();
  try {
    return await body(ev);
  } finally {
    ev.stop();
  }
}

/** The TypedEvent part: type, a NUID-like id, a recent RFC 3339 UTC timestamp. */
function assertEvent(e, type, t0) {
  assert.equal(e.type, type);
  assert.equal(typeof e.id, "string");
  assert.match(e.id, /^[0-9A-Za-z]{22}$/, "id is a NUID");
  assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/, "RFC 3339 UTC with nanoseconds");
  const ts = Date.parse(e.timestamp);
  assert.ok(ts >= t0 - 2_000 && ts <= Date.now() + 2_000, `timestamp ${e.timestamp} is now`);
}

test("stream created, updated and deleted advisories", T, () =>
  withEvents(async (ev) => {
    const name = uniqName("ADVS");
    const t0 = Date.now();
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    const created = await ev.next(`$JS.EVENT.ADVISORY.STREAM.CREATED.${name}`);
    assertEvent(created, "io.nats.jetstream.advisory.v1.stream_action", t0);
    // Go struct order, template and domain omitted when empty.
    assert.deepEqual(Object.keys(created), [...EVENT_KEYS, "stream", "action"]);
    assert.equal(created.stream, name);
    assert.equal(created.action, "create");

    // The same create again is idempotent: no second advisory (checked below).
    await jsm.streams.add({ name, subjects: [`${name}.>`] });

    await jsm.streams.update(name, { max_msgs: 10 });
    const updated = await ev.next(`$JS.EVENT.ADVISORY.STREAM.UPDATED.${name}`);
    assertEvent(updated, "io.nats.jetstream.advisory.v1.stream_action", t0);
    assert.deepEqual(Object.keys(updated), [...EVENT_KEYS, "stream", "action"]);
    assert.deepEqual([updated.stream, updated.action], [name, "modify"]);

    assert.equal(await jsm.streams.delete(name), true);
    const deleted = await ev.next(`$JS.EVENT.ADVISORY.STREAM.DELETED.${name}`);
    assertEvent(deleted, "io.nats.jetstream.advisory.v1.stream_action", t0);
    assert.deepEqual(Object.keys(deleted), [...EVENT_KEYS, "stream", "action"]);
    assert.deepEqual([deleted.stream, deleted.action], [name, "delete"]);

    assert.equal(ev.on(`$JS.EVENT.ADVISORY.STREAM.CREATED.${name}`).length, 1, "one create advisory");
    const ids = [created.id, updated.id, deleted.id];
    assert.equal(new Set(ids).size, 3, "unique ids");
    // Events of one stream arrive in order.
    const order = ev.subjects().filter((s) => s.startsWith("$JS.EVENT.ADVISORY.STREAM.") && s.endsWith(`.${name}`));
    assert.deepEqual(order, [
      `$JS.EVENT.ADVISORY.STREAM.CREATED.${name}`,
      `$JS.EVENT.ADVISORY.STREAM.UPDATED.${name}`,
      `$JS.EVENT.ADVISORY.STREAM.DELETED.${name}`,
    ]);
  }),
);

test("consumer created and deleted advisories (also when the stream is deleted)", T, () =>
  withEvents(async (ev) => {
    const name = uniqName("ADVC");
    const t0 = Date.now();
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await jsm.consumers.add(name, { durable_name: "c1", ack_policy: "explicit" });
    const created = await ev.next(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.${name}.c1`);
    assertEvent(created, "io.nats.jetstream.advisory.v1.consumer_action", t0);
    assert.deepEqual(Object.keys(created), [...EVENT_KEYS, "stream", "consumer", "action"]);
    assert.deepEqual([created.stream, created.consumer, created.action], [name, "c1", "create"]);

    // An update is not a creation.
    await jsm.consumers.update(name, "c1", { description: "changed" });

    assert.equal(await jsm.consumers.delete(name, "c1"), true);
    const deleted = await ev.next(`$JS.EVENT.ADVISORY.CONSUMER.DELETED.${name}.c1`);
    assertEvent(deleted, "io.nats.jetstream.advisory.v1.consumer_action", t0);
    assert.deepEqual(Object.keys(deleted), [...EVENT_KEYS, "stream", "consumer", "action"]);
    assert.deepEqual([deleted.stream, deleted.consumer, deleted.action], [name, "c1", "delete"]);
    assert.equal(ev.on(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.${name}.c1`).length, 1, "update sent no create");

    // Deleting the stream deletes its consumers: their advisories, then the stream's.
    await jsm.consumers.add(name, { durable_name: "c2", ack_policy: "explicit" });
    await ev.next(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.${name}.c2`);
    assert.equal(await jsm.streams.delete(name), true);
    await ev.next(`$JS.EVENT.ADVISORY.STREAM.DELETED.${name}`);
    const c2 = await ev.next(`$JS.EVENT.ADVISORY.CONSUMER.DELETED.${name}.c2`);
    assert.deepEqual([c2.stream, c2.consumer, c2.action], [name, "c2", "delete"]);
    const subjects = ev.subjects();
    assert.ok(
      subjects.indexOf(`$JS.EVENT.ADVISORY.CONSUMER.DELETED.${name}.c2`) <
        subjects.indexOf(`$JS.EVENT.ADVISORY.STREAM.DELETED.${name}`),
      "consumer deletion announced before the stream's",
    );
  }),
);

test("naks are announced; max_deliver 2 reached after two naks gives MAX_DELIVERIES", T, () =>
  withEvents(async (ev) => {
    const name = uniqName("ADVM");
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await publishN(js, 1, `${name}.a`);
    await jsm.consumers.add(name, { durable_name: "m", ack_policy: "explicit", max_deliver: 2 });
    const c = await js.consumers.get(name, "m");
    const t0 = Date.now();

    const m1 = await c.next({ expires: 2_000 });
    assert.equal(m1.info.deliveryCount, 1);
    await nc.request(m1.reply, "-NAK", { timeout: 5_000 }); // confirmed nak
    const m2 = await c.next({ expires: 2_000 });
    assert.deepEqual([m2.seq, m2.info.deliveryCount], [1, 2]);
    await nc.request(m2.reply, "-NAK", { timeout: 5_000 });

    // nats-server announces the NAKs (MSG_NAKED) with the ack subject's numbers.
    const nakSubject = `$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.${name}.m`;
    const nak1 = await ev.next(nakSubject);
    const nak2 = await ev.next(nakSubject, () => true, 2);
    assertEvent(nak1, "io.nats.jetstream.advisory.v1.nak", t0);
    assert.deepEqual(Object.keys(nak1), NAK_TERM_KEYS);
    assert.deepEqual(
      [nak1.stream, nak1.consumer, nak1.consumer_seq, nak1.stream_seq, nak1.deliveries],
      [name, "m", 1, 1, 1],
    );
    assert.deepEqual([nak2.consumer_seq, nak2.stream_seq, nak2.deliveries], [2, 1, 2]);

    // The next pull finds the message past max_deliver: not delivered, announced.
    assert.equal(await c.next({ expires: 1_500 }), null, "no third delivery");
    const max = await ev.next(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${name}.m`);
    assertEvent(max, "io.nats.jetstream.advisory.v1.max_deliver", t0);
    assert.deepEqual(Object.keys(max), [...EVENT_KEYS, "stream", "consumer", "stream_seq", "deliveries"]);
    assert.deepEqual([max.stream, max.consumer, max.stream_seq, max.deliveries], [name, "m", 1, 2]);
    const ci = await c.info();
    assert.equal(ci.num_ack_pending, 0, "no longer pending");
    assert.equal(ev.on(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${name}.m`).length, 1, "announced once");
  }),
);

test("max_deliver reached by ack_wait expiry gives MAX_DELIVERIES", T, () =>
  withEvents(async (ev) => {
    const name = uniqName("ADVW");
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await publishN(js, 2, `${name}.a`);
    await jsm.consumers.add(name, { durable_name: "w", ack_policy: "explicit", ack_wait: 500 * NS, max_deliver: 1 });
    const c = await js.consumers.get(name, "w");
    const m1 = await c.next({ expires: 2_000 });
    assert.deepEqual([m1.seq, m1.info.deliveryCount], [1, 1]);
    await m1.ackAck(); // seq 1 is acked: only seq 2 runs out
    const m2 = await c.next({ expires: 2_000 });
    assert.deepEqual([m2.seq, m2.info.deliveryCount], [2, 1]);
    // nats-server drops it when a pull request is waiting after ack_wait
    // (Meridian at the ack_wait expiry itself): keep one waiting.
    assert.equal(await c.next({ expires: 2_500 }), null, "not redelivered");
    const max = await ev.next(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${name}.w`);
    assert.deepEqual([max.stream, max.consumer, max.stream_seq, max.deliveries], [name, "w", 2, 1]);
    assert.equal((await c.info()).num_ack_pending, 0);
  }),
);

test("+TERM gives MSG_TERMINATED with the delivery's numbers", T, () =>
  withEvents(async (ev) => {
    const name = uniqName("ADVT");
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await publishN(js, 2, `${name}.a`);
    await jsm.consumers.add(name, { durable_name: "t", ack_policy: "explicit" });
    const c = await js.consumers.get(name, "t");
    const t0 = Date.now();
    const m1 = await c.next({ expires: 2_000 });
    await nc.request(m1.reply, "-NAK", { timeout: 5_000 });
    const again = await c.next({ expires: 2_000 });
    assert.deepEqual([again.seq, again.info.deliveryCount, again.info.deliverySequence], [1, 2, 2]);
    await nc.request(again.reply, "+TERM", { timeout: 5_000 });

    const term = await ev.next(`$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${name}.t`);
    assertEvent(term, "io.nats.jetstream.advisory.v1.terminated", t0);
    assert.deepEqual(Object.keys(term), NAK_TERM_KEYS);
    assert.deepEqual(
      [term.stream, term.consumer, term.consumer_seq, term.stream_seq, term.deliveries],
      [name, "t", 2, 1, 2],
    );
    const ci = await c.info();
    assert.equal(ci.num_ack_pending, 0, "terminated = acked");
    assert.equal(ci.delivered.stream_seq, 1);
  }),
);

test("API audit: answered requests with subject, request, response and client account", T, () =>
  withEvents(async (ev) => {
    const name = uniqName("ADVA");
    const t0 = Date.now();
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await publishN(js, 1, `${name}.a`);

    const createSubj = `$JS.API.STREAM.CREATE.${name}`;
    const create = await ev.next("$JS.EVENT.ADVISORY.API", (e) => e.subject === createSubj);
    assertEvent(create, "io.nats.jetstream.advisory.v1.api_audit", t0);
    // Go order: server, client, subject, request (omitempty), response, domain (omitempty).
    assert.deepEqual(Object.keys(create), [...EVENT_KEYS, "server", "client", "subject", "request", "response"]);
    assert.equal(typeof create.server, "string");
    assert.ok(create.server.length > 0, "server name");
    assert.equal(create.client.acc, "$G", "the requester's account");
    assert.equal(JSON.parse(create.request).name, name, "request body as sent");
    const createResp = JSON.parse(create.response);
    assert.equal(createResp.type, "io.nats.jetstream.api.v1.stream_create_response");
    assert.equal(createResp.config.name, name);

    // An error answer is audited too.
    await expectApiError(jsm.streams.info(`${name}_missing`), { err_code: 10059 });
    const missSubj = `$JS.API.STREAM.INFO.${name}_missing`;
    const miss = await ev.next("$JS.EVENT.ADVISORY.API", (e) => e.subject === missSubj);
    assert.equal(JSON.parse(miss.response).error.err_code, 10059);

    // A successful STREAM.MSG.GET is not audited (nats-server 2.9.10), the
    // request after it is: once that one's audit is here, none came for the get.
    const got = await apiRequest(nc, `$JS.API.STREAM.MSG.GET.${name}`, { seq: 1 });
    assert.equal(got.message.seq, 1);
    const info = await apiRequest(nc, `$JS.API.STREAM.INFO.${name}`);
    assert.equal(info.config.name, name);
    const infoAudit = await ev.next("$JS.EVENT.ADVISORY.API", (e) => e.subject === `$JS.API.STREAM.INFO.${name}`);
    assert.equal(infoAudit.request, undefined, "empty request body omitted");
    assert.deepEqual(JSON.parse(infoAudit.response), info, "the response as the requester got it");
    assert.equal(
      ev.on("$JS.EVENT.ADVISORY.API").filter((e) => e.subject === `$JS.API.STREAM.MSG.GET.${name}`).length,
      0,
      "successful msg get not audited",
    );
  }),
);

test("ack metric with sample_freq 100%; sample_freq round-trips", T, () =>
  withEvents(async (ev) => {
    const name = uniqName("ADVK");
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await publishN(js, 2, `${name}.a`);
    const ci = await jsm.consumers.add(name, { durable_name: "k", ack_policy: "explicit", sample_freq: "100%" });
    assert.equal(ci.config.sample_freq, "100%");
    assert.equal((await jsm.consumers.info(name, "k")).config.sample_freq, "100%");
    const other = await jsm.consumers.add(name, { durable_name: "k30", ack_policy: "explicit", sample_freq: "30" });
    assert.equal(other.config.sample_freq, "30", "plain number form kept as given");
    await expectApiError(
      jsm.consumers.add(name, { durable_name: "bad", ack_policy: "explicit", sample_freq: "often" }),
      { err_code: 10095 },
    );

    const c = await js.consumers.get(name, "k");
    const t0 = Date.now();
    const m1 = await c.next({ expires: 2_000 });
    assert.equal(await m1.ackAck(), true);
    const m2 = await c.next({ expires: 2_000 });
    await nc.request(m2.reply, "-NAK", { timeout: 5_000 });
    const m2b = await c.next({ expires: 2_000 });
    assert.equal(await m2b.ackAck(), true);

    const subject = `$JS.EVENT.METRIC.CONSUMER.ACK.${name}.k`;
    const a1 = await ev.next(subject);
    assertEvent(a1, "io.nats.jetstream.metric.v1.consumer_ack", t0);
    assert.deepEqual(Object.keys(a1), [
      ...EVENT_KEYS,
      "stream",
      "consumer",
      "consumer_seq",
      "stream_seq",
      "ack_time",
      "deliveries",
    ]);
    assert.deepEqual([a1.stream, a1.consumer, a1.consumer_seq, a1.stream_seq, a1.deliveries], [name, "k", 1, 1, 1]);
    assert.ok(Number.isInteger(a1.ack_time) && a1.ack_time > 0, `ack_time ${a1.ack_time} ns`);
    assert.ok(a1.ack_time < 10_000 * NS, `ack_time ${a1.ack_time} ns is the ack latency`);
    // The redelivered one: the ack subject's delivery sequence and count.
    const a2 = await ev.next(subject, () => true, 2);
    assert.deepEqual([a2.consumer_seq, a2.stream_seq, a2.deliveries], [3, 2, 2]);
  }),
);
