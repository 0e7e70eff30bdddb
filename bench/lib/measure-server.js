// One measured run of one server: start it fresh, warm it up, load it, read its CPU time
// and peak RSS, (for switchyard) wait for its worker to drain and read the store, stop it.
// switchyard runs on SQLite (a fresh file per run) or on PostgreSQL (a fresh database per
// run in the bench's own cluster, see postgres-cluster.js), either full (server.role all:
// webhook listener and worker) or ingest-only (server.role ingest: no worker), under the
// closed-loop load of `connections` or (`openRate`) the open-loop one of open-loop.js.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openStoreReader, readWorkerStats, waitForDrain } from "./read-worker-stats.js";
import { cpuMsBetween } from "./postgres-cluster.js";
import { readCpuMs, readPeakRss, spawnServer } from "./spawn-server.js";
import { runOpenLoad } from "./open-loop.js";
import { runSignedLoad } from "./signed-load.js";

const ANCHOR_SERVER = fileURLToPath(new URL("../anchor-server.js", import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL("../floor-server.js", import.meta.url));
const WARMUP_DRAIN_TIMEOUT_MS = 10_000;

/** A minimal, reproducible environment: none of the caller's switchyard or GitHub variables. */
function childEnv(extra) {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "production", ...extra };
}

function checkLoad(name, load, expectedStatus) {
  const unexpected = Object.entries(load.statuses).filter(([status]) => Number(status) !== expectedStatus);
  if (unexpected.length > 0 || load.errors > 0 || load.timeouts > 0 || load.responses === 0) {
    const got = Object.entries(load.statuses).map(([s, n]) => `${n}×${s}`).join(", ") || "no responses";
    throw new Error(`${name} answered ${got} (expected only ${expectedStatus}), ${load.errors} errors, ${load.timeouts} timeouts: the bench is broken`);
  }
}

const brief = (load) => ({ seconds: load.seconds, responses: load.responses, reqPerSec: Math.round(load.reqPerSec) });

/**
 * Runs @octokit/webhooks' middleware (bench/anchor-server.js) once under load.
 *
 * @example
 * const run = await measureAnchor({ secret, template, connections: 10, seconds: 8, warmupSeconds: 2, tag: "a1" });
 */
export async function measureAnchor(options) {
  return measurePlainServer(options, { name: "anchor", script: ANCHOR_SERVER, env: {}, status: 200, store: null });
}

/**
 * Runs one level of bench/floor-server.js (`level`: row, dedup or store) once under load, on
 * a fresh SQLite file in `dir`, with the writer, checkpointer and store of the switchyard
 * build at `switchyardRoot`.
 *
 * @example
 * const run = await measureFloorServer({ secret, template, connections: 32, seconds: 8, warmupSeconds: 2, tag: "f1", level: "row", dir, switchyardRoot });
 */
export async function measureFloorServer(options) {
  const { level, dir, switchyardRoot } = options;
  mkdirSync(dir, { recursive: true });
  const env = { FLOOR_LEVEL: level, DATABASE_FILE: path.join(dir, "floor.db"), SWITCHYARD_ROOT: switchyardRoot };
  const run = await measurePlainServer(options, { name: `floor server (${level})`, script: FLOOR_SERVER, env, status: 202, store: "sqlite" });
  return { ...run, server: `floor-${level}` };
}

async function measurePlainServer(options, { name, script, env, status, store }) {
  const { secret, seconds, warmupSeconds, tag, nodeArgs = [] } = options;
  const server = await spawnServer({
    name,
    args: [...nodeArgs, script],
    cwd: path.dirname(script),
    env: childEnv({ WEBHOOK_SECRET: secret, PORT: "0", ...env }),
    ready: [/receiving webhooks at (\S+)/],
  });
  try {
    const url = server.matches[0][1];
    const warmup = await drive(options, { url, seconds: warmupSeconds, tag: `${tag}w` });
    checkLoad(`${name} (warm-up)`, warmup, status);
    const cpuBefore = readCpuMs(server.pid);
    const load = await drive(options, { url, seconds, tag });
    const cpuMs = readCpuMs(server.pid) - cpuBefore;
    checkLoad(name, load, status);
    const peakRss = readPeakRss(server.pid);
    const stopped = await server.stop();
    return { server: "anchor", store, tag, warmup: brief(warmup), load, cpuMs, cpuUsPerRequest: (cpuMs * 1000) / load.responses, peakRss, stopped };
  } finally {
    await server.stop();
  }
}

/**
 * Runs `switchyard serve` once under load, on a fresh database in its own directory.
 * `role: "all"` (the default): its worker runs; waits (bounded) for it to finish the backlog
 * and reads the store. `role: "ingest"`: no worker; checks that every task of the measured
 * window is still ready (else the run fails: a worker ran). `postgres` (a cluster from
 * startPostgresCluster): the store is a fresh database in it, with `store.poolSize:
 * poolSize`, dropped after the run; otherwise a fresh SQLite file. `openRate`: the load is
 * open-loop at that many deliveries per second (on up to `openSockets` sockets) instead of
 * `connections` closed-loop connections.
 */
export async function measureSwitchyard(options) {
  const { postgres = null, poolSize = 10, tag } = options;
  if (postgres === null) return runSwitchyard(options, { kind: "sqlite", file: path.join(options.dir, "bench.db"), cluster: null });
  const database = `bench_${tag.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}`;
  const url = await postgres.createDatabase(database);
  try {
    return await runSwitchyard(options, { kind: "postgres", url, poolSize, cluster: postgres });
  } finally {
    await postgres.dropDatabase(database).catch(() => undefined);
  }
}

/** The load of one phase (warm-up or measured): open-loop at `openRate`, else closed-loop. */
function drive(options, { url, seconds, tag }) {
  const { secret, template, connections, openRate, openSockets } = options;
  if (openRate) return runOpenLoad({ url, secret, template, rate: openRate, sockets: openSockets, seconds, tag });
  return runSignedLoad({ url, secret, template, connections, seconds, tag });
}

/** The tasks of an ingest-only run must all still be ready: anything else means a worker ran. */
function checkNoWorker(name, worker) {
  const moved = Object.entries(worker.tasksByStatus).filter(([status]) => status !== "ready");
  if (moved.length > 0 || worker.tasks === 0) {
    throw new Error(`${name}: tasks of the measured window by status ${JSON.stringify(worker.tasksByStatus)}: expected all ready (no worker runs): the bench is broken`);
  }
}

async function runSwitchyard(options, store) {
  const { switchyardRoot, dir, secret, seconds, warmupSeconds, tag, drainTimeoutMs, nodeArgs = [], concurrency = 4, role = "all" } = options;
  mkdirSync(dir, { recursive: true });
  const databaseUrl = store.kind === "sqlite" ? `sqlite:${store.file}` : store.url;
  // Loopback only, like the anchor, the role, and the worker's concurrency the bench was
  // given (and, on PostgreSQL, the pool size); everything else is the default configuration.
  // A full run leaves server.role out (its default is all), so that `--switchyard DIR` can
  // still bench a checkout from before roles for the full row.
  const configFile = path.join(dir, "switchyard.config.yaml");
  const roleConfig = role === "all" ? "" : `  role: ${role}\n`;
  const storeConfig = store.kind === "postgres" ? `store:\n  poolSize: ${store.poolSize}\n` : "";
  writeFileSync(configFile, `server:\n  host: 127.0.0.1\n${roleConfig}worker:\n  concurrency: ${concurrency}\n${storeConfig}`);
  const server = await spawnServer({
    name: `switchyard serve (${store.kind}, role ${role})`,
    args: [...nodeArgs, path.join(switchyardRoot, "bin/switchyard.js"), "serve", "--config", configFile],
    cwd: dir,
    env: childEnv({ PORT: "0", ADMIN_PORT: "0", DATABASE_URL: databaseUrl, WEBHOOK_SECRET: secret, LOG_LEVEL: "warn" }),
    // An ingest-only run waits for serve to say which role it took (a build without roles
    // would run the worker regardless).
    ready: [/receiving webhooks at (\S+)/, /admin API at (http\S+)/, ...(role === "all" ? [] : [/switchyard: role (\w+):/])],
    healthUrl: (m) => `${m[1][1]}/healthz`,
  });
  // The store is read only between loads, on a connection of its own, never during the
  // measured load (as it was before PostgreSQL came in).
  const withReader = async (fn) => {
    const reader = await openStoreReader(store);
    try {
      return await fn(reader);
    } finally {
      await reader.close();
    }
  };
  try {
    const name = `switchyard ${role === "all" ? "full" : role} on ${store.kind}`;
    if (role !== "all" && server.matches[2][1] !== role) throw new Error(`${name}: serve started with role ${server.matches[2][1]}`);
    const url = server.matches[0][1];
    const warmup = await drive(options, { url, seconds: warmupSeconds, tag: `${tag}w` });
    checkLoad(`${name} (warm-up)`, warmup, 202);
    // Start the measured run from an empty queue, as the anchor starts from nothing (with no
    // worker the warm-up's tasks stay ready, and nothing takes them).
    const warmupDrain = role === "ingest" ? null : await withReader((reader) => waitForDrain(reader, WARMUP_DRAIN_TIMEOUT_MS));
    const cpuBefore = readCpuMs(server.pid);
    // On PostgreSQL the commits run in other processes (backends, WAL writer) on the same
    // two cores: their CPU is counted apart.
    const dbCpuBefore = store.cluster?.cpuMsByPid() ?? null;
    const load = await drive(options, { url, seconds, tag });
    const cpuMs = readCpuMs(server.pid) - cpuBefore;
    const dbCpuMs = dbCpuBefore === null ? null : cpuMsBetween(dbCpuBefore, store.cluster.cpuMsByPid());
    checkLoad(name, load, 202);
    const { drain, worker } = await withReader(async (reader) => {
      const drained = role === "ingest" ? null : await waitForDrain(reader, drainTimeoutMs);
      return { drain: drained, worker: await readWorkerStats(reader, { from: load.startedAt, to: load.endedAt }) };
    });
    if (role === "ingest") checkNoWorker(name, worker);
    const peakRss = readPeakRss(server.pid);
    if (!server.alive()) throw new Error(`${name} died during the run:\n${server.stderr()}`);
    const stopped = await server.stop();
    if (!stopped.graceful) throw new Error(`${name} did not stop gracefully on SIGTERM (${JSON.stringify(stopped)}):\n${server.stderr()}`);
    return {
      server: "switchyard",
      role,
      store: store.kind,
      ...(store.kind === "postgres" ? { poolSize: store.poolSize } : {}),
      tag,
      warmup: brief(warmup),
      load,
      cpuMs,
      cpuUsPerRequest: (cpuMs * 1000) / load.responses,
      dbCpuMs,
      dbCpuUsPerRequest: dbCpuMs === null ? null : (dbCpuMs * 1000) / load.responses,
      peakRss,
      stopped,
      warmupDrain,
      drain,
      worker,
      stderrTail: server.stderr().split("\n").slice(-5).join("\n"),
    };
  } finally {
    await server.stop();
  }
}
