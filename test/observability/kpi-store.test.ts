import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { computeKpis } from "../../src/observability/compute-kpis.js";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { KpiCounts } from "../../src/store/store-stats.js";
import type { NewTask, Store, TaskOutcome } from "../../src/store/store.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../support/postgres.js";

const HOUR = 3_600_000;
const T = Date.UTC(2030, 0, 15, 12, 0, 0);
const WINDOW = { since: T - 24 * HOUR, until: T };
const REPLAY_WINDOW = { replayWindowMs: 72 * HOUR };

const task = (agent: string, runAt?: number): NewTask => ({ rule: `r-${agent}`, agent, action: "act", priority: "high", idempotencyKey: null, runAt });
const transient: TaskOutcome = { status: "ready", outcome: "transient", runAt: T - 1, error: "busy", retryDelayMs: 1000 };
const shutdown: TaskOutcome = { status: "ready", outcome: "shutdown", runAt: T - 1, error: "stopped", retryDelayMs: 0 };
const handedBack: TaskOutcome = { status: "ready", outcome: "handed-back", runAt: T - 1, error: "no such agent here", retryDelayMs: 0 };
const succeeded: TaskOutcome = { status: "succeeded" };
const deadTransient: TaskOutcome = { status: "dead", outcome: "transient", error: "still busy" };
const deadPermanent: TaskOutcome = { status: "dead", outcome: "permanent", error: "bad input" };

interface Built {
  /** What the store says it received: reopened read-only after the writer closed (and flushed its counters). */
  reader: Store;
  close: () => Promise<void>;
}

/** Claims the one due task and records `outcomes` for it, one attempt each. */
async function run(store: Store, outcomes: readonly TaskOutcome[]): Promise<void> {
  for (const outcome of outcomes) {
    const [claimed] = await store.claim({ owner: "kpi-test", now: T, leaseMs: 60_000, limit: 1 });
    expect(claimed).toBeDefined();
    expect(await store.complete(claimed!.id, claimed!.leaseToken, outcome, T)).toBe(true);
  }
}

/**
 * The hand-built history the KPI test reads (every delivery received before T):
 *
 * | delivery | received | tasks and their attempts                        | ack ms |
 * |----------|----------|--------------------------------------------------|--------|
 * | d1       | T−1h     | A: succeeded                                     | 100    |
 * | d2       | T−2h     | A: transient, succeeded; replayed: succeeded     | 200    |
 * | d3       | T−3h     | A: transient, dead (transient)                   | 300    |
 * | d4       | T−4h     | A: succeeded; B: dead (permanent)                | 400    |
 * | d5       | T−5h     | A: ready, due in an hour (pending)               | 500    |
 * | d6 ping  | T−6h     | none                                             | 5000   |
 * | d7       | T−7h     | none, and stored without a signature             | 600    |
 * | d8       | T−8h     | A: shutdown, handed back, succeeded              | 700    |
 * | old      | T−48h    | A: dead (outside the window)                     | 900    |
 *
 * Refused requests: 3 bad_signature, 1 missing_signature and 2 rate_limited at T−2h;
 * 5 bad_signature at T−30h (outside).
 */
async function buildHistory(store: Store, setAckMs: (id: string, ms: number) => Promise<void>): Promise<void> {
  await store.migrate();
  let n = 0;
  const accept = async (id: string, hoursAgo: number, tasks: NewTask[], options: { event?: string; unsigned?: boolean } = {}) => {
    const result = await store.accept(
      {
        id,
        signature: options.unsigned ? null : `sha256=${String(++n).padStart(64, "0")}`,
        event: options.event ?? "issues",
        action: options.event ? null : "opened",
        repository: "octo/repo",
        installation: null,
        headers: {},
        body: Buffer.from("{}"),
        receivedAt: T - hoursAgo * HOUR,
      },
      tasks,
      REPLAY_WINDOW,
    );
    expect(result.duplicate).toBe(false);
  };
  await accept("old", 48, [task("A")]);
  await run(store, [deadPermanent]);
  await accept("d1", 1, [task("A")]);
  await run(store, [succeeded]);
  await accept("d2", 2, [task("A")]);
  await run(store, [transient, succeeded]);
  // An operator's replay runs it once more: a re-run, not a retry.
  const [d2Task] = await store.listTasks({ delivery: "d2", limit: 1 });
  expect(await store.replayTask(d2Task!.id, T)).toBe("succeeded");
  await run(store, [succeeded]);
  await accept("d3", 3, [task("A")]);
  await run(store, [transient, deadTransient]);
  await accept("d4", 4, [task("A"), task("B")]);
  await run(store, [succeeded, deadPermanent]);
  await accept("d8", 8, [task("A")]);
  await run(store, [shutdown, handedBack, succeeded]);
  await accept("d5", 5, [task("A", T + HOUR)]);
  await accept("d6", 6, [], { event: "ping" });
  await accept("d7", 7, [], { unsigned: true });
  const acks: Record<string, number> = { d1: 100, d2: 200, d3: 300, d4: 400, d5: 500, d6: 5000, d7: 600, d8: 700, old: 900 };
  for (const [id, ms] of Object.entries(acks)) await setAckMs(id, ms);
  for (let i = 0; i < 3; i++) store.countRejection!("bad_signature", T - 2 * HOUR);
  store.countRejection!("missing_signature", T - 2 * HOUR);
  store.countRejection!("rate_limited", T - 2 * HOUR);
  store.countRejection!("rate_limited", T - 2 * HOUR + 1);
  for (let i = 0; i < 5; i++) store.countRejection!("bad_signature", T - 30 * HOUR);
}

const EXPECTED_COUNTS: KpiCounts = {
  deliveries: 8,
  unsigned: 1,
  acked: 8,
  // Nearest rank: ceil(0.95 × 8) = 8th of 100…700, 5000.
  ackP95Ms: 5000,
  routedFinished: 5,
  routedSucceeded: 3,
  finishedTasks: 6,
  // d2's and d3's second runs; d8's re-runs after a shutdown and a hand-back, and d2's replay, are not retries.
  retries: 2,
  retriedTasks: 2,
  retriedSucceeded: 1,
  rejections: { bad_signature: 3, missing_signature: 1, rate_limited: 2 },
  // The window starts on the hour: the refusals' hours are the window's.
  verifiedInRejectionHours: 7,
};

const EXPECTED_KPIS = [
  { id: "routing_success", name: "Event routing success rate", target: "> 99", actual: 60, unit: "%", status: "missed" },
  { id: "response_time_p95", name: "Webhook response time (p95)", target: "< 3", actual: 5, unit: "s", status: "missed" },
  // 7 verified deliveries, 4 failed signature checks: 7 / 11 = 63.6363…
  { id: "security_verification", name: "Security verification success rate", target: "= 100", actual: 63.63, unit: "%", status: "missed" },
  { id: "unauthorized_acceptances", name: "Unauthorized webhook acceptances", target: "= 0", actual: 1, unit: "deliveries", status: "missed" },
  { id: "retry_success", name: "Retry success rate (transient failures)", target: "> 95", actual: 50, unit: "%", status: "missed" },
  // 2 retries over 6 finished tasks = 0.333…, shown rounded up.
  { id: "average_retries", name: "Average retry count", target: "< 1.5", actual: 0.34, unit: "retries", status: "met" },
];

function runKpiStoreSuite(build: () => Promise<Built>, buildEmpty: () => Promise<Built>): void {
  it("computes every KPI from a hand-built history", async () => {
    const { reader, close } = await build();
    try {
      const counts = await reader.readKpiCounts!(WINDOW);
      expect(counts).toEqual(EXPECTED_COUNTS);
      expect(computeKpis(counts, WINDOW)).toEqual({ ...WINDOW, kpis: EXPECTED_KPIS });
    } finally {
      await close();
    }
  });

  it("sets the refusals of the hours a short window starts in against the verified deliveries of those same hours", async () => {
    const { reader, close } = await build();
    try {
      // From half past the hour of the refusals: d1 is in the window, d2 (on that hour) only in the refusals' hours.
      const window = { since: T - 2 * HOUR + HOUR / 2, until: T };
      const counts = await reader.readKpiCounts!(window);
      expect(counts).toMatchObject({ deliveries: 1, verifiedInRejectionHours: 2, rejections: { bad_signature: 3, missing_signature: 1, rate_limited: 2 } });
      // 2 / (2 + 4), not 1 / (1 + 4).
      expect(computeKpis(counts, window).kpis.find((k) => k.id === "security_verification")).toMatchObject({ actual: 33.33, status: "missed" });
    } finally {
      await close();
    }
  });

  it("reads the queue gauges: ready, running, dead and the oldest due ready task", async () => {
    const { reader, close } = await build();
    try {
      // d5's task is ready but not due before T + 1h; old, d3 and d4's B are dead.
      expect(await reader.readQueueStats!(T)).toEqual({ ready: 1, running: 0, dead: 3, oldestDueRunAt: null });
      expect(await reader.readQueueStats!(T + 3 * HOUR)).toEqual({ ready: 1, running: 0, dead: 3, oldestDueRunAt: T + HOUR });
    } finally {
      await close();
    }
  });

  it("answers n/a for every KPI of an empty store", async () => {
    const { reader, close } = await buildEmpty();
    try {
      const counts = await reader.readKpiCounts!(WINDOW);
      expect(counts).toEqual({ deliveries: 0, unsigned: 0, acked: 0, ackP95Ms: null, routedFinished: 0, routedSucceeded: 0, finishedTasks: 0, retries: 0, retriedTasks: 0, retriedSucceeded: 0, rejections: {}, verifiedInRejectionHours: 0 });
      const report = computeKpis(counts, WINDOW);
      expect(report.kpis.map((k) => [k.id, k.actual, k.status])).toEqual([
        ["routing_success", null, "n/a"],
        ["response_time_p95", null, "n/a"],
        ["security_verification", null, "n/a"],
        ["unauthorized_acceptances", null, "n/a"],
        ["retry_success", null, "n/a"],
        ["average_retries", null, "n/a"],
      ]);
      expect(await reader.readQueueStats!(T)).toEqual({ ready: 0, running: 0, dead: 0, oldestDueRunAt: null });
    } finally {
      await close();
    }
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterAll(dropTestDatabases);

async function sqliteBuilt(fill: boolean): Promise<Built> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-kpi-"));
  dirs.push(dir);
  const file = path.join(dir, "kpi.db");
  const writer = createSqliteStore(file, { exclusive: true });
  if (fill) await buildHistory(writer, async (id, ms) => void writer.db.prepare("UPDATE deliveries SET ack_ms = ? WHERE id = ?").run(ms, id));
  else await writer.migrate();
  // Closing writes the rejection counters still held in memory.
  await writer.close();
  const reader = createSqliteStore(file, { readonly: true });
  await reader.migrate();
  return { reader, close: () => reader.close() };
}

describe("KPIs from a SQLite store", () => {
  runKpiStoreSuite(() => sqliteBuilt(true), () => sqliteBuilt(false));
});

async function postgresBuilt(fill: boolean): Promise<Built> {
  const url = await createTestDatabase();
  const writer = createPostgresStore(url, {});
  if (fill) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await buildHistory(writer, async (id, ms) => void (await client.query("UPDATE deliveries SET ack_ms = $1 WHERE id = $2", [ms, id])));
    } finally {
      await client.end();
    }
  } else await writer.migrate();
  await writer.close();
  const reader = createPostgresStore(url, { readonly: true });
  await reader.migrate();
  return { reader, close: () => reader.close() };
}

describePg("KPIs from a PostgreSQL store", () => {
  runKpiStoreSuite(() => postgresBuilt(true), () => postgresBuilt(false));
});
