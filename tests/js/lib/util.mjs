// Small helpers shared by the test files. Every wait here has a deadline.

import net from "node:net";
import { connect, nuid } from "@nats-io/transport-node";

/** Reject with a labelled error if `promise` does not settle within `ms`. */
export async function withTimeout(promise, ms, label = "operation") {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not complete within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Poll `fn` (sync or async) until it returns a truthy value; return that value.
 * Throws after `timeout` ms. `describe` (optional) adds state to the error.
 */
export async function waitFor(fn, { timeout = 5_000, interval = 10, label = "condition", describe } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() >= deadline) {
      const extra = describe ? ` (${describe()})` : "";
      throw new Error(`${label} not met within ${timeout} ms${extra}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Read exactly `count` messages from an iterator subscription, bounded by
 * `timeout` ms. Returns the messages. Does not unsubscribe.
 */
export async function collect(sub, count, timeout = 5_000) {
  const msgs = [];
  if (count === 0) return msgs;
  const it = sub[Symbol.asyncIterator]();
  const read = (async () => {
    while (msgs.length < count) {
      const r = await it.next();
      if (r.done) break;
      msgs.push(r.value);
    }
    return msgs;
  })();
  await withTimeout(read, timeout, `receiving ${count} messages on ${sub.getSubject()} (got ${msgs.length} so far)`).catch(
    (err) => {
      err.message += ` [received ${msgs.length}]`;
      throw err;
    },
  );
  return msgs;
}

/**
 * Iterate a subscription to its natural end (auto-unsubscribe, drain,
 * unsubscribe), bounded by `timeout` ms. Returns the messages.
 */
export async function collectUntilClosed(sub, timeout = 5_000) {
  const msgs = [];
  const read = (async () => {
    for await (const m of sub) msgs.push(m);
    return msgs;
  })();
  await withTimeout(read, timeout, `subscription ${sub.getSubject()} to close (got ${msgs.length})`);
  return msgs;
}

/** A unique subject prefix for one test. */
export function uniq(prefix = "t") {
  return `${prefix}.${nuid.next()}`;
}

/**
 * Tracks connections opened by a test file so that after() can close them
 * all (bounded), even when a test failed halfway.
 */
export class Clients {
  constructor(server) {
    this.server = server;
    this.conns = new Set();
  }

  async connect(opts = {}) {
    let nc;
    try {
      nc = await withTimeout(
        connect({
          servers: this.server.url,
          timeout: 5_000,
          // Tests that want reconnects say so; by default a lost server fails fast.
          reconnect: false,
          ...opts,
        }),
        15_000,
        `connect to ${this.server.url}`,
      );
    } catch (err) {
      throw await explainConnectFailure(err, this.server.port);
    }
    this.conns.add(nc);
    return nc;
  }

  async closeAll() {
    const all = [...this.conns];
    this.conns.clear();
    await Promise.all(
      all.map((nc) => (nc.isClosed() ? undefined : withTimeout(nc.close(), 5_000, "close").catch(() => {}))),
    );
  }
}

/** Flush every given connection (bounded). */
export async function flushAll(conns, timeout = 5_000) {
  await withTimeout(Promise.all(conns.map((c) => c.flush())), timeout, "flush");
}

/**
 * Records status events of a connection; `next(type, timeout)` waits for the
 * next event of that type not yet consumed.
 */
export class StatusWatcher {
  constructor(nc) {
    this.events = [];
    this.cursor = new Map(); // type -> index of next unseen event of that type
    this.waiters = [];
    this.done = (async () => {
      for await (const s of nc.status()) {
        this.events.push(s);
        for (const w of [...this.waiters]) w();
      }
    })().catch(() => {});
  }

  types() {
    return this.events.map((e) => e.type);
  }

  async next(type, timeout = 10_000) {
    const find = () => {
      const from = this.cursor.get(type) ?? 0;
      for (let i = from; i < this.events.length; i++) {
        if (this.events[i].type === type) {
          this.cursor.set(type, i + 1);
          return this.events[i];
        }
      }
      return null;
    };
    const hit = find();
    if (hit) return hit;
    let wake;
    const p = new Promise((resolve) => {
      wake = () => {
        const e = find();
        if (e) resolve(e);
      };
      this.waiters.push(wake);
    });
    try {
      return await withTimeout(p, timeout, `status event "${type}" (seen so far: ${this.types().join(",") || "none"})`);
    } finally {
      this.waiters = this.waiters.filter((w) => w !== wake);
    }
  }
}

/** Compare version strings "a.b.c" numerically; returns -1, 0, 1. */
export function compareVersions(a, b) {
  const pa = String(a).split(/[.-]/).slice(0, 3).map((x) => parseInt(x, 10) || 0);
  const pb = String(b).split(/[.-]/).slice(0, 3).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

/**
 * Subscribe with a callback that records every message (or error).
 * `await rec.waitCount(n, timeout)` waits until at least n messages arrived.
 */
export function record(nc, subject, opts = {}) {
  const rec = {
    msgs: [],
    errors: [],
    waiters: [],
    sub: null,
    get count() {
      return rec.msgs.length;
    },
    strings() {
      return rec.msgs.map((m) => m.string());
    },
    async waitCount(n, timeout = 5_000) {
      if (rec.msgs.length >= n) return rec.msgs;
      let wake;
      const p = new Promise((resolve) => {
        wake = () => {
          if (rec.msgs.length >= n) resolve(rec.msgs);
        };
        rec.waiters.push(wake);
      });
      try {
        return await withTimeout(p, timeout, `${n} messages on ${subject} (got ${rec.msgs.length})`);
      } finally {
        rec.waiters = rec.waiters.filter((w) => w !== wake);
      }
    },
  };
  rec.sub = nc.subscribe(subject, {
    ...opts,
    callback: (err, msg) => {
      if (err) rec.errors.push(err);
      else rec.msgs.push(msg);
      for (const w of [...rec.waiters]) w();
    },
  });
  return rec;
}

/**
 * Raw-TCP handshake, for diagnostics only: read INFO, send CONNECT+PING, and
 * return what the server answered (until PONG, -ERR, close or `timeout`).
 */
export function handshakeTranscript(port, timeout = 2_000) {
  return new Promise((resolve) => {
    let buf = "";
    let sent = false;
    let finished = false;
    const sock = net.connect({ host: "127.0.0.1", port });
    const finish = (why) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      const text = buf.length > 600 ? buf.slice(0, 600) + "…" : buf;
      resolve(`${JSON.stringify(text)} [${why}]`);
    };
    const timer = setTimeout(() => finish(`no PONG/-ERR within ${timeout} ms`), timeout);
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      if (!sent && buf.includes("\r\n")) {
        sent = true;
        sock.write(
          'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":true,"no_responders":true,"lang":"probe"}\r\nPING\r\n',
          () => {},
        );
      }
      if (/(^|\n)(PONG|-ERR[^\r]*)\r\n/.test(buf)) finish("answered");
    });
    sock.on("error", (e) => finish(`socket error ${e.code || e.message}`));
    sock.on("close", () => finish("closed by server"));
  });
}

/** Add the raw handshake transcript to a connect error's message (same error object/type). */
export async function explainConnectFailure(err, port) {
  try {
    const t = await handshakeTranscript(port);
    if (err && typeof err === "object") {
      err.message = `${err.message} — raw handshake on 127.0.0.1:${port}: ${t}`;
    }
  } catch {
    // diagnostics only
  }
  return err;
}
