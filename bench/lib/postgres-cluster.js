// A throwaway PostgreSQL cluster for the bench: its own data and socket dirs under a fresh
// temp dir, listening on 127.0.0.1 only, trust auth as `postgres`, fsync and
// synchronous_commit on (a 202 must mean "on disk", as with SQLite). As root the server
// tools run as the `postgres` OS user (PostgreSQL refuses to run as root). The cluster is
// stopped (`pg_ctl stop -m fast`) and its dir removed by stop(), which is synchronous so
// that it can run from an 'exit' handler too (errors, signals, the watchdog).
//
// (test/support/postgres/ does the same for the tests, in TypeScript; this is the bench's
// own small copy, so that the bench needs nothing but dist/ and node_modules.)
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, appendFileSync, chmodSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

const DEBIAN_BIN_ROOT = "/usr/lib/postgresql";
const TOOLS = ["initdb", "pg_ctl", "postgres"];
const PG_CTL_WAIT = ["-w", "-t", "30"];
const START_ATTEMPTS = 3;
const TOOL_TIMEOUT_MS = 60_000;
// Every cluster dir this process made and has not removed yet, with how to stop it: so an
// 'exit' handler can stop a cluster even while it is still starting.
const live = new Set();

/** Stops every cluster this process started and removes its files; synchronous, for 'exit' handlers. */
export function stopAllClusters() {
  for (const stop of [...live]) stop();
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directory holding initdb, pg_ctl and postgres: PATH first, then /usr/lib/postgresql/N/bin, newest first. */
export function findPgBinDir() {
  const fromPath = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  let versioned = [];
  try {
    versioned = readdirSync(DEBIAN_BIN_ROOT)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => path.join(DEBIAN_BIN_ROOT, v, "bin"));
  } catch {
    // no Debian layout
  }
  return [...fromPath, ...versioned].find((dir) => TOOLS.every((tool) => isExecutable(path.join(dir, tool)))) ?? null;
}

/** As root: the `postgres` OS user to run the tools as; otherwise null (run them directly). */
function runAsUser() {
  if (process.getuid?.() !== 0) return null;
  const entry = spawnSync("getent", ["passwd", "postgres"], { encoding: "utf8" });
  if (entry.status !== 0) throw new Error("running as root and there is no `postgres` OS user to run the server as (PostgreSQL refuses to run as root)");
  const [, , uid, gid] = entry.stdout.trim().split(":");
  if (!isExecutable("/usr/sbin/runuser") && !isExecutable("/sbin/runuser") && !isExecutable("/usr/bin/runuser")) {
    throw new Error("running as root and `runuser` is not installed: cannot run PostgreSQL as the postgres user");
  }
  return { user: "postgres", uid: Number(uid), gid: Number(gid) };
}

/** A loopback port that was free a moment ago, below the kernel's ephemeral range when it can (servers on port 0 never take it). */
async function pickPort() {
  const listen = (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(null));
      server.listen(port, "127.0.0.1", () => {
        const bound = server.address().port;
        server.close(() => resolve(bound));
      });
    });
  let floor = 0;
  try {
    floor = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    // unknown range: any free port
  }
  for (let attempt = 0; floor > 21_000 && attempt < 50; attempt++) {
    const port = await listen(20_000 + Math.floor(Math.random() * (floor - 20_000)));
    if (port !== null) return port;
  }
  const port = await listen(0);
  if (port === null) throw new Error("could not bind any loopback port");
  return port;
}

/**
 * Creates, configures and starts a cluster; resolves with a handle, or rejects with a reason
 * a person can act on (no binaries, no postgres user, initdb or start failed). On failure
 * nothing is left behind.
 *
 * @example
 * const cluster = await startPostgresCluster();
 * const url = await cluster.createDatabase("s1");
 * cluster.stop(); // synchronous: pg_ctl stop -m fast, then the dir is removed
 */
export async function startPostgresCluster({ parentDir = os.tmpdir(), extraSettings = [] } = {}) {
  const binDir = findPgBinDir();
  if (binDir === null) throw new Error(`PostgreSQL server binaries (${TOOLS.join(", ")}) not found on PATH or under ${DEBIAN_BIN_ROOT}/*/bin`);
  const runAs = runAsUser();

  const baseDir = mkdtempSync(path.join(parentDir, "switchyard-bench-pg-"));
  const dataDir = path.join(baseDir, "data");
  const socketDir = path.join(baseDir, "sock");
  const logFile = path.join(baseDir, "server.log");
  mkdirSync(socketDir);
  chmodSync(baseDir, 0o700);
  if (runAs !== null) for (const dir of [baseDir, socketDir]) chownSync(dir, runAs.uid, runAs.gid);

  const command = (tool, args) => {
    const file = path.join(binDir, tool);
    return runAs === null ? [file, args] : ["runuser", ["-u", runAs.user, "--", file, ...args]];
  };
  const run = (tool, args) => {
    const [file, argv] = command(tool, args);
    const result = spawnSync(file, argv, { cwd: baseDir, encoding: "utf8", timeout: TOOL_TIMEOUT_MS });
    if (result.status !== 0) {
      // The tool's last words say why (initdb prefixes pages of progress).
      const output = `${result.stdout ?? ""}\n${result.stderr ?? ""}`.split("\n").filter((line) => line.trim() !== "");
      const why = result.error ? result.error.message : output.slice(-3).join(" / ");
      throw new Error(`${tool} ${args.join(" ")} failed (${result.status ?? result.signal}): ${why}`);
    }
    return result.stdout;
  };
  const logTail = () => {
    try {
      return readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n");
    } catch {
      return "(no server log)";
    }
  };

  let port = 0;
  let stopped = false;
  /** Stops the server (fast: sessions end cleanly) and removes its files; safe to call twice, and from an 'exit' handler. */
  const stop = () => {
    if (stopped) return;
    stopped = true;
    live.delete(stop);
    try {
      if (existsSync(path.join(dataDir, "postmaster.pid"))) {
        const [file, argv] = command("pg_ctl", ["-D", dataDir, "-m", "fast", ...PG_CTL_WAIT, "stop"]);
        try {
          execFileSync(file, argv, { cwd: baseDir, stdio: "ignore", timeout: 40_000 });
        } catch {
          // Fast shutdown failed or timed out: do not leave a server running on removed files.
          const [f, a] = command("pg_ctl", ["-D", dataDir, "-m", "immediate", ...PG_CTL_WAIT, "stop"]);
          try {
            execFileSync(f, a, { cwd: baseDir, stdio: "ignore", timeout: 40_000 });
          } catch {
            // already stopped (a SIGINT from the terminal reaches the postmaster too)
          }
        }
      }
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
    }
  };

  live.add(stop);
  try {
    // -N: a throwaway cluster need not wait for initdb's own fsyncs; the server runs with fsync on.
    run("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"]);
    for (let attempt = 1; ; attempt++) {
      port = await pickPort();
      // Later lines win: a retry on another port just appends.
      const settings = [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${socketDir}'`,
        // Durability is the point: a COMMIT returns only once its WAL is flushed to disk.
        `fsync = on`,
        `synchronous_commit = on`,
        `full_page_writes = on`,
        // For one-off diagnostics (e.g. pg_stat_statements); the bench passes none.
        ...extraSettings,
      ];
      appendFileSync(path.join(dataDir, "postgresql.conf"), `\n# switchyard bench\n${settings.join("\n")}\n`);
      try {
        run("pg_ctl", ["-D", dataDir, "-l", logFile, ...PG_CTL_WAIT, "start"]);
        break;
      } catch (error) {
        const portTaken = /could not bind|address already in use/i.test(logTail());
        if (!portTaken || attempt >= START_ATTEMPTS) throw new Error(`${error.message}\nserver log:\n${logTail()}`, { cause: error });
      }
    }
  } catch (error) {
    stop();
    throw error;
  }

  const version = run("pg_ctl", ["--version"]).trim();
  const urlFor = (database) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: urlFor("postgres") });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let settings;
  try {
    const shown = await admin(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay', 'shared_buffers', 'max_connections', 'full_page_writes', 'wal_level')",
    );
    settings = Object.fromEntries(shown.rows.map((r) => [r.name, r.setting]));
    if (settings.fsync !== "on" || settings.synchronous_commit !== "on") throw new Error(`the cluster runs with fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}: not durable`);
  } catch (error) {
    stop();
    throw error;
  }

  return {
    version,
    port,
    binDir,
    runAs: runAs?.user ?? null,
    settings,
    dir: baseDir,
    urlFor,
    /** Creates an empty database (name: letters, digits, _) and returns its URL. */
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin(`CREATE DATABASE ${name}`);
      return urlFor(name);
    },
    /** Drops a database, closing any session still on it. */
    async dropDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    stop,
    logTail,
    /** CPU ms (utime + stime) used so far by each live process of the cluster (postmaster, backends, WAL writer, checkpointer…), by pid. */
    cpuMsByPid() {
      return clusterCpuMsByPid(dataDir);
    },
  };
}

function cpuMsOf(statText) {
  // The command name (field 2) may contain spaces: count fields after its closing paren.
  const fields = statText.slice(statText.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 }; // USER_HZ = 100
}

function clusterCpuMsByPid(dataDir) {
  const byPid = new Map();
  let postmaster;
  try {
    postmaster = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return byPid;
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const { ppid, ms } = cpuMsOf(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (pid === postmaster || ppid === postmaster) byPid.set(pid, ms);
    } catch {
      // exited meanwhile
    }
  }
  return byPid;
}

/**
 * CPU ms the cluster used between two cpuMsByPid() snapshots (processes that exited in
 * between are not counted; the pool's connections live through a run).
 */
export function cpuMsBetween(before, after) {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}

/**
 * How long one durable commit takes on this cluster: `count` one-row transactions (an
 * 11.6 KB bytea each, as a delivery body) over one connection, in a scratch database.
 *
 * @example
 * const { p50Ms } = await probePgCommitLatency(cluster);
 */
export async function probePgCommitLatency(cluster, count = 100) {
  const name = `probe_${process.pid}_${Date.now()}`;
  const client = new pg.Client({ connectionString: await cluster.createDatabase(name) });
  await client.connect();
  try {
    await client.query("CREATE TABLE t (id bigserial PRIMARY KEY, body bytea NOT NULL)");
    const body = Buffer.alloc(11_600, 0x61);
    const times = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      await client.query("BEGIN");
      await client.query({ name: "probe_insert", text: "INSERT INTO t (body) VALUES ($1)", values: [body] });
      await client.query("COMMIT");
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length, Math.max(1, Math.ceil((p / 100) * times.length))) - 1];
    return { commits: count, p50Ms: at(50), p99Ms: at(99) };
  } finally {
    await client.end();
    await cluster.dropDatabase(name).catch(() => undefined);
  }
}
