import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { startServeProcess } from "../support/serve-process.js";
import { startTestServer, TEST_SECRET } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";
import { LONG, acknowledged, issueOpened, percentile, send, sleep, type Answer, type Signed } from "./chaos-support.js";

/**
 * The store failing under the webhook: the disk filling up (SQLite's max_page_count on the
 * server's own connection), and a lock held by another connection for seconds. The
 * acknowledgement is the commit, so a 202 must always mean stored, a failure must be a 503
 * (never a reset, a 500 or a 202), and the server must recover by itself.
 */

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const is503 = (a: Answer) => "status" in a && a.status === 503 && (a.body as { error?: { code?: string } } | null)?.error?.code === "SWY_E_STORE_UNAVAILABLE";

describe("chaos: the store fails under the webhook (SQLite)", () => {
  it("disk full: 503 and nothing stored, never a 202 for what was not stored; recovers when space returns", async () => {
    // A completion that failed on the full disk leaves its task running until the lease
    // expires and another claim takes it (at-least-once): a short lease keeps that short here.
    const server = await startTestServer({ worker: { leaseMs: 2000 }, retry: { initialDelayMs: 100, maxDelayMs: 500 } }, undefined, { pollMs: 50 });
    cleanups.push(() => server.stop());
    const db = (server.store as SqliteStore).db;
    const pages = db.pragma("page_count", { simple: true }) as number;
    // About 64 KiB of room: a few deliveries of 8 KiB fit, then the file is "full".
    db.pragma(`max_page_count = ${pages + 16}`);

    const M = LONG ? 200 : 40;
    const sent: { d: Signed; answer: Answer }[] = [];
    for (let i = 0; i < M; i++) {
      const d = issueOpened(TEST_SECRET, i + 1, "full", 8 * 1024);
      sent.push({ d, answer: await send(server.webhookUrl, d) });
    }
    const other = sent.filter(({ answer }) => !acknowledged(answer) && !is503(answer));
    expect(other.map(({ answer }) => JSON.stringify(answer))).toEqual([]);
    const accepted = sent.filter(({ answer }) => acknowledged(answer));
    const refused = sent.filter(({ answer }) => is503(answer));
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    const healthWhileFull = (await fetch(`${server.adminUrl}/healthz`)).status;

    const storedIds = () => new Set((db.prepare("SELECT id FROM deliveries").all() as { id: string }[]).map((r) => r.id));
    let stored = storedIds();
    // Every 202 is stored; every 503 stored nothing (so GitHub's redelivery is a first delivery).
    expect(accepted.filter(({ d }) => !stored.has(d.id))).toEqual([]);
    expect(refused.filter(({ d }) => stored.has(d.id)).map(({ d }) => d.id)).toEqual([]);

    // Space returns: the refused ones, redelivered, and new ones are accepted.
    db.pragma("max_page_count = 1073741823");
    const redelivered = await Promise.all(refused.map(({ d }) => send(server.webhookUrl, d)));
    expect(redelivered.filter((a) => !("status" in a) || a.status !== 202)).toEqual([]);
    expect(await send(server.webhookUrl, issueOpened(TEST_SECRET, 9999, "after"))).toMatchObject({ status: 202 });
    stored = storedIds();
    expect(sent.filter(({ d }) => !stored.has(d.id))).toEqual([]);
    // The worker survived the failed writes too: every task finishes.
    await waitFor(() => (db.prepare("SELECT count(*) AS n FROM tasks WHERE status NOT IN ('succeeded', 'dead', 'skipped')").get() as { n: number }).n === 0, 30_000, 100).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(db.prepare("SELECT t.id, t.status, t.attempts, t.run_at - ? AS due_in, t.lease_until - ? AS lease_in, t.last_error FROM tasks t WHERE status NOT IN ('succeeded', 'dead', 'skipped') LIMIT 5").all(Date.now(), Date.now()))}`);
    });
    expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200);
    const attempts = db.prepare("SELECT outcome, count(*) AS n FROM attempts GROUP BY outcome").all() as { outcome: string; n: number }[];
    console.info(`CHAOS_DISK_FULL ${JSON.stringify({ sent: M, accepted: accepted.length, refused503: refused.length, otherAnswers: other.length, healthzWhileFull: healthWhileFull, redeliveredAccepted: redelivered.length, attempts: Object.fromEntries(attempts.map((a) => [a.outcome, a.n])) })}`);
  }, 60_000);

  for (const holdMs of LONG ? [3000, 8000, 15_000] : [3000]) {
    it(`a write lock held by another process for ${holdMs / 1000} s: every answer within GitHub's 10 s, a 202 or a 503, every 202 stored`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "switchyard-chaos-lock-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(path.join(dir, "switchyard.config.yaml"), "{}");
      const server = await startServeProcess(dir, { WEBHOOK_SECRET: TEST_SECRET, LOG_LEVEL: "error" });
      cleanups.push(async () => {
        if (server.child.exitCode === null) server.child.kill("SIGKILL");
        await server.exited;
      });
      const dbFile = path.join(dir, ".switchyard", "switchyard.db");
      expect(await send(server.webhookUrl, issueOpened(TEST_SECRET, 0, "warm"))).toMatchObject({ status: 202 });

      // Another process takes the write lock and sits on it; told "go" on stdin, it holds for holdMs.
      const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
      const holder = spawn(
        process.execPath,
        ["-e", `const D=require(${JSON.stringify(sqlite)});const db=new D(${JSON.stringify(dbFile)});db.exec("BEGIN IMMEDIATE");process.stdout.write("locked\\n");setTimeout(()=>{db.exec("COMMIT");db.close();process.stdout.write("released\\n")},${holdMs});`],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      cleanups.push(() => holder.kill("SIGKILL"));
      let out = "";
      holder.stdout.on("data", (c: Buffer) => (out += c.toString()));
      await waitFor(() => out.includes("locked"), 10_000);
      const lockedAt = Date.now();

      const log: { d: Signed; sentAt: number; answer: Answer }[] = [];
      let n = 0;
      const lane = async () => {
        while (Date.now() - lockedAt < holdMs + 2000) {
          const d = issueOpened(TEST_SECRET, ++n, "lock");
          const sentAt = Date.now();
          log.push({ d, sentAt, answer: await send(server.webhookUrl, d, 30_000) });
          await sleep(100);
        }
      };
      await Promise.all([lane(), lane(), lane(), lane()]);
      await waitFor(() => out.includes("released"), 30_000);

      const others = log.filter(({ answer }) => !acknowledged(answer) && !is503(answer)).map(({ answer }) => JSON.stringify(answer));
      expect(others).toEqual([]);
      const latencies = log.map(({ answer }) => answer.ms);
      const slow = log.filter(({ answer }) => answer.ms > 10_000).map(({ answer }) => `${"status" in answer ? answer.status : "-"} after ${answer.ms} ms`);
      const accepted = log.filter(({ answer }) => acknowledged(answer));
      const refused = log.filter(({ answer }) => is503(answer));
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      cleanups.push(() => db.close());
      const stored = new Set((db.prepare("SELECT id FROM deliveries").all() as { id: string }[]).map((r) => r.id));
      expect(accepted.filter(({ d }) => !stored.has(d.id))).toEqual([]);
      // After the lock is gone, it accepts again; the 503s redelivered are accepted.
      const redelivered = await Promise.all(refused.map(({ d }) => send(server.webhookUrl, d)));
      expect(redelivered.filter((a) => !acknowledged(a))).toEqual([]);
      expect(server.child.exitCode).toBeNull();
      console.info(
        `CHAOS_SLOW_STORE ${JSON.stringify({ holdMs, sent: log.length, accepted: accepted.length, refused503: refused.length, over10s: slow.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) })}`,
      );
      // The writer waits for the lock off the event loop and refuses a write still waiting 5 s
      // after it was queued, so every answer comes within GitHub's 10 s, however long the lock.
      expect(slow).toEqual([]);
    }, 120_000);
  }
});
