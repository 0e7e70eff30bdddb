import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewDelivery, NewTask, Store } from "../../src/store/store.js";

/**
 * Two stores on ONE database, racing: what several instances do to each other. Correctness
 * must come from the database's constraints and row locks, not from one process being the
 * only writer. `openPair` opens two stores (two connections/pools) on a fresh database.
 *
 * @example
 * runStoreRaces("postgres", async () => { const url = await createTestDatabase(); return [createPostgresStore(url), createPostgresStore(url)]; });
 */
export function runStoreRaces(name: string, openPair: () => Promise<[Store, Store]>): void {
  const T0 = Date.parse("2026-01-01T00:00:00.000Z");
  const WINDOW = { replayWindowMs: 72 * 3_600_000 };
  const ROUNDS = 15;
  let counter = 0;
  const delivery = (overrides: Partial<NewDelivery> = {}): NewDelivery => {
    counter++;
    return {
      id: `race-${counter}`,
      signature: `sha256=${counter.toString(16).padStart(64, "0")}`,
      event: "issues",
      action: "opened",
      repository: "octo/race",
      installation: null,
      headers: {},
      body: Buffer.from(`{"n":${counter}}`),
      receivedAt: T0,
      ...overrides,
    };
  };
  const task = (overrides: Partial<NewTask> = {}): NewTask => ({ rule: "issue-opened", agent: "IssueAgent", action: "Analyze", priority: "high", idempotencyKey: null, ...overrides });

  describe(`Store races: ${name}`, () => {
    let a: Store;
    let b: Store;
    beforeEach(async () => {
      [a, b] = await openPair();
      await Promise.all([a.migrate(), b.migrate()]);
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
    });

    it("accepts one delivery id once when two instances get it at the same moment", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const d = delivery();
        const results = await Promise.all([a.accept(d, [task()], WINDOW), b.accept(d, [task()], WINDOW)]);
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(results.find((r) => r.duplicate)).toMatchObject({ duplicate: true, by: "id" });
        expect((await a.listTasks({ delivery: d.id, limit: 10 })).length).toBe(1);
      }
    });

    it("accepts one of two ids carrying the same signature (a replay under a fresh id)", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const first = delivery();
        const second = delivery({ signature: first.signature, body: first.body });
        const results = await Promise.all([a.accept(first, [task()], WINDOW), b.accept(second, [task()], WINDOW)]);
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(results.find((r) => r.duplicate)).toMatchObject({ duplicate: true, by: "signature" });
        const loser = results.find((r) => r.duplicate)!.delivery;
        expect(await a.getDelivery(loser)).toBeNull();
      }
    });

    it("lets one of two tasks racing for an idempotency key run; the other is stored skipped, naming it", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const key = `deploy:octo/race:sha${round}:production`;
        const results = await Promise.all([a.accept(delivery(), [task({ idempotencyKey: key })], WINDOW), b.accept(delivery(), [task({ idempotencyKey: key })], WINDOW)]);
        const tasks = results.flatMap((r) => (r.duplicate ? [] : r.tasks));
        expect(tasks.map((t) => t.status).sort()).toEqual(["ready", "skipped"]);
        const ready = tasks.find((t) => t.status === "ready")!;
        const skipped = await a.getTask(tasks.find((t) => t.status === "skipped")!.id);
        expect(skipped?.lastError).toContain(`task ${ready.id} already holds idempotency key ${key}`);
      }
    });

    it("holds worker.perRepository across claimers: the budget counts every instance's starts", async () => {
      const seeded = await a.accept(delivery(), [task(), task({ rule: "r2" }), task({ rule: "r3" }), task({ rule: "r4" })], WINDOW);
      if (seeded.duplicate) throw new Error("seed was a duplicate");
      const budget = { limit: 1, windowMs: 60_000 };
      const claimed = [];
      for (let round = 0; round < 3; round++) {
        const [x, y] = await Promise.all([
          a.claim({ owner: "a", now: T0 + round, leaseMs: 30_000, limit: 1, repositoryBudget: budget }),
          b.claim({ owner: "b", now: T0 + round, leaseMs: 30_000, limit: 1, repositoryBudget: budget }),
        ]);
        claimed.push(...x, ...y);
      }
      expect(claimed).toHaveLength(1);
      // Once the window has passed, the repository may start tasks again.
      const later = await a.claim({ owner: "a", now: T0 + 60_001, leaseMs: 30_000, limit: 1, repositoryBudget: budget });
      expect(later).toHaveLength(1);
    });

    it("hands a ready task to exactly one of two claimers", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const accepted = await a.accept(delivery(), [task()], WINDOW);
        if (accepted.duplicate) throw new Error("seed was a duplicate");
        const now = T0 + round;
        const [x, y] = await Promise.all([
          a.claim({ owner: "a", now, leaseMs: 30_000, limit: 5 }),
          b.claim({ owner: "b", now, leaseMs: 30_000, limit: 5 }),
        ]);
        const ids = [...x, ...y].map((t) => t.id);
        expect(ids).toEqual([accepted.tasks[0]!.id]);
        const claimed = [...x, ...y][0]!;
        expect(await a.complete(claimed.id, claimed.leaseToken, { status: "succeeded" }, now)).toBe(true);
      }
    });
  });
}
