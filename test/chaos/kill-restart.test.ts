import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";
import { LONG, acknowledged, isRunOf, issueOpened, readRuns, send, writeLoggingAgent, type Answer, type Signed } from "./chaos-support.js";

/**
 * kill -9 of `serve` (SQLite) at random moments during a load of distinct signed
 * deliveries with the worker running; each time a new `serve` starts on the same file, and
 * what got no answer is sent again, as GitHub's redelivery would. Then: acknowledged but
 * lost (must be 0), stored twice (0), tasks unfinished (0), and tasks run more than once —
 * allowed (at-least-once), but only when an earlier run was cut off by a kill.
 */

const SECRET = "chaos-kill-secret";
const N = LONG ? 1500 : 160;
const KILLS = LONG ? 5 : 2;
const LANES = 8;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("chaos: kill -9 of serve under load (SQLite)", () => {
  it(
    `${N} deliveries, ${KILLS} kills at random moments: nothing acknowledged is lost, nothing stored twice, every task finishes`,
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "switchyard-chaos-kill-"));
      // Retried: an orphaned agent of a killed serve may still be writing its last line.
      cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));
      const logFile = path.join(dir, "runs.log");
      const agent = writeLoggingAgent(dir, logFile, 30, 150);
      writeFileSync(
        path.join(dir, "switchyard.config.yaml"),
        JSON.stringify({ worker: { concurrency: 4, leaseMs: 3000 }, retry: { initialDelayMs: 100, maxDelayMs: 500 }, agents: { IssueAgent: { exec: [process.execPath, agent] } } }),
      );
      const env = { WEBHOOK_SECRET: SECRET, LOG_LEVEL: "warn" };
      let server: ServeProcess = await startServeProcess(dir, env);
      const started: ServeProcess[] = [server];
      cleanups.push(async () => {
        for (const s of started) {
          if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
          await s.exited;
        }
        for (const r of readRuns(logFile)) if (!r.ended && isRunOf(r.pid, agent)) process.kill(r.pid, "SIGKILL");
      });

      const deliveries: Signed[] = Array.from({ length: N }, (_, i) => issueOpened(SECRET, i + 1, "kill"));
      const answers = new Map<string, Answer[]>();
      const record = (d: Signed, a: Answer) => answers.set(d.id, [...(answers.get(d.id) ?? []), a]);
      // Kill points: spread over the load, each at a random spot in its slice.
      const killAt = Array.from({ length: KILLS }, (_, k) => Math.floor(((k + 0.5 + (Math.random() - 0.5) * 0.6) * N) / (KILLS + 1)));
      const killed: number[] = [];
      let restarting: Promise<void> | null = null;
      let next = 0;
      let answered = 0;
      const restartMs: number[] = [];

      const lane = async () => {
        while (next < N) {
          if (restarting) await restarting;
          const d = deliveries[next++]!;
          record(d, await send(server.webhookUrl, d));
          answered++;
          if (killed.length < KILLS && answered >= killAt[killed.length]! && !restarting) {
            restarting = (async () => {
              const victim = server;
              victim.child.kill("SIGKILL");
              await victim.exited;
              killed.push(victim.child.pid!);
              const t = Date.now();
              server = await startServeProcess(dir, env);
              started.push(server);
              restartMs.push(Date.now() - t);
            })().finally(() => (restarting = null));
          }
        }
      };
      const loadStarted = Date.now();
      await Promise.all(Array.from({ length: LANES }, lane));
      if (restarting) await restarting;
      const loadMs = Date.now() - loadStarted;
      expect(killed).toHaveLength(KILLS);

      // GitHub's redelivery: whatever got no acknowledgement, again, until it does (bounded).
      let redelivered = 0;
      for (let pass = 0; pass < 5; pass++) {
        const missing = deliveries.filter((d) => !answers.get(d.id)!.some(acknowledged));
        if (missing.length === 0) break;
        for (const d of missing) {
          redelivered++;
          record(d, await send(server.webhookUrl, d));
        }
      }

      // Every answer is an acknowledgement or no answer at all (the kill): never a 4xx or 5xx.
      const all = [...answers.values()].flat();
      const statuses = all.filter((a) => "status" in a).map((a) => (a as { status: number }).status);
      expect(statuses.filter((s) => s !== 202 && s !== 200)).toEqual([]);
      const noAnswer = all.filter((a) => "error" in a).length;
      const acked = deliveries.filter((d) => answers.get(d.id)!.some(acknowledged));
      expect(acked).toHaveLength(N);

      // The worker finishes everything.
      const db = new Database(path.join(dir, ".switchyard", "switchyard.db"), { readonly: true, fileMustExist: true });
      cleanups.push(() => db.close());
      const settleStarted = Date.now();
      await waitFor(() => (db.prepare("SELECT count(*) AS n FROM tasks WHERE status <> 'succeeded'").get() as { n: number }).n === 0, LONG ? 600_000 : 60_000, 200).catch((error: Error) => {
        const left = db.prepare("SELECT status, count(*) AS n, min(run_at) AS first_due FROM tasks WHERE status <> 'succeeded' GROUP BY status").all();
        throw new Error(`${error.message}: not finished ${JSON.stringify(left)} at ${Date.now()}`);
      });
      const settleMs = Date.now() - settleStarted;

      const stored = db.prepare("SELECT id, body, signature FROM deliveries").all() as { id: string; body: Buffer; signature: string }[];
      const byId = new Map(stored.map((r) => [r.id, r]));
      const lost = acked.filter((d) => byId.get(d.id)?.body.toString("utf8") !== d.body);
      const storedTwice = stored.length - new Set(stored.map((r) => r.signature)).size;
      const tasks = db.prepare("SELECT id, delivery, status, attempts FROM tasks").all() as { id: number; delivery: string; status: string; attempts: number }[];
      const tasksPerDelivery = new Map<string, number>();
      for (const t of tasks) tasksPerDelivery.set(t.delivery, (tasksPerDelivery.get(t.delivery) ?? 0) + 1);
      expect(lost).toEqual([]);
      expect(stored).toHaveLength(N);
      expect(storedTwice).toBe(0);
      expect([...tasksPerDelivery.values()].filter((n) => n !== 1)).toEqual([]);
      expect(tasks).toHaveLength(N);
      const unfinished = tasks.filter((t) => t.status !== "succeeded");
      expect(unfinished).toEqual([]);

      // Runs: more than one for a task only when an earlier one was started by a killed serve.
      await waitFor(() => readRuns(logFile).every((r) => r.ended || !isRunOf(r.pid, agent)), 10_000, 50);
      const runs = readRuns(logFile);
      const byTask = new Map<string, typeof runs>();
      for (const r of runs) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
      const liveParents = new Set(started.map((s) => s.child.pid!).filter((pid) => !killed.includes(pid)));
      const unexplained: string[] = [];
      let ranTwice = 0;
      for (const t of tasks) {
        const mine = byTask.get(String(t.id)) ?? [];
        expect(mine.length, `runs of task ${t.id}`).toBeGreaterThanOrEqual(1);
        if (mine.length > 1) ranTwice++;
        // A run whose parent is no surviving serve was started by a killed one (one that died
        // before the run read its parent id shows init's, or a subreaper's).
        const survivors = mine.filter((r) => liveParents.has(r.parent));
        if (survivors.length > 1) {
          const attempts = db.prepare("SELECT n, outcome, error FROM attempts WHERE task = ? ORDER BY n").all(t.id);
          unexplained.push(`task ${t.id}: ${survivors.length} runs by live instances ${JSON.stringify(survivors)} killed ${JSON.stringify(killed)} attempts ${JSON.stringify(attempts)}`);
        }
      }
      expect(unexplained).toEqual([]);
      const summary = {
        deliveries: N,
        kills: KILLS,
        loadMs,
        restartMs,
        noAnswer,
        redelivered,
        acknowledged: acked.length,
        lost: lost.length,
        storedTwice,
        unfinished: unfinished.length,
        tasksRunMoreThanOnce: ranTwice,
        runs: runs.length,
        settleMs,
      };
      console.info(`CHAOS_KILL ${JSON.stringify(summary)}`);
    },
    LONG ? 1_200_000 : 120_000,
  );
});
