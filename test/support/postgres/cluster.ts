import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, escapeIdentifier } from "pg";
import { pgToolCommand, runPgTool, type PgTools } from "./binaries.js";
import { pickClusterPort } from "./ports.js";

/** Everything needed to drive a cluster from any process: plain data, so it can cross to test workers. */
export interface ClusterInfo {
  tools: PgTools;
  baseDir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  port: number;
}

/** A PostgreSQL cluster under a temp dir, reachable on 127.0.0.1 with trust auth as `postgres`. */
export interface Cluster {
  readonly info: ClusterInfo;
  /** URL of the `postgres` maintenance database, for admin work. */
  readonly adminUrl: string;
  urlFor(database: string): string;
  /** Creates an empty database with a unique name and returns its URL. */
  createDatabase(): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  start(): Promise<void>;
  /** `fast` lets sessions end cleanly; `immediate` is a crash as far as the server can tell. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Fast shutdown then start on the same port; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Stops the server at once and deletes its files. */
  destroy(): Promise<void>;
}

export const ROOT_PREFIX = "switchyard-pg-";
export const OWNER_FILE = "owner.pid";
const START_ATTEMPTS = 3;
const PG_CTL_WAIT = ["-w", "-t", "30"];

/**
 * A directory to hold clusters, recording which process owns them so a later run can
 * clean up after one that was killed before its teardown.
 *
 * @example
 * const root = makeClusterRoot();
 * const cluster = await initCluster(tools, root);
 */
export function makeClusterRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), ROOT_PREFIX));
  // The postgres user must pass through to its own cluster dirs inside.
  chmodSync(root, 0o711);
  writeFileSync(path.join(root, OWNER_FILE), String(process.pid));
  return root;
}

/** Clusters this process created, stopped on exit in case a teardown never runs. */
const owned = new Set<ClusterInfo>();
let exitHookInstalled = false;

function stopOwnedSync(): void {
  for (const info of owned) {
    if (!existsSync(path.join(info.dataDir, "postmaster.pid"))) continue;
    const [file, argv] = pgToolCommand(info.tools, "pg_ctl", ["-D", info.dataDir, "-m", "immediate", ...PG_CTL_WAIT, "stop"]);
    try {
      execFileSync(file, argv, { cwd: info.baseDir, stdio: "ignore" });
    } catch {
      // Exiting anyway: the next run's stale-root sweep gets another go.
    }
  }
}

function writeSettings(info: ClusterInfo): void {
  // Settings live in the config file rather than `pg_ctl -o`, which pg_ctl splices into a
  // shell command; later lines win, so a retry on another port just appends.
  const settings = [
    `port = ${info.port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${info.socketDir}'`,
    // Durability tests must see what a real server does on a crash.
    `fsync = on`,
  ];
  appendFileSync(path.join(info.dataDir, "postgresql.conf"), `\n${settings.join("\n")}\n`);
}

function logTail(info: ClusterInfo): string {
  try {
    return readFileSync(info.logFile, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(no server log)";
  }
}

/**
 * Drives an existing cluster: the one process that created it and test workers that were
 * handed its `info` share this code.
 *
 * @example
 * const shared = attachCluster(inject("postgres").cluster);
 * await shared.restart();
 */
export function attachCluster(info: ClusterInfo): Cluster {
  const pgCtl = (args: string[]): Promise<string> => runPgTool(info.tools, "pg_ctl", ["-D", info.dataDir, ...args], { cwd: info.baseDir });
  const urlFor = (database: string): string => `postgres://postgres@127.0.0.1:${info.port}/${encodeURIComponent(database)}`;
  let created = 0;

  async function admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: urlFor("postgres") });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  const cluster: Cluster = {
    info,
    // A getter: the port can still change while initCluster retries.
    get adminUrl() {
      return urlFor("postgres");
    },
    urlFor,
    async createDatabase() {
      const name = `t_${process.pid}_${++created}_${Math.random().toString(36).slice(2, 8)}`;
      await admin(`CREATE DATABASE ${escapeIdentifier(name)}`);
      return urlFor(name);
    },
    async dropDatabase(name) {
      // FORCE: a test that failed midway may still hold connections.
      await admin(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
    },
    async start() {
      await pgCtl(["-l", info.logFile, ...PG_CTL_WAIT, "start"]).catch((error: Error) => {
        throw new Error(`${error.message}\nserver log:\n${logTail(info)}`, { cause: error });
      });
    },
    async stop(mode = "fast") {
      if (!existsSync(path.join(info.dataDir, "postmaster.pid"))) return;
      await pgCtl(["-m", mode, ...PG_CTL_WAIT, "stop"]);
    },
    async restart() {
      // -l again: restart would otherwise send the server's log to our stdout.
      await pgCtl(["-l", info.logFile, "-m", "fast", ...PG_CTL_WAIT, "restart"]).catch((error: Error) => {
        throw new Error(`${error.message}\nserver log:\n${logTail(info)}`, { cause: error });
      });
    },
    async destroy() {
      try {
        await cluster.stop("immediate");
      } finally {
        owned.delete(info);
        rmSync(info.baseDir, { recursive: true, force: true });
      }
    },
  };
  return cluster;
}

/**
 * Creates and starts a new cluster in its own dir under `root`, on a free loopback port
 * (retrying on another port if that one was taken in the meantime).
 *
 * @example
 * const cluster = await initCluster(await locatePgTools(), makeClusterRoot());
 * const url = await cluster.createDatabase();
 * await cluster.destroy();
 */
export async function initCluster(tools: PgTools, root: string): Promise<Cluster> {
  const baseDir = mkdtempSync(path.join(root, "cluster-"));
  const info: ClusterInfo = {
    tools,
    baseDir,
    dataDir: path.join(baseDir, "data"),
    socketDir: path.join(baseDir, "sock"),
    logFile: path.join(baseDir, "server.log"),
    port: await pickClusterPort(),
  };
  mkdirSync(info.socketDir);
  if (tools.runAs !== null) {
    for (const dir of [baseDir, info.socketDir]) chownSync(dir, tools.runAs.uid, tools.runAs.gid);
  }
  if (!exitHookInstalled) {
    process.once("exit", stopOwnedSync);
    exitHookInstalled = true;
  }
  owned.add(info);
  const cluster = attachCluster(info);
  try {
    // -N: a throwaway cluster need not wait for initdb's fsyncs; the server itself runs with fsync on.
    await runPgTool(tools, "initdb", ["-D", info.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"], { cwd: baseDir });
    writeSettings(info);
    for (let attempt = 1; ; attempt++) {
      try {
        await cluster.start();
        return cluster;
      } catch (error) {
        const portTaken = /could not bind|address already in use/i.test(logTail(info));
        if (!portTaken || attempt >= START_ATTEMPTS) throw error;
        info.port = await pickClusterPort();
        writeSettings(info);
      }
    }
  } catch (error) {
    await cluster.destroy().catch(() => undefined);
    throw error;
  }
}
