import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signPayload } from "../../src/security/verify-signature.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { TaskDetail } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { freePorts, startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Ctrl-C on `npm start` (the README's command) while an `exec` agent runs, with real
 * processes and real signals: the server drains, or is forced by a later signal, and in
 * every case its agent does not outlive it, the lock is released, and a task never runs
 * beside an earlier run of itself — also after a kill -9, when the restart must end the
 * orphan first.
 *
 * The agent logs "start <pid>", "child <pid>" (a grandchild in its process group) and
 * "end <pid>"; at start it looks at every run that started and did not end, and logs
 * "overlap" if one of them is still alive.
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "shutdown-test-secret";
/** The worker's default drain: a graceful stop exits within it (plus its abort grace when cut off). */
const DRAIN_MS = 25_000;

/** Alive and not a zombie: a killed orphan may wait a while for its reaper. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return process.platform !== "linux";
  }
}

interface Runs {
  starts: number[];
  ends: number[];
  children: number[];
  overlaps: string[];
}

function readRuns(log: string): Runs {
  const lines = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  const pids = (word: string) => lines.filter((l) => l.startsWith(`${word} `)).map((l) => Number(l.split(" ")[1]));
  return { starts: pids("start"), ends: pids("end"), children: pids("child"), overlaps: lines.filter((l) => l.startsWith("overlap")) };
}

/** An exec agent whose first attempt sleeps `firstMs` and later ones `laterMs`. */
function agentScript(log: string, firstMs: number, laterMs: number): string {
  return `import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
const LOG = ${JSON.stringify(log)};
const alive = (pid) => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === "EPERM";
  }
  try {
    const stat = readFileSync("/proc/" + pid + "/stat", "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return process.platform !== "linux";
  }
};
const log = (line) => appendFileSync(LOG, line + "\\n");
const lines = existsSync(LOG) ? readFileSync(LOG, "utf8").split("\\n") : [];
const ended = new Set(lines.filter((l) => l.startsWith("end ")).map((l) => l.split(" ")[1]));
for (const line of lines.filter((l) => l.startsWith("start "))) {
  const pid = line.split(" ")[1];
  if (!ended.has(pid) && alive(Number(pid))) log("overlap " + process.pid + " began while " + pid + " still ran");
}
log("start " + process.pid);
const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" });
log("child " + child.pid);
const ms = process.env.SWITCHYARD_ATTEMPT === "1" ? ${firstMs} : ${laterMs};
setTimeout(() => {
  child.kill();
  log("end " + process.pid);
}, ms);
`;
}

interface NpmServe {
  npm: ChildProcess;
  /** The serve process under npm (from the lock file). */
  pid: number;
  webhookUrl: string;
  adminUrl: string;
  stderr: () => string;
  /** Resolves once npm and the serve process under it are both gone. */
  gone: () => Promise<void>;
}

describe("shutdown of npm start while an exec agent runs", () => {
  let dir: string;
  let log: string;
  let dbFile: string;
  let configFile: string;
  const groups: number[] = [];
  const serves: ServeProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-shutdown-"));
    log = path.join(dir, "runs.log");
    dbFile = path.join(dir, "switchyard.db");
    configFile = path.join(dir, "switchyard.config.yaml");
  });
  afterEach(() => {
    for (const pgid of groups.splice(0)) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const serve of serves.splice(0)) serve.child.kill("SIGKILL");
    const runs = readRuns(log);
    for (const pid of [...runs.starts, ...runs.children]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function configure(firstMs: number, laterMs: number): void {
    const agent = path.join(dir, "agent.mjs");
    writeFileSync(agent, agentScript(log, firstMs, laterMs));
    writeFileSync(configFile, `agents:\n  IssueAgent: { exec: [${JSON.stringify(process.execPath)}, ${JSON.stringify(agent)}] }\n`);
  }

  /** `npm start` in the repository, in its own process group as a terminal would run it. */
  async function startNpm(): Promise<NpmServe> {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const npm = spawn("npm", ["start", "--", "--config", configFile], {
      cwd: REPO,
      detached: true,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? dir,
        npm_config_update_notifier: "false",
        LOG_LEVEL: "info",
        WEBHOOK_SECRET: SECRET,
        DATABASE_URL: `sqlite:${dbFile}`,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    groups.push(npm.pid!);
    let err = "";
    npm.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const npmExited = new Promise<void>((resolve) => npm.once("exit", () => resolve()));
    let exited = false;
    void npmExited.then(() => (exited = true));
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    await waitFor(async () => {
      if (exited) throw new Error(`npm start exited early:\n${err}`);
      try {
        return (await fetch(`${adminUrl}/healthz`)).status === 200;
      } catch {
        return false;
      }
    }, 30_000);
    const pid = Number(readFileSync(`${dbFile}.lock`, "utf8").split("\n")[0]);
    expect(pid).not.toBe(npm.pid);
    return {
      npm,
      pid,
      webhookUrl: `http://127.0.0.1:${port}/webhooks/github`,
      adminUrl,
      stderr: () => err,
      gone: async () => {
        await npmExited;
        await waitFor(() => !isAlive(pid), 10_000);
      },
    };
  }

  /** A signed issues.opened about issue `n` (another n, another body: not a replay of the last). */
  async function deliver(webhookUrl: string, n = 1): Promise<void> {
    const payload = exampleOf("issues", "opened") as unknown as { issue: { number: number } };
    payload.issue.number = n;
    const body = JSON.stringify(payload);
    const res = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": randomUUID(), "x-hub-signature-256": signPayload(SECRET, body) },
      body,
    });
    expect(res.status).toBe(202);
  }

  async function onlyTask(): Promise<TaskDetail> {
    const store = createSqliteStore(dbFile, { readonly: true });
    try {
      const [task] = await store.listTasks({ limit: 10 });
      return (await store.getTask(task!.id))!;
    } finally {
      await store.close();
    }
  }

  /** The process group recorded on the running attempt: once it is there, a restart can find the agent. */
  async function waitForRecordedGroup(pid: number): Promise<void> {
    await waitFor(() => {
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        return db.prepare("SELECT pgid FROM attempts WHERE pgid = ?").get(pid) !== undefined;
      } finally {
        db.close();
      }
    }, 10_000, 50);
  }

  function expectNoAgentAlive(runs: Runs): void {
    expect(runs.starts.length).toBeGreaterThan(0);
    expect(runs.children.length).toBe(runs.starts.length);
    expect([...runs.starts, ...runs.children].filter(isAlive)).toEqual([]);
  }

  it("Ctrl-C (duplicated, as npm and terminals do): drains within the drain time, leaves no agent process and a free lock", { timeout: 90_000 }, async () => {
    configure(4000, 500);
    const serve = await startNpm();
    await deliver(serve.webhookUrl);
    await waitFor(() => readRuns(log).starts.length === 1, 15_000);

    const signalled = Date.now();
    // The terminal's Ctrl-C reaches the whole foreground group; a second copy follows at once.
    process.kill(-serve.npm.pid!, "SIGINT");
    process.kill(-serve.npm.pid!, "SIGINT");
    await serve.gone();
    expect(Date.now() - signalled).toBeLessThan(DRAIN_MS);

    // Every further copy is taken for the same request, never a force. (How many arrive
    // varies: npm forwards one too, and a signal already pending is not queued twice.)
    expect(serve.stderr()).not.toContain("forcing the stop");
    // It said what it waited for, and how long it had left.
    expect(serve.stderr()).toMatch(/draining: 1 task still running \(IssueAgent task 1, \d+ s\); \d+ s left/);
    expect(serve.stderr()).toContain("switchyard: stopped");
    expect(existsSync(`${dbFile}.lock`)).toBe(false);
    const runs = readRuns(log);
    expectNoAgentAlive(runs);
    // The run finished within the drain: it ended normally, once.
    expect(runs.ends).toEqual(runs.starts);
    const task = await onlyTask();
    expect(task).toMatchObject({ status: "succeeded", attempts: 1 });

    // After a restart the agent runs again (a new delivery), never beside the first run.
    const second = await startNpm();
    await deliver(second.webhookUrl, 2);
    await waitFor(async () => {
      const store = createSqliteStore(dbFile, { readonly: true });
      try {
        const tasks = await store.listTasks({ limit: 10 });
        return tasks.length === 2 && tasks.every((t) => t.status === "succeeded");
      } finally {
        await store.close();
      }
    }, 30_000, 200);
    process.kill(-second.npm.pid!, "SIGINT");
    await second.gone();
    const after = readRuns(log);
    expect(after.starts).toHaveLength(2);
    expect(after.ends).toEqual(after.starts);
    expect(after.overlaps).toEqual([]);
    expectNoAgentAlive(after);
    expect(existsSync(`${dbFile}.lock`)).toBe(false);
  });

  it("a later Ctrl-C forces: the agent's group dies at once, the task goes back uncounted, and the rerun after restart never overlaps it", { timeout: 120_000 }, async () => {
    // The first run would outlast the drain; the rerun is short.
    configure(60_000, 500);
    const first = await startNpm();
    await deliver(first.webhookUrl);
    await waitFor(() => readRuns(log).starts.length === 1, 15_000);
    await waitForRecordedGroup(readRuns(log).starts[0]!);

    const signalled = Date.now();
    process.kill(-first.npm.pid!, "SIGINT");
    // Past the window in which a second signal is the same request.
    await waitFor(() => Date.now() - signalled > 2500, 5000, 100);
    process.kill(-first.npm.pid!, "SIGINT");
    await first.gone();
    // A graceful stop would have waited the whole drain for the 60 s agent.
    expect(Date.now() - signalled).toBeLessThan(DRAIN_MS);
    expect(first.stderr()).toContain("forcing the stop");
    expect(first.stderr()).toContain("switchyard: stopped (forced)");
    expect(existsSync(`${dbFile}.lock`)).toBe(false);
    expectNoAgentAlive(readRuns(log));
    expect(readRuns(log).ends).toEqual([]);
    const cutOff = await onlyTask();
    expect(cutOff).toMatchObject({ status: "ready", attempts: 1 });
    expect(cutOff.attemptLog.map((a) => a.outcome)).toEqual(["shutdown"]);

    const second = await startNpm();
    const done = await waitFor(async () => {
      const task = await onlyTask();
      return task.status === "succeeded" ? task : null;
    }, 30_000, 200);
    expect(done.attemptLog.map((a) => a.outcome)).toEqual(["shutdown", "succeeded"]);
    const runs = readRuns(log);
    expect(runs.starts).toHaveLength(2);
    expect(runs.ends).toEqual([runs.starts[1]]);
    expect(runs.overlaps).toEqual([]);

    process.kill(-second.npm.pid!, "SIGTERM");
    await second.gone();
    expect(existsSync(`${dbFile}.lock`)).toBe(false);
    expectNoAgentAlive(readRuns(log));
  });

  /**
   * A serve killed with SIGKILL while its exec agent runs (the agent lives on: the orphan), then
   * a second serve on the same database.
   */
  async function orphanAcrossRestart(extraEnv: Record<string, string>) {
    configure(60_000, 500);
    const env = { WEBHOOK_SECRET: SECRET, DATABASE_URL: `sqlite:${dbFile}`, LOG_LEVEL: "info", ...extraEnv };
    const first = await startServeProcess(dir, env, ["serve", "--config", configFile]);
    serves.push(first);
    await deliver(first.webhookUrl);
    await waitFor(() => readRuns(log).starts.length === 1, 15_000);
    const [orphan] = readRuns(log).starts;
    await waitForRecordedGroup(orphan!);
    first.child.kill("SIGKILL");
    await first.exited;
    // Nothing ended it: this is the orphan a restart used to run the task beside.
    expect(isAlive(orphan!)).toBe(true);
    const second = await startServeProcess(dir, env, ["serve", "--config", configFile]);
    serves.push(second);
    return { orphan: orphan!, second };
  }

  it("kill -9 while an exec agent runs: the orphan keeps running, and the restart kills it before the task runs again", { timeout: 120_000 }, async () => {
    const { orphan, second } = await orphanAcrossRestart({});
    const done = await waitFor(async () => {
      const task = await onlyTask();
      return task.status === "succeeded" ? task : null;
    }, 30_000, 200);
    const runs = readRuns(log);
    expect(runs.starts).toEqual([orphan, expect.any(Number)]);
    // The rerun found the orphan gone when it started, and the orphan never got to its end.
    expect(runs.overlaps).toEqual([]);
    expect(runs.ends).toEqual([runs.starts[1]]);
    expect(done.attemptLog.map((a) => a.outcome)).toEqual(["lease-expired", "succeeded"]);
    expect(second.stderr()).toContain(`the agent of attempt 1 (process group ${orphan}) is still running, left by a worker that stopped or lost the task's lease without ending it: killing it before this attempt runs`);
    expect([...runs.starts, ...runs.children].filter(isAlive)).toEqual([]);
  });

  it("kill -9 on a task's last allowed attempt: the restart gives the task up and kills the orphan its agent left", { timeout: 120_000 }, async () => {
    // No retries: the cut-off attempt is the task's last.
    const { orphan, second } = await orphanAcrossRestart({ RETRY_MAX_ATTEMPTS: "0" });
    const task = await onlyTask();
    expect(task.status).toBe("dead");
    expect(task.attemptLog.map((a) => a.outcome)).toEqual(["lease-expired"]);
    // Nothing will run the task again to end it: the restart does.
    await waitFor(() => !isAlive(orphan) || null, 10_000, 100);
    expect(second.stderr()).toContain(`the agent of attempt 1 (process group ${orphan}) is still running, left by a worker that stopped, and its task was given up: killing it`);
    expect(readRuns(log).starts).toEqual([orphan]);
  });
});
