import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store, TaskOutcome } from "../../src/store/store.js";
import { createWorkdir, runCli } from "../support/run-cli.js";

const HOUR = 3_600_000;

/** Claims the one due task and records `outcomes`, one attempt each. */
async function run(store: Store, now: number, outcomes: readonly TaskOutcome[]): Promise<void> {
  for (const outcome of outcomes) {
    const [task] = await store.claim({ owner: "cli-test", now, leaseMs: 60_000, limit: 1 });
    await store.complete(task!.id, task!.leaseToken, outcome, now);
  }
}

describe("switchyard kpi", () => {
  const work = createWorkdir();
  const env = { DATABASE_URL: "sqlite:kpi.db" };

  // Two deliveries an hour ago: one task succeeded at once (ack 120 ms), one after a
  // transient failure (ack 80 ms); one request refused for a bad signature. And one
  // delivery two days ago, outside the default 24 h.
  beforeAll(async () => {
    const now = Date.now();
    const store = createSqliteStore(path.join(work.dir, "kpi.db"), { exclusive: true });
    await store.migrate();
    const deliver = async (id: string, receivedAt: number) => {
      const task = { rule: "r", agent: "IssueAgent", action: "a", priority: "high" as const, idempotencyKey: null };
      await store.accept({ id, signature: `sha256=${id.padStart(64, "0")}`, event: "issues", action: "opened", repository: "o/r", installation: null, headers: {}, body: Buffer.from("{}"), receivedAt }, [task], { replayWindowMs: 72 * HOUR });
    };
    await deliver("1", now - HOUR);
    await run(store, now, [{ status: "succeeded" }]);
    await deliver("2", now - HOUR);
    await run(store, now, [{ status: "ready", outcome: "transient", runAt: now - 1, error: "busy", retryDelayMs: 10 }, { status: "succeeded" }]);
    await deliver("3", now - 48 * HOUR);
    await run(store, now, [{ status: "dead", outcome: "permanent", error: "no" }]);
    store.db.prepare("UPDATE deliveries SET ack_ms = CASE id WHEN '1' THEN 120 WHEN '2' THEN 80 ELSE 9000 END").run();
    store.countRejection!("bad_signature", now - HOUR);
    await store.close();
    const empty = createSqliteStore(path.join(work.dir, "empty.db"), { exclusive: true });
    await empty.migrate();
    await empty.close();
  });
  afterAll(() => work.remove());

  it("--json prints one line in the documented shape, computed from the store", async () => {
    const before = Date.now();
    const result = await runCli(["kpi", "--json"], { cwd: work.dir, env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(result.stdout.trimEnd().split("\n")).toHaveLength(1);
    const report = JSON.parse(result.stdout) as { since: string; until: string; kpis: unknown[] };
    expect(Date.parse(report.until)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(report.until) - Date.parse(report.since)).toBe(24 * HOUR);
    expect(report.kpis).toEqual([
      { id: "routing_success", name: "Event routing success rate", target: "> 99", actual: 100, unit: "%", status: "met" },
      // Nearest rank of 80 and 120 ms: ceil(0.95 × 2) = the 2nd.
      { id: "response_time_p95", name: "Webhook response time (p95)", target: "< 3", actual: 0.12, unit: "s", status: "met" },
      // 2 verified deliveries, 1 failed signature check.
      { id: "security_verification", name: "Security verification success rate", target: "= 100", actual: 66.66, unit: "%", status: "missed" },
      { id: "unauthorized_acceptances", name: "Unauthorized webhook acceptances", target: "= 0", actual: 0, unit: "deliveries", status: "met" },
      { id: "retry_success", name: "Retry success rate (transient failures)", target: "> 95", actual: 100, unit: "%", status: "met" },
      { id: "average_retries", name: "Average retry count", target: "< 1.5", actual: 0.5, unit: "retries", status: "met" },
    ]);
  });

  it("--since widens the window: the delivery two days ago counts in 72h", async () => {
    const result = await runCli(["kpi", "--json", "--since", "72h"], { cwd: work.dir, env });
    expect(result.code).toBe(0);
    const kpis = (JSON.parse(result.stdout) as { kpis: { id: string; actual: number | null; status: string }[] }).kpis;
    expect(kpis.find((k) => k.id === "routing_success")).toMatchObject({ actual: 66.66, status: "missed" });
    expect(kpis.find((k) => k.id === "response_time_p95")).toMatchObject({ actual: 9, status: "missed" });
  });

  it("prints a table for people, with n/a where the store holds nothing", async () => {
    const result = await runCli(["kpi"], { cwd: work.dir, env: { DATABASE_URL: "sqlite:empty.db" } });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^kpi\s+target\s+actual\s+status$/);
    expect(lines.slice(1, 7).map((line) => line.split(/\s{2,}/))).toEqual([
      ["Event routing success rate", "> 99 %", "-", "n/a"],
      ["Webhook response time (p95)", "< 3 s", "-", "n/a"],
      ["Security verification success rate", "= 100 %", "-", "n/a"],
      ["Unauthorized webhook acceptances", "= 0 deliveries", "-", "n/a"],
      ["Retry success rate (transient failures)", "> 95 %", "-", "n/a"],
      ["Average retry count", "< 1.5 retries", "-", "n/a"],
    ]);
    expect(lines[7]).toMatch(/^deliveries received \d{4}-\d\d-\d\dT.* – \d{4}-\d\d-\d\dT/);
  });

  it("refuses a --since without a unit, and a missing database, with exit 2", async () => {
    const bad = await runCli(["kpi", "--since", "24"], { cwd: work.dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('switchyard: --since must be a duration with a unit (s, m, h or d), like 24h, not "24"\n');
    const missing = await runCli(["kpi", "--json"], { cwd: work.dir, env: { DATABASE_URL: "sqlite:nothing-here.db" } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist yet/);
    // --json's one line says it too; without --json stdout stays empty.
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/does not exist yet/) });
    expect(bad.stdout).toBe("");
  });
});
