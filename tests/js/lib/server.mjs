// Test harness: runs one NATS-compatible server process for a test file.
//
// The binary is $NATS_TEST_SERVER (default: <repo>/build/bin/meridian-server).
// It is started with nats-server's flags:
//   -a 127.0.0.1 -p <port|-1> -m -1 --ports_file_dir <tmpdir> [extra args]
// and we learn the real ports from <tmpdir>/<exe>_<pid>.ports, e.g.
//   {"nats":["nats://127.0.0.1:4222"],"monitoring":["http://127.0.0.1:8222"]}
//
// Every wait is bounded by a deadline; nothing sleeps "for luck" (the only
// pauses are short poll intervals inside deadline loops).
//
// Cleanup: each server is started in its own process group (detached), so a
// launcher with children (meridian-server starts a suite of services) can be
// SIGKILLed as a whole if it does not stop in time. A process 'exit' hook and
// SIGINT/SIGTERM handlers kill any server still running, so no server outlives
// the test process even when a test fails or the runner cancels it.
// On Linux the server is also exec'd through `setpriv --pdeathsig TERM`
// (util-linux), so the kernel sends it SIGTERM if the test process dies in a
// way no JS hook sees (SIGKILL, or the crash Node does on EPIPE when the
// runner's stdout pipe is gone, e.g. `run.sh | head`).

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..", "..");
export const defaultServerBinary = path.join(repoRoot, "build", "bin", "meridian-server");

/** Path of the server binary under test. */
export function serverBinary() {
  return process.env.NATS_TEST_SERVER || defaultServerBinary;
}

/** True when the binary under test is Meridian's launcher (by name). */
export function isMeridianBinary(bin = serverBinary()) {
  return path.basename(bin).startsWith("meridian");
}

const START_TIMEOUT_MS = Number(process.env.NATS_TEST_START_TIMEOUT_MS || 20_000);
// meridian-server stops its services one after another on SIGTERM (~2 s each).
const STOP_TIMEOUT_MS = Number(process.env.NATS_TEST_STOP_TIMEOUT_MS || 20_000);
const POLL_MS = 25;

const running = new Set(); // ServerProcess instances whose process may be alive

const SETPRIV = "/usr/bin/setpriv";
let pdeathsigOk = null;
/** argv prefix making the kernel SIGTERM the server when this process dies. */
function pdeathsigPrefix() {
  if (pdeathsigOk === null) {
    pdeathsigOk = false;
    if (process.platform === "linux" && !process.env.NATS_TEST_NO_PDEATHSIG) {
      try {
        const r = spawnSync(SETPRIV, ["--help"], { encoding: "utf8", timeout: 5_000 });
        pdeathsigOk = r.status === 0 && String(r.stdout).includes("--pdeathsig");
      } catch {
        pdeathsigOk = false;
      }
    }
  }
  return pdeathsigOk ? [SETPRIV, "--pdeathsig", "TERM", "--"] : [];
}

function killGroup(pid, signal) {
  // Negative pid = the process group we created with detached:true.
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: group already gone.
  }
}

/**
 * True if some process is still in process group `pgid`. Used before
 * signalling the group of a leader that has already exited: while any member
 * lives, the id cannot be reused, so the signal can only reach our processes.
 */
function groupHasMembers(pgid) {
  if (process.platform !== "linux") return false;
  let entries;
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return false;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...  — comm may contain spaces/parens.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[2]) === pgid) return true;
    } catch {
      // process vanished
    }
  }
  return false;
}

/** SIGKILL the group of `s`; for an exited leader only if members remain. */
function killServerGroup(s) {
  const pid = s.child?.pid;
  if (!pid) return;
  if (s.exitInfo === null || groupHasMembers(pid)) killGroup(pid, "SIGKILL");
}

function killAllNow() {
  for (const s of running) killServerGroup(s);
  running.clear();
}

let hooksInstalled = false;
function installHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => {
      killAllNow();
      process.exit(128 + (os.constants.signals[sig] || 1));
    });
  }
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, max = 4000) {
  try {
    const s = fs.readFileSync(file, "utf8");
    return s.length > max ? "…" + s.slice(-max) : s;
  } catch {
    return "";
  }
}

function tcpProbe(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      clearTimeout(t);
      sock.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

class ServerProcess {
  constructor(bin, extraArgs, opts) {
    this.bin = bin;
    this.extraArgs = extraArgs;
    this.opts = opts;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "meridian-jstest-"));
    this.logFile = path.join(this.dir, "server.log");
    this.child = null;
    this.exited = null; // Promise<{code, signal}>
    this.exitInfo = null;
    this.port = null;
    this.url = null;
    this.hostport = null;
    this.monitoringUrl = null;
    this.ports = null;
    this.generation = 0;
  }

  /** Last part of the server's combined stdout/stderr (for diagnostics). */
  log(max) {
    return tail(this.logFile, max);
  }

  get pid() {
    return this.child?.pid;
  }

  get running() {
    return this.child !== null && this.exitInfo === null;
  }

  async _spawnOnce(port, deadline) {
    this.generation += 1;
    const args = ["-a", "127.0.0.1", "-p", String(port)];
    if (this.opts.monitoring !== false) args.push("-m", "-1");
    args.push("--ports_file_dir", this.dir, ...this.extraArgs);

    // Remove ports files of an earlier generation.
    for (const f of fs.readdirSync(this.dir)) {
      if (f.endsWith(".ports")) fs.rmSync(path.join(this.dir, f), { force: true });
    }
    const fd = fs.openSync(this.logFile, "a");
    fs.writeSync(fd, `\n=== start #${this.generation}: ${this.bin} ${args.join(" ")}\n`);
    // setpriv exec()s the server: same pid, argv[0] = this.bin.
    const argv = [...pdeathsigPrefix(), this.bin, ...args];
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), {
        stdio: ["ignore", fd, fd],
        detached: true, // own process group → killGroup() reaches the children too
        env: process.env,
      });
    } finally {
      fs.closeSync(fd);
    }
    this.child = child;
    this.exitInfo = null;
    running.add(this);
    let spawnError = null;
    this.exited = new Promise((resolve) => {
      child.once("error", (err) => {
        spawnError = err;
        this.exitInfo = { code: null, signal: null, error: err };
        running.delete(this);
        resolve(this.exitInfo);
      });
      child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    // Don't let a running server keep the test process alive by itself.
    child.unref();

    const portsFile = path.join(this.dir, `${path.basename(this.bin)}_${child.pid}.ports`);
    while (Date.now() < deadline) {
      if (spawnError) {
        throw new Error(`cannot start ${this.bin}: ${spawnError.message}`);
      }
      if (this.exitInfo) {
        return { ok: false, reason: `exited early (code ${this.exitInfo.code}, signal ${this.exitInfo.signal})` };
      }
      let ports = null;
      try {
        ports = JSON.parse(fs.readFileSync(portsFile, "utf8"));
      } catch {
        // not there yet, or partially written
      }
      if (ports && Array.isArray(ports.nats) && ports.nats.length > 0) {
        const u = new URL(ports.nats[0]);
        const p = Number(u.port);
        // The ports file is written once listening, but confirm with a TCP probe.
        if (await tcpProbe("127.0.0.1", p, 500)) {
          this.ports = ports;
          this.port = p;
          this.hostport = `127.0.0.1:${p}`;
          this.url = `nats://127.0.0.1:${p}`;
          this.monitoringUrl = Array.isArray(ports.monitoring) ? ports.monitoring[0] : undefined;
          return { ok: true };
        }
      }
      await pause(POLL_MS);
    }
    return { ok: false, reason: `no ports file ${portsFile} within ${START_TIMEOUT_MS} ms` };
  }

  /**
   * Start the server on `port` (-1 = random). When a fixed port is still busy
   * (e.g. right after a stop), the server may exit at once: retry until the
   * deadline.
   */
  async start(port = -1) {
    installHooks();
    const deadline = Date.now() + START_TIMEOUT_MS;
    let last = "";
    for (;;) {
      const r = await this._spawnOnce(port, deadline);
      if (r.ok) return this;
      last = r.reason;
      if (this.running) await this.stop();
      if (Date.now() >= deadline || port === -1) break;
      await pause(100);
    }
    throw new Error(
      `server ${this.bin} did not start: ${last}\n--- server log (${this.logFile}) ---\n${this.log()}`,
    );
  }

  /** SIGTERM, await exit; SIGKILL the process group after the stop deadline. */
  async stop() {
    const child = this.child;
    if (!child) return;
    if (this.exitInfo === null) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      let timer;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise((r) => {
          timer = setTimeout(() => r(true), STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        killGroup(child.pid, "SIGKILL"); // leader not reaped yet: the group is ours
        await Promise.race([this.exited, pause(5_000)]);
      }
    }
    // Reap anything the launcher may have left in its group (no-op normally).
    killServerGroup(this);
    running.delete(this);
  }

  /** Stop, then start again on the SAME port (for reconnect tests). */
  async restart() {
    const port = this.port;
    await this.stop();
    return this.start(port);
  }

  /** Stop and remove the temp dir (keeps it when NATS_TEST_KEEP_TMP is set). */
  async dispose() {
    await this.stop();
    if (!process.env.NATS_TEST_KEEP_TMP) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Start a server for a test file.
 * @param {object} [o]
 * @param {string[]} [o.args] extra flags, e.g. ["--user","a","--pass","b"]
 * @param {number} [o.port] -1 (default) for a random port
 * @param {boolean} [o.monitoring] pass -m -1 (default true)
 * @param {string} [o.bin] binary to run instead of $NATS_TEST_SERVER (e.g. a
 *   reference nats-server next to Meridian in the cluster suite)
 * @returns {Promise<ServerProcess>} with url, hostport, port, monitoringUrl,
 *   stop(), restart(), dispose(), log()
 */
export async function startServer(o = {}) {
  const s = new ServerProcess(o.bin || serverBinary(), o.args || [], { monitoring: o.monitoring });
  try {
    await s.start(o.port ?? -1);
  } catch (err) {
    await s.dispose();
    throw err;
  }
  return s;
}
