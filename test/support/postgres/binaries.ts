import { execFile } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Where the PostgreSQL server tools live, and whom they must run as. */
export interface PgTools {
  binDir: string;
  /** Set when we are root: PostgreSQL refuses to run as root, so its tools run as this user. */
  runAs: { user: string; uid: number; gid: number } | null;
}

const DEBIAN_BIN_ROOT = "/usr/lib/postgresql";

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The directory holding `initdb`, `pg_ctl` and `postgres`: PATH first, then Debian's
 * versioned /usr/lib/postgresql/N/bin (newest first), which is not on PATH by default.
 *
 * @example
 * const binDir = findPgBinDir(); // "/usr/lib/postgresql/15/bin" or null
 */
export function findPgBinDir(): string | null {
  const fromPath = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  let versioned: string[] = [];
  try {
    versioned = readdirSync(DEBIAN_BIN_ROOT)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => path.join(DEBIAN_BIN_ROOT, v, "bin"));
  } catch {
    // No Debian layout: PATH is all there is.
  }
  const hasAll = (dir: string): boolean => ["initdb", "pg_ctl", "postgres"].every((tool) => isExecutable(path.join(dir, tool)));
  return [...fromPath, ...versioned].find(hasAll) ?? null;
}

async function postgresUser(): Promise<{ user: string; uid: number; gid: number }> {
  const { stdout } = await execFileAsync("getent", ["passwd", "postgres"]).catch(() => {
    throw new Error("running as root and there is no `postgres` OS user to run the server as");
  });
  const [, , uid, gid] = stdout.trim().split(":");
  return { user: "postgres", uid: Number(uid), gid: Number(gid) };
}

/**
 * Finds the server tools and, when running as root, the OS user to run them as; throws
 * with a reason a person can act on when PostgreSQL cannot be run here.
 *
 * @example
 * const tools = await locatePgTools();
 * await runPgTool(tools, "pg_ctl", ["-D", dataDir, "status"]);
 */
export async function locatePgTools(): Promise<PgTools> {
  const binDir = findPgBinDir();
  if (binDir === null) {
    throw new Error(`PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or under ${DEBIAN_BIN_ROOT}/*/bin`);
  }
  const runAs = process.getuid?.() === 0 ? await postgresUser() : null;
  return { binDir, runAs };
}

/**
 * The argv that runs `tool` as the tools' user, passing arguments without any shell parsing them.
 *
 * @example
 * const [file, argv] = pgToolCommand(tools, "pg_ctl", ["-D", dataDir, "-m", "immediate", "stop"]);
 * execFileSync(file, argv);
 */
export function pgToolCommand(tools: PgTools, tool: string, args: string[]): [string, string[]] {
  const file = path.join(tools.binDir, tool);
  if (tools.runAs === null) return [file, args];
  if (isExecutable("/usr/sbin/runuser") || isExecutable("/sbin/runuser")) {
    return ["runuser", ["-u", tools.runAs.user, "--", file, ...args]];
  }
  // su hands trailing words to the shell as $0, $1…: "$@" keeps them unparsed.
  return ["su", [tools.runAs.user, "-s", "/bin/sh", "-c", 'exec "$0" "$@"', file, ...args]];
}

/**
 * Runs a PostgreSQL tool (as the `postgres` user when we are root) and resolves with its
 * output; rejects with stdout and stderr in the message.
 *
 * @example
 * await runPgTool(tools, "initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust"], { cwd: baseDir });
 */
export async function runPgTool(tools: PgTools, tool: string, args: string[], options: { cwd: string }): Promise<string> {
  const [file, argv] = pgToolCommand(tools, tool, args);
  try {
    const { stdout, stderr } = await execFileAsync(file, argv, { cwd: options.cwd, timeout: 120_000 });
    return stdout + stderr;
  } catch (error) {
    const e = error as Error & { code?: number | string; stdout?: string; stderr?: string };
    throw new Error(`${tool} ${args.join(" ")} failed (${e.code ?? "?"}): ${`${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || e.message}`, { cause: error });
  }
}
