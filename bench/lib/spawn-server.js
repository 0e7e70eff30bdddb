/* global fetch */
// Starts a server under test as a child process, waits until it is ready, reads its CPU
// time and peak RSS from /proc, and stops it. Every child is registered so that the bench
// can kill whatever is left if it fails half-way (no orphans).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
const live = new Set();

/** SIGKILLs every child still running; safe to call from an 'exit' handler (synchronous). */
export function killAllChildren() {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

/**
 * Spawns `node ...args` and resolves once its stderr has printed a line matching every
 * regex in `ready` (then `healthUrl(matches)`, if given, must answer 200).
 *
 * @example
 * const s = await spawnServer({ name: "anchor", args: ["bench/anchor-server.js"], env, ready: [/receiving webhooks at (\S+)/] });
 */
export async function spawnServer({ name, args, env, cwd, ready, healthUrl }) {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  let stderr = "";
  const matches = new Array(ready.length).fill(null);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  exited.then(() => live.delete(child));

  const allReady = new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      // Keep the head (readiness, errors) and a bounded tail; the logs run at warn.
      stderr = (stderr + chunk).slice(-20_000);
      ready.forEach((re, i) => {
        matches[i] ??= stderr.match(re);
      });
      if (matches.every((m) => m !== null)) resolve();
    });
  });
  const failed = exited.then(({ code, signal }) => {
    throw new Error(`${name} exited before it was ready (code ${code}, signal ${signal}):\n${stderr.trim()}`);
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms:\n${stderr.trim()}`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([allReady, failed, timeout]);
    if (healthUrl) await Promise.race([waitHealthy(healthUrl(matches)), failed, timeout]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  failed.catch(() => {}); // later exits are reported by stop()

  return {
    pid: child.pid,
    matches,
    stderr: () => stderr,
    /** Still running? */
    alive: () => child.exitCode === null && child.signalCode === null,
    /** SIGTERM, wait for a graceful exit; SIGKILL after STOP_TIMEOUT_MS. Resolves with how it ended. */
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      let killTimer;
      const killed = new Promise((resolve) => {
        killTimer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, STOP_TIMEOUT_MS);
      });
      await Promise.race([exited, killed]);
      clearTimeout(killTimer);
      const result = await exited;
      return { ...result, graceful: result.code === 0 };
    },
  };
}

async function waitHealthy(url) {
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Peak resident set (VmHWM) of a live process, in bytes. */
export function readPeakRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = status.match(/^VmHWM:\s+(\d+) kB/m);
  if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

/** User + system CPU time a live process has used so far, in milliseconds. */
export function readCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces: count fields after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}
