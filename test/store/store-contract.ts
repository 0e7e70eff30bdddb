import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeliveryStatus, NewDelivery, NewTask, Store, TaskOutcome } from "../../src/store/store.js";

/**
 * The behaviour every Store adapter must have, written against the Store interface only,
 * so the SQLite and PostgreSQL adapters run the same suite (the `runTest({newRouter})`
 * pattern of hono). `createStore` gives a fresh, empty store for each test.
 *
 * @example
 * runStoreContract("sqlite", async () => createSqliteStore(fileInTempDir(), {}));
 */
/** What the contract hands an adapter's opener: the clock the store reads for ack times. */
export interface ContractStoreOptions {
  clock: () => number;
}

export function runStoreContract(name: string, createStore: (options: ContractStoreOptions) => Promise<Store>): void {
  const T0 = Date.parse("2026-01-01T00:00:00.000Z");
  const HOUR = 3_600_000;
  const WINDOW = { replayWindowMs: 72 * HOUR };

  let counter = 0;
  function delivery(overrides: Partial<NewDelivery> = {}): NewDelivery {
    counter++;
    return {
      id: `d-${counter}`,
      signature: `sha256=${counter.toString(16).padStart(64, "0")}`,
      event: "issues",
      action: "opened",
      repository: "octo/hello",
      installation: 42,
      headers: { "x-github-event": "issues", "x-github-delivery": `d-${counter}` },
      body: Buffer.from(JSON.stringify({ action: "opened", n: counter })),
      receivedAt: T0,
      ...overrides,
    };
  }
  function task(overrides: Partial<NewTask> = {}): NewTask {
    return { rule: "issue-opened", agent: "IssueAgent", action: "Analyze and auto-label", priority: "high", idempotencyKey: null, ...overrides };
  }

  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let closed = false;
    // The store's own clock (ack times): a fixed instant, so what it records is exact.
    let clockNow = T0;

    beforeEach(async () => {
      clockNow = T0;
      store = await createStore({ clock: () => clockNow });
      closed = false;
      await store.migrate();
    });
    afterEach(async () => {
      if (!closed) await store.close();
    });

    /** Accepts a delivery with tasks and returns the task ids. */
    async function seed(tasks: NewTask[], overrides: Partial<NewDelivery> = {}): Promise<string[]> {
      const result = await store.accept(delivery(overrides), tasks, WINDOW);
      if (result.duplicate) throw new Error("seed delivery was a duplicate");
      return result.tasks.map((t) => t.id);
    }

    async function claimOne(now = T0, owner = "w1", leaseMs = 30_000) {
      const [claimed] = await store.claim({ owner, now, leaseMs, limit: 1 });
      if (claimed === undefined) throw new Error("nothing to claim");
      return claimed;
    }

    describe("deliveries about one issue", () => {
      it("lists the deliveries of one repository's issue or pull request, newest first", async () => {
        await seed([task()], { id: "about-1", repository: "octo/a", number: 7, receivedAt: T0 });
        await seed([task()], { id: "about-2", repository: "octo/a", number: 8, receivedAt: T0 + 1 });
        await seed([], { id: "about-3", repository: "octo/a", number: 7, receivedAt: T0 + 2 });
        await seed([task()], { id: "about-4", repository: "octo/b", number: 7, receivedAt: T0 + 3 });
        const rows = await store.listDeliveries({ subject: { repository: "octo/a", number: 7 }, limit: 10 });
        expect(rows.map((r) => r.id)).toEqual(["about-3", "about-1"]);
        expect(rows.map((r) => r.status)).toEqual(["unrouted", "pending"]);
        // The status filters before the limit: the older pending one, not nothing.
        expect((await store.listDeliveries({ subject: { repository: "octo/a", number: 7 }, status: "pending", limit: 1 })).map((r) => r.id)).toEqual(["about-1"]);
      });

      it("filters by each status as the status reads: a dead task makes a delivery failed while a sibling waits, a skipped one counts as done", async () => {
        const later = T0 + HOUR;
        const dead: TaskOutcome = { status: "dead", outcome: "permanent", error: "bad input" };
        const finish = async (outcome: TaskOutcome) => {
          const claimed = await claimOne(T0 + 100);
          expect(await store.complete(claimed.id, claimed.leaseToken, outcome, T0 + 100)).toBe(true);
        };
        await seed([], { id: "st-unrouted", receivedAt: T0 + 1 });
        await seed([task()], { id: "st-succeeded", receivedAt: T0 + 2 });
        await finish({ status: "succeeded" });
        await seed([task()], { id: "st-failed", receivedAt: T0 + 3 });
        await finish(dead);
        await seed([task(), task({ rule: "later", runAt: later })], { id: "st-failed-waiting", receivedAt: T0 + 4 });
        await finish(dead);
        await seed([task({ runAt: later })], { id: "st-pending", receivedAt: T0 + 5 });
        await seed([task()], { id: "st-running", receivedAt: T0 + 6 });
        await claimOne(T0 + 100);
        await seed([task(), task({ rule: "later", runAt: later })], { id: "st-mixed", receivedAt: T0 + 7 });
        await finish({ status: "succeeded" });
        // Two tasks holding one key: the second is skipped, and the delivery reads as done.
        await seed([task({ idempotencyKey: "st-key" }), task({ rule: "twin", idempotencyKey: "st-key" })], { id: "st-skipped", receivedAt: T0 + 8 });
        await finish({ status: "succeeded" });
        const ids = async (status: DeliveryStatus, before?: string) => (await store.listDeliveries({ status, before, limit: 100 })).map((r) => r.id);
        expect(await ids("unrouted")).toEqual(["st-unrouted"]);
        expect(await ids("succeeded")).toEqual(["st-skipped", "st-succeeded"]);
        expect(await ids("failed")).toEqual(["st-failed-waiting", "st-failed"]);
        expect(await ids("pending")).toEqual(["st-mixed", "st-running", "st-pending"]);
        expect(await ids("pending", "st-mixed")).toEqual(["st-running", "st-pending"]);
        expect((await store.listDeliveries({ limit: 100 })).map((r) => [r.id, r.status])).toEqual([
          ["st-skipped", "succeeded"],
          ["st-mixed", "pending"],
          ["st-running", "pending"],
          ["st-pending", "pending"],
          ["st-failed-waiting", "failed"],
          ["st-failed", "failed"],
          ["st-succeeded", "succeeded"],
          ["st-unrouted", "unrouted"],
        ]);
      });

      it("lists one event's deliveries, or one repository's, with the status and the limit", async () => {
        await seed([task()], { id: "by-1", event: "issues", repository: "octo/a", receivedAt: T0 });
        await seed([], { id: "by-2", event: "push", action: null, repository: "octo/a", receivedAt: T0 + 1 });
        await seed([task()], { id: "by-3", event: "issues", repository: "octo/b", receivedAt: T0 + 2 });
        await seed([], { id: "by-4", event: "issues", repository: "octo/a", receivedAt: T0 + 3 });
        const ids = async (options: Omit<Parameters<Store["listDeliveries"]>[0], "limit">, limit = 10) => (await store.listDeliveries({ ...options, limit })).map((r) => r.id);
        expect(await ids({ event: "issues" })).toEqual(["by-4", "by-3", "by-1"]);
        expect(await ids({ repository: "octo/a" })).toEqual(["by-4", "by-2", "by-1"]);
        expect(await ids({ event: "issues", repository: "octo/a" })).toEqual(["by-4", "by-1"]);
        expect(await ids({ event: "issues", repository: "octo/a", status: "pending" })).toEqual(["by-1"]);
        expect(await ids({ event: "issues" }, 2)).toEqual(["by-4", "by-3"]);
        expect(await ids({ event: "release" })).toEqual([]);
      });

      it("pages with a keyset cursor: before a delivery, with the filters, stable under new arrivals", async () => {
        await seed([task()], { id: "pg-1", event: "issues", receivedAt: T0 });
        await seed([], { id: "pg-2", event: "push", action: null, receivedAt: T0 + 1 });
        await seed([task()], { id: "pg-3", event: "issues", receivedAt: T0 + 1 });
        await seed([task()], { id: "pg-4", event: "issues", receivedAt: T0 + 2 });
        const ids = async (options: Omit<Parameters<Store["listDeliveries"]>[0], "limit">, limit = 10) => (await store.listDeliveries({ ...options, limit })).map((r) => r.id);
        expect(await ids({}, 2)).toEqual(["pg-4", "pg-3"]);
        // Same millisecond as the cursor: the one stored earlier is after it, the later one not.
        expect(await ids({ before: "pg-3" }, 2)).toEqual(["pg-2", "pg-1"]);
        await seed([task()], { id: "pg-5", event: "issues", receivedAt: T0 + 3 });
        expect(await ids({ before: "pg-3" })).toEqual(["pg-2", "pg-1"]);
        expect(await ids({ before: "pg-4", event: "issues" })).toEqual(["pg-3", "pg-1"]);
        expect(await ids({ before: "pg-4", status: "unrouted" })).toEqual(["pg-2"]);
        expect(await ids({ before: "pg-5", repository: "OCTO/HELLO" }, 1)).toEqual(["pg-4"]);
        expect(await ids({ before: "pg-1" })).toEqual([]);
        expect(await ids({ before: "no-such-delivery" })).toEqual([]);
      });

      it("matches the repository without letter case, as GitHub names match", async () => {
        await seed([task()], { id: "case-1", repository: "Codertocat/Hello-World", number: 1, receivedAt: T0 });
        await seed([], { id: "case-2", repository: "codertocat/hello-world-2", number: 1, receivedAt: T0 + 1 });
        const ids = async (options: Omit<Parameters<Store["listDeliveries"]>[0], "limit">) => (await store.listDeliveries({ ...options, limit: 10 })).map((r) => r.id);
        expect(await ids({ repository: "codertocat/hello-world" })).toEqual(["case-1"]);
        expect(await ids({ repository: "CODERTOCAT/HELLO-WORLD" })).toEqual(["case-1"]);
        expect(await ids({ subject: { repository: "codertocat/hello-world", number: 1 } })).toEqual(["case-1"]);
      });
    });

    describe("accept", () => {
      it("stores a delivery and its tasks, in order, with string ids", async () => {
        const d = delivery({ headers: { "x-github-event": "issues", "x-hub-signature-256": "sha256=ab" } });
        const result = await store.accept(d, [task(), task({ rule: "second", agent: "ReviewAgent", priority: "low" })], WINDOW);
        expect(result.duplicate).toBe(false);
        if (result.duplicate) return;
        expect(result.delivery).toBe(d.id);
        expect(result.tasks.map((t) => [t.rule, t.agent, t.status])).toEqual([
          ["issue-opened", "IssueAgent", "ready"],
          ["second", "ReviewAgent", "ready"],
        ]);
        for (const t of result.tasks) expect(t.id).toMatch(/^\d+$/);
        const [first, second] = result.tasks.map((t) => Number(t.id));
        expect(second).toBeGreaterThan(first as number);

        const stored = await store.getDelivery(d.id);
        expect(stored).toMatchObject({
          id: d.id,
          event: "issues",
          action: "opened",
          repository: "octo/hello",
          installation: 42,
          signature: d.signature,
          headers: d.headers,
          receivedAt: T0,
          status: "pending",
        });
        expect(Buffer.isBuffer(stored!.body)).toBe(true);
        expect(Buffer.compare(stored!.body, d.body)).toBe(0);
        expect(stored!.tasks.map((t) => [t.id, t.rule, t.status, t.attempts, t.runAt, t.attemptLog])).toEqual([
          [result.tasks[0]!.id, "issue-opened", "ready", 0, T0, []],
          [result.tasks[1]!.id, "second", "ready", 0, T0, []],
        ]);
      });

      it("records the ack time from its own clock, read as the accept's transaction runs, and answers it", async () => {
        clockNow = T0 + 1234;
        const d = delivery({ receivedAt: T0 + 1000 });
        const result = await store.accept(d, [task()], WINDOW);
        expect(result).toMatchObject({ duplicate: false, ackMs: 234 });
        expect((await store.getDelivery(d.id))!.ackMs).toBe(234);
      });

      it("raises a stored ack time on correction, never lowers it, and ignores an unknown delivery", async () => {
        const d = delivery({ receivedAt: T0 });
        await store.accept(d, [task()], WINDOW);
        await store.correctAckMs(d.id, 5512);
        expect((await store.getDelivery(d.id))!.ackMs).toBe(5512);
        await store.correctAckMs(d.id, 300);
        expect((await store.getDelivery(d.id))!.ackMs).toBe(5512);
        await store.correctAckMs("never-stored", 5512);
        expect(await store.getDelivery("never-stored")).toBeNull();
        expect((await store.listDeliveries({ limit: 10 })).map((r) => [r.id, r.ackMs])).toEqual([[d.id, 5512]]);
      });

      it("keeps a null signature, action, repository and installation", async () => {
        const d = delivery({ signature: null, action: null, repository: null, installation: null, event: "push" });
        await store.accept(d, [], WINDOW);
        expect(await store.getDelivery(d.id)).toMatchObject({ signature: null, action: null, repository: null, installation: null, event: "push", status: "unrouted" });
      });

      it("uses a task's runAt when given", async () => {
        const [id] = await seed([task({ runAt: T0 + 5000 })]);
        expect((await store.getTask(id!))!.runAt).toBe(T0 + 5000);
      });

      it("reports the same delivery id as a duplicate, ever, and stores nothing more", async () => {
        const first = delivery();
        await store.accept(first, [task()], WINDOW);
        const again = await store.accept({ ...first, signature: "sha256=other", body: Buffer.from('{"other":true}'), receivedAt: T0 + 1000 * HOUR }, [task()], WINDOW);
        // Another body under a stored id: still a duplicate, said to be one with another body.
        expect(again).toEqual({ duplicate: true, delivery: first.id, by: "id", sameBody: false });
        expect(await store.listTasks({ delivery: first.id, limit: 10 })).toHaveLength(1);
      });

      it("reports GitHub's redelivery (same id, same body) as a duplicate by id", async () => {
        const first = delivery();
        await store.accept(first, [], WINDOW);
        expect(await store.accept({ ...first, receivedAt: T0 + HOUR }, [], WINDOW)).toEqual({ duplicate: true, delivery: first.id, by: "id", sameBody: true });
        // Signed anew after the secret was rotated: the same body, so no "another body" either.
        expect(await store.accept({ ...first, signature: "sha256=rotated", receivedAt: T0 + 2 * HOUR }, [], WINDOW)).toMatchObject({ by: "id", sameBody: true });
      });

      it("reports the same signature under a new id as a duplicate inside the window only", async () => {
        const first = delivery();
        await store.accept(first, [task()], WINDOW);
        const inside = await store.accept(delivery({ signature: first.signature, receivedAt: T0 + 72 * HOUR - 1 }), [task()], WINDOW);
        expect(inside).toMatchObject({ duplicate: true, by: "signature", of: first.id });
        const outside = delivery({ signature: first.signature, receivedAt: T0 + 72 * HOUR });
        expect(await store.accept(outside, [task()], WINDOW)).toMatchObject({ duplicate: false, delivery: outside.id });
        expect(await store.getDelivery(inside.delivery)).toBeNull();
      });

      it("never treats two unsigned deliveries as replays of each other", async () => {
        await store.accept(delivery({ signature: null }), [], WINDOW);
        expect(await store.accept(delivery({ signature: null }), [], WINDOW)).toMatchObject({ duplicate: false });
      });

      it("lets exactly one of two accepts of the same id queued in the same tick win", async () => {
        const d = delivery();
        const results = await Promise.all([
          store.accept(d, [task()], WINDOW),
          store.accept({ ...d, signature: "sha256=different" }, [task()], WINDOW),
        ]);
        expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
        expect(results.find((r) => r.duplicate)).toMatchObject({ by: "id" });
        expect(await store.listTasks({ delivery: d.id, limit: 10 })).toHaveLength(1);
      });

      it("stores a task whose idempotency key is held as skipped, naming the earlier task and the key", async () => {
        const key = "deploy:octo/hello:abc123:production";
        const [first] = await seed([task({ idempotencyKey: key })]);
        const [second] = await seed([task({ idempotencyKey: key })]);
        const skipped = await store.getTask(second!);
        expect(skipped!.status).toBe("skipped");
        expect(skipped!.lastError).toContain(first!);
        expect(skipped!.lastError).toContain(key);
        // Within one delivery too.
        const result = await store.accept(delivery(), [task({ idempotencyKey: "k2" }), task({ rule: "other", idempotencyKey: "k2" })], WINDOW);
        expect(result.duplicate === false && result.tasks.map((t) => t.status)).toEqual(["ready", "skipped"]);
      });

      it("runs a task again under a key whose earlier task died", async () => {
        const [first] = await seed([task({ idempotencyKey: "k" })]);
        const claimed = await claimOne();
        expect(claimed.id).toBe(first);
        await store.complete(first!, claimed.leaseToken, { status: "dead", error: "boom", outcome: "permanent" }, T0);
        const [second] = await seed([task({ idempotencyKey: "k" })]);
        expect((await store.getTask(second!))!.status).toBe("ready");
      });
    });

    describe("claim", () => {
      it("leases by priority, then run_at, then id, up to the limit", async () => {
        const ids = await seed([
          task({ rule: "low", priority: "low" }),
          task({ rule: "medium", priority: "medium" }),
          task({ rule: "critical-late", priority: "critical", runAt: T0 + 10 }),
          task({ rule: "critical", priority: "critical" }),
          task({ rule: "high-a", priority: "high" }),
          task({ rule: "high-b", priority: "high" }),
        ]);
        const claimed = await store.claim({ owner: "w1", now: T0 + 10, leaseMs: 1000, limit: 5 });
        expect(claimed.map((t) => t.rule)).toEqual(["critical", "critical-late", "high-a", "high-b", "medium"]);
        const rest = await store.claim({ owner: "w1", now: T0 + 10, leaseMs: 1000, limit: 5 });
        expect(rest.map((t) => t.id)).toEqual([ids[0]]);
      });

      it("hands over the lease and the delivery the task came from", async () => {
        const d = delivery();
        await store.accept(d, [task()], WINDOW);
        const claimed = await claimOne(T0 + 100, "worker-7", 30_000);
        expect(claimed).toMatchObject({
          delivery: d.id,
          status: "running",
          attempts: 1,
          leaseUntil: T0 + 100 + 30_000,
          event: "issues",
          repository: "octo/hello",
          installation: 42,
          runAt: T0,
        });
        expect(Buffer.compare(claimed.body, d.body)).toBe(0);
        // Never replayed: retries count from the first attempt, and its messages carry no replay.
        expect(claimed.retryBase).toBe(0);
        expect(claimed.replays).toBe(0);
        expect(claimed.leaseToken).toEqual(expect.any(String));
        expect(claimed.leaseToken.length).toBeGreaterThan(0);
        const stored = await store.getTask(claimed.id);
        expect(stored).toMatchObject({ status: "running", attempts: 1 });
        expect(stored!.attemptLog).toEqual([
          { task: claimed.id, n: 1, startedAt: T0 + 100, finishedAt: null, outcome: null, error: null, retryDelayMs: null, output: null, agent: "IssueAgent" },
        ]);
      });

      it("leaves tasks whose run_at is in the future, and nextRunAt says when to look again", async () => {
        expect(await store.nextRunAt()).toBeNull();
        await seed([task({ runAt: T0 + 5000 }), task({ rule: "b", runAt: T0 + 9000 })]);
        expect(await store.claim({ owner: "w", now: T0 + 4999, leaseMs: 1000, limit: 10 })).toEqual([]);
        expect(await store.nextRunAt()).toBe(T0 + 5000);
        expect((await store.claim({ owner: "w", now: T0 + 5000, leaseMs: 1000, limit: 10 })).map((t) => t.rule)).toEqual(["issue-opened"]);
        expect(await store.nextRunAt()).toBe(T0 + 9000);
      });

      it("skips the agents in excludeAgents", async () => {
        await seed([
          task({ agent: "IssueAgent", priority: "critical" }),
          task({ rule: "r", agent: "ReviewAgent", priority: "low" }),
          task({ rule: "g", agent: "Guardian", priority: "high" }),
        ]);
        const claimed = await store.claim({ owner: "w", now: T0, leaseMs: 1000, limit: 10, excludeAgents: ["IssueAgent", "Guardian"] });
        expect(claimed.map((t) => t.agent)).toEqual(["ReviewAgent"]);
      });

      it("skips the repositories in excludeRepositories (over their budget), leaving their tasks ready", async () => {
        await seed([task({ priority: "critical" })], { repository: "octo/busy" });
        await seed([task({ priority: "low" })], { repository: "octo/quiet" });
        const claimed = await store.claim({ owner: "w", now: T0, leaseMs: 1000, limit: 10, excludeRepositories: ["octo/busy"] });
        expect(claimed.map((t) => t.repository)).toEqual(["octo/quiet"]);
        expect((await store.listTasks({ status: "ready", limit: 10 })).length).toBe(1);
      });

      it("counts a repository's budget and exclusion across the spellings of its name, as GitHub compares them", async () => {
        await seed([task({ priority: "critical" })], { repository: "octo/Busy" });
        expect((await store.claim({ owner: "w", now: T0, leaseMs: 1000, limit: 1 })).map((t) => t.repository)).toEqual(["octo/Busy"]);
        await seed([task({ priority: "critical", rule: "b" })], { repository: "OCTO/BUSY" });
        await seed([task({ priority: "low", rule: "c" })], { repository: "octo/quiet" });
        const budget = { limit: 1, windowMs: 60_000 };
        expect((await store.claim({ owner: "w", now: T0 + 1, leaseMs: 1000, limit: 10, repositoryBudget: budget })).map((t) => t.repository)).toEqual(["octo/quiet"]);
        await seed([task({ priority: "low", rule: "d" })], { repository: "Octo/Other" });
        expect(await store.claim({ owner: "w", now: T0 + 2, leaseMs: 1000, limit: 10, excludeRepositories: ["octo/busy", "octo/other"] })).toEqual([]);
      });

      it("gives a fresh token to every claim", async () => {
        await seed([task(), task({ rule: "b" })]);
        const claimed = await store.claim({ owner: "w", now: T0, leaseMs: 1000, limit: 2 });
        expect(new Set(claimed.map((t) => t.leaseToken)).size).toBe(2);
      });
    });

    describe("leases", () => {
      it("fences a worker whose lease expired and was taken over", async () => {
        const [id] = await seed([task()]);
        const first = await claimOne(T0, "w1", 1000);
        expect(await store.reclaimExpired(T0 + 1001)).toMatchObject({ requeued: 1, dead: 0 });
        const second = await claimOne(T0 + 1001, "w2", 1000);
        expect(second.id).toBe(id);
        expect(second.leaseToken).not.toBe(first.leaseToken);

        expect(await store.renew(id!, first.leaseToken, T0 + 99_999)).toBe(false);
        expect(await store.complete(id!, first.leaseToken, { status: "succeeded" }, T0 + 1100)).toBe(false);
        expect(await store.getTask(id!)).toMatchObject({ status: "running", attempts: 2 });

        expect(await store.complete(id!, second.leaseToken, { status: "succeeded", output: "done" }, T0 + 1200)).toBe(true);
        const done = await store.getTask(id!);
        expect(done!.status).toBe("succeeded");
        expect(done!.attemptLog.map((a) => [a.n, a.outcome])).toEqual([
          [1, "lease-expired"],
          [2, "succeeded"],
        ]);
        // A finished task's token is no longer current either.
        expect(await store.complete(id!, second.leaseToken, { status: "succeeded" }, T0 + 1300)).toBe(false);
        expect(await store.renew(id!, second.leaseToken, T0 + 5000)).toBe(false);
      });

      it("keeps, on its closed attempt, what a run did after its lease was taken back, and leaves the task alone", async () => {
        const [id] = await seed([task()]);
        const first = await claimOne(T0, "w1", 1000);
        await store.reclaimExpired(T0 + 1001);
        const second = await claimOne(T0 + 1001, "w2", 1000);
        const action = { agent: "IssueAgent", task: id!, method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/labels", body: { labels: ["bug"] }, dryRun: false, at: T0 + 900 };
        const late = { status: "succeeded" as const, output: "labelled it", actions: [action] };
        expect(await store.complete(id!, first.leaseToken, late, T0 + 1500)).toBe(false);
        await store.recordLateOutcome(id!, 1, late, T0 + 1500);
        const after = await store.getTask(id!);
        expect(after).toMatchObject({ status: "running", attempts: 2 });
        expect(after!.attemptLog[0]).toMatchObject({
          n: 1,
          outcome: "lease-expired",
          output: "labelled it",
          error: expect.stringMatching(/^lease expired before the attempt finished .*; yet its run did end, succeeded, at 2026-01-01T00:00:01\.500Z, after its lease was taken back: that outcome is not the task's$/),
        });
        expect(after!.attemptLog[1]).toMatchObject({ n: 2, outcome: null, output: null, error: null });
        // The write it made is on the task's record.
        expect((await store.listGithubActions({ task: id!, limit: 10 })).map((a) => a.route)).toEqual(["/repos/{owner}/{repo}/issues/{issue_number}/labels"]);
        // The second worker's run is unaffected.
        expect(await store.complete(id!, second.leaseToken, { status: "succeeded", output: "done" }, T0 + 1600)).toBe(true);
        expect((await store.getTask(id!))!.attemptLog.map((a) => [a.n, a.outcome, a.output])).toEqual([
          [1, "lease-expired", "labelled it"],
          [2, "succeeded", "done"],
        ]);
      });

      it("renews a lease with the current token, so it does not expire", async () => {
        const [id] = await seed([task()]);
        const claimed = await claimOne(T0, "w1", 1000);
        expect(await store.renew(id!, claimed.leaseToken, T0 + 5000)).toBe(true);
        expect(await store.reclaimExpired(T0 + 4000)).toMatchObject({ requeued: 0, dead: 0 });
        expect((await store.getTask(id!))!.status).toBe("running");
        expect(await store.reclaimExpired(T0 + 5001)).toMatchObject({ requeued: 1, dead: 0 });
      });

      it("a reclaimed task goes before the tasks accepted after it", async () => {
        const [a] = await seed([task()], { id: "first", receivedAt: T0 });
        await store.claim({ owner: "w", now: T0, leaseMs: 1000, limit: 1 });
        const [b] = await seed([task()], { id: "second", receivedAt: T0 + 500 });
        await store.reclaimExpired(T0 + 2000);
        expect((await claimOne(T0 + 2000)).id).toBe(a);
        expect((await claimOne(T0 + 2000)).id).toBe(b);
      });

      it("reclaims only leases that ended before now, closing their attempts", async () => {
        const [a, b] = await seed([task(), task({ rule: "b" })]);
        await store.claim({ owner: "w", now: T0, leaseMs: 1000, limit: 1 });
        await store.claim({ owner: "w", now: T0 + 500, leaseMs: 1000, limit: 1 });
        expect(await store.reclaimExpired(T0 + 1000)).toMatchObject({ requeued: 0, dead: 0 });
        expect(await store.reclaimExpired(T0 + 1001)).toEqual({ requeued: 1, dead: 0, requeuedTasks: [{ id: a, delivery: (await store.getTask(a!))!.delivery }], deadTasks: [] });
        const reclaimed = await store.getTask(a!);
        // Due since it was first due: it keeps its place ahead of what came after it.
        expect(reclaimed).toMatchObject({ status: "ready", runAt: T0, attempts: 1 });
        // Finished when its lease ran out, not when the sweep came by: the attempt's duration is the lease's.
        expect(reclaimed!.attemptLog[0]).toMatchObject({ n: 1, outcome: "lease-expired", finishedAt: T0 + 1000 });
        expect((await store.getTask(b!))!.status).toBe("running");
        expect(await store.reclaimExpired(T0 + 9000)).toMatchObject({ requeued: 1, dead: 0 });
        expect((await store.getTask(b!))!.attemptLog[0]).toMatchObject({ outcome: "lease-expired", finishedAt: T0 + 1500 });
        expect(await store.nextRunAt()).toBe(T0);
      });

      it("gives up a task whose last allowed attempt ended with an expired lease (a crash loop ends)", async () => {
        const [looping, other] = await seed([task(), task({ rule: "b" })]);
        // Two attempts allowed: the first lease expires and the task goes back to ready …
        await claimOne(T0, "w1", 1000);
        expect(await store.reclaimExpired(T0 + 1001, { maxAttempts: 2 })).toMatchObject({ requeued: 1, dead: 0 });
        // … the second (now alongside a task on its first attempt) expires too: only the looping task is given up.
        const second = await store.claim({ owner: "w2", now: T0 + 1001, leaseMs: 1000, limit: 2 });
        expect(second.map((t) => [t.id, t.attempts]).sort()).toEqual([
          [looping, 2],
          [other, 1],
        ].sort());
        // Which tasks, by id and delivery: what the worker's log lines name.
        const delivery = (await store.getTask(looping!))!.delivery;
        expect(await store.reclaimExpired(T0 + 2002, { maxAttempts: 2 })).toEqual({
          requeued: 1,
          dead: 1,
          requeuedTasks: [{ id: other, delivery }],
          deadTasks: [{ id: looping, delivery }],
        });

        const dead = await store.getTask(looping!);
        expect(dead).toMatchObject({ status: "dead", attempts: 2, updatedAt: T0 + 2002 });
        expect(dead!.lastError).toMatch(/^gave up after 2 attempts: lease expired/);
        expect(dead!.attemptLog.map((a) => [a.n, a.outcome])).toEqual([
          [1, "lease-expired"],
          [2, "lease-expired"],
        ]);
        expect(await store.getTask(other!)).toMatchObject({ status: "ready", attempts: 1 });
        // A replay starts its retries over: the next expired lease sends it back to ready, not to dead.
        expect(await store.replayTask(looping!, T0 + 3000)).toBe("dead");
        expect(await store.getTask(looping!)).toMatchObject({ status: "ready", attempts: 2 });
        const replayed = await store.claim({ owner: "w3", now: T0 + 3000, leaseMs: 1000, limit: 2 });
        expect(replayed.find((t) => t.id === looping)).toMatchObject({ attempts: 3, retryBase: 2 });
        // The other task, never replayed, has used its two attempts now.
        expect(await store.reclaimExpired(T0 + 4001, { maxAttempts: 2 })).toMatchObject({ requeued: 1, dead: 1 });
        expect(await store.getTask(looping!)).toMatchObject({ status: "ready", attempts: 3 });
        expect(await store.getTask(other!)).toMatchObject({ status: "dead", attempts: 2 });
        // Given up again after the replay: the count says both, so it matches `attempts`.
        await store.claim({ owner: "w4", now: T0 + 4001, leaseMs: 1000, limit: 1 });
        expect(await store.reclaimExpired(T0 + 5002, { maxAttempts: 2 })).toMatchObject({ requeued: 0, dead: 1 });
        expect(await store.getTask(looping!)).toMatchObject({ status: "dead", attempts: 4, lastError: expect.stringMatching(/^gave up after 2 attempts \(4 in all, counting earlier runs\): lease expired/) });
      });

      it.each(["shutdown", "handed-back"] as const)("puts a task back to ready as %s without holding the attempt against its retries", async (outcome) => {
        const [id] = await seed([task()]);
        const first = await claimOne(T0);
        expect(first.retryBase).toBe(0);
        const stopped: TaskOutcome = { status: "ready", outcome, runAt: T0 + 50, retryDelayMs: 0, error: "not run to its end" };
        expect(await store.complete(id!, first.leaseToken, stopped, T0 + 50)).toBe(true);
        expect(await store.getTask(id!)).toMatchObject({ status: "ready", attempts: 1, lastError: "not run to its end" });
        const second = await claimOne(T0 + 50);
        expect(second).toMatchObject({ attempts: 2, retryBase: 1 });
        expect((await store.getTask(id!))!.attemptLog[0]).toMatchObject({ n: 1, outcome, retryDelayMs: 0 });
      });

      it("records an attempt's process group under the current token only, and lists it with the attempt", async () => {
        // Only the store that lives no longer than its process has no use for it.
        if (store.recordAttemptProcess === undefined || store.listAttemptProcesses === undefined) {
          expect(name).toBe("memory");
          return;
        }
        const [id] = await seed([task()]);
        const first = await claimOne(T0, "w1", 1000);
        const process1 = { host: "build-1", pgid: 4242, start: "boot-a:1234" };
        expect(await store.recordAttemptProcess(id!, first.leaseToken, process1)).toBe(true);
        expect(await store.reclaimExpired(T0 + 1001)).toMatchObject({ requeued: 1, dead: 0 });
        const second = await claimOne(T0 + 1001, "w2", 1000);
        // The worker that lost its lease records nothing, on its old attempt or the new one.
        expect(await store.recordAttemptProcess(id!, first.leaseToken, { host: "build-1", pgid: 9, start: null })).toBe(false);
        expect(await store.recordAttemptProcess(id!, second.leaseToken, { host: "build-2", pgid: 77, start: null })).toBe(true);
        expect(await store.listAttemptProcesses(id!)).toEqual([
          { n: 1, outcome: "lease-expired", ...process1 },
          { n: 2, outcome: null, host: "build-2", pgid: 77, start: null },
        ]);
        // Once the attempt is closed, nothing more is recorded on it.
        expect(await store.complete(id!, second.leaseToken, { status: "succeeded" }, T0 + 1100)).toBe(true);
        expect(await store.recordAttemptProcess(id!, second.leaseToken, { host: "x", pgid: 1, start: null })).toBe(false);
        expect(await store.listAttemptProcesses("999999")).toEqual([]);
      });

      it("reports a token for an unknown task as stale", async () => {
        expect(await store.renew("999999", "token", T0)).toBe(false);
        expect(await store.complete("not-a-number", "token", { status: "succeeded" }, T0)).toBe(false);
      });
    });

    describe("complete", () => {
      it("retries later, then succeeds, recording each attempt", async () => {
        const [id] = await seed([task()]);
        const first = await claimOne(T0);
        const retry: TaskOutcome = { status: "ready", runAt: T0 + 2000, error: "502 from GitHub", retryDelayMs: 2000, outcome: "transient", output: "tail" };
        expect(await store.complete(id!, first.leaseToken, retry, T0 + 100)).toBe(true);
        expect(await store.getTask(id!)).toMatchObject({ status: "ready", runAt: T0 + 2000, lastError: "502 from GitHub", attempts: 1 });
        expect(await store.claim({ owner: "w", now: T0 + 1999, leaseMs: 1000, limit: 1 })).toEqual([]);

        const second = await claimOne(T0 + 2000);
        expect(second.attempts).toBe(2);
        expect(await store.complete(id!, second.leaseToken, { status: "succeeded", output: "labelled" }, T0 + 2100)).toBe(true);
        const done = await store.getTask(id!);
        expect(done).toMatchObject({ status: "succeeded", attempts: 2, lastError: null, updatedAt: T0 + 2100 });
        expect(done!.attemptLog).toEqual([
          { task: id, n: 1, startedAt: T0, finishedAt: T0 + 100, outcome: "transient", error: "502 from GitHub", retryDelayMs: 2000, output: "tail", agent: "IssueAgent" },
          { task: id, n: 2, startedAt: T0 + 2000, finishedAt: T0 + 2100, outcome: "succeeded", error: null, retryDelayMs: null, output: "labelled", agent: "IssueAgent" },
        ]);
      });

      it("sends a task dead with its error and outcome", async () => {
        const [id] = await seed([task()]);
        const claimed = await claimOne(T0);
        expect(await store.complete(id!, claimed.leaseToken, { status: "dead", error: "404 Not Found", outcome: "permanent" }, T0 + 50)).toBe(true);
        const dead = await store.getTask(id!);
        expect(dead).toMatchObject({ status: "dead", lastError: "404 Not Found" });
        expect(dead!.attemptLog[0]).toMatchObject({ outcome: "permanent", error: "404 Not Found", retryDelayMs: null });
        expect(await store.claim({ owner: "w", now: T0 + 10_000, leaseMs: 1000, limit: 1 })).toEqual([]);
      });
    });

    describe("replay", () => {
      async function killed(id: string, now = T0): Promise<void> {
        const claimed = await claimOne(now);
        expect(claimed.id).toBe(id);
        await store.complete(id, claimed.leaseToken, { status: "dead", error: "gave up", outcome: "transient" }, now);
      }

      it("re-queues the same task row, attempts counting on", async () => {
        const [id] = await seed([task()]);
        await killed(id!);
        expect(await store.replayTask(id!, T0 + 5000)).toBe("dead");
        expect(await store.getTask(id!)).toMatchObject({ id, status: "ready", runAt: T0 + 5000, attempts: 1 });
        const again = await claimOne(T0 + 5000);
        expect(again).toMatchObject({ id, attempts: 2 });
        expect((await store.getTask(id!))!.attemptLog.map((a) => a.n)).toEqual([1, 2]);
        expect(await store.listTasks({ limit: 10 })).toHaveLength(1);
      });

      it("leaves a running task to its worker", async () => {
        const [id] = await seed([task()]);
        const claimed = await claimOne(T0);
        expect(await store.replayTask(id!, T0 + 10)).toBe("running");
        expect(await store.getTask(id!)).toMatchObject({ status: "running", attempts: 1 });
        expect(await store.complete(id!, claimed.leaseToken, { status: "succeeded" }, T0 + 20)).toBe(true);
      });

      it("names the agents of the ready tasks, each once", async () => {
        expect(await store.waitingAgents()).toEqual([]);
        const [a] = await seed([task(), task({ agent: "ReviewAgent" }), task()]);
        expect(await store.waitingAgents()).toEqual(["IssueAgent", "ReviewAgent"]);
        await killed(a!);
        expect((await store.waitingAgents()).sort()).toEqual(["IssueAgent", "ReviewAgent"]);
      });

      it("answers null for a task that does not exist", async () => {
        expect(await store.replayTask("424242", T0)).toBeNull();
        expect(await store.replayTask("nope", T0)).toBeNull();
      });

      it("says what each of two replays at once found: the second finds the task the first re-queued", async () => {
        const [id] = await seed([task()]);
        await killed(id!);
        const answers = await Promise.all([store.replayTask(id!, T0 + 5000), store.replayTask(id!, T0 + 5000)]);
        expect(answers.sort()).toEqual(["dead", "ready"]);
      });

      it("re-queues every dead task and only those", async () => {
        const [a, b, c] = await seed([task({ priority: "critical" }), task({ rule: "b", agent: "Mine", priority: "high" }), task({ rule: "c", priority: "low" })]);
        await killed(a!);
        await killed(b!);
        expect((await claimOne(T0)).id).toBe(c);
        // Each with its agent: a replay names those the config lacks.
        expect(await store.replayDead(T0 + 100)).toEqual([
          { id: a, agent: "IssueAgent" },
          { id: b, agent: "Mine" },
        ]);
        expect(await store.getTask(a!)).toMatchObject({ status: "ready", runAt: T0 + 100, attempts: 1 });
        expect((await store.getTask(b!))!.status).toBe("ready");
        expect((await store.getTask(c!))!.status).toBe("running");
        expect(await store.replayDead(T0 + 200)).toEqual([]);
      });

      it("replays a delivery: known rules in place, new rules as new rows", async () => {
        const d = delivery();
        const accepted = await store.accept(d, [task({ rule: "issue-opened" })], WINDOW);
        const [id] = accepted.duplicate ? [] : accepted.tasks.map((t) => t.id);
        await killed(id!);
        const replayed = await store.replayDelivery(d.id, [task({ rule: "issue-opened", agent: "IssueAgent" }), task({ rule: "added", agent: "Guardian" })], T0 + 100);
        expect(replayed).toHaveLength(2);
        expect(replayed![0]).toEqual({ id, rule: "issue-opened", agent: "IssueAgent", status: "ready" });
        expect(replayed![1]).toMatchObject({ rule: "added", agent: "Guardian", status: "ready" });
        expect(replayed![1]!.id).not.toBe(id);
        const stored = await store.getDelivery(d.id);
        expect(stored!.tasks.map((t) => [t.id, t.rule, t.status, t.attempts])).toEqual([
          [id, "issue-opened", "ready", 1],
          [replayed![1]!.id, "added", "ready", 0],
        ]);
        expect(stored!.status).toBe("pending");
      });

      it("answers null when replaying a delivery that does not exist", async () => {
        expect(await store.replayDelivery("missing", [task()], T0)).toBeNull();
      });

      it("keeps on each attempt the agent that ran it when a replay routes the rule to another agent", async () => {
        const d = delivery();
        const accepted = await store.accept(d, [task({ rule: "my-issue", agent: "MyAgent" })], WINDOW);
        const [id] = accepted.duplicate ? [] : accepted.tasks.map((t) => t.id);
        const first = await claimOne(T0);
        expect(await store.complete(id!, first.leaseToken, { status: "succeeded", output: "ok agent: MyAgent" }, T0 + 10)).toBe(true);
        // The config changed: the same rule now routes to OtherAgent.
        const replayed = await store.replayDelivery(d.id, [task({ rule: "my-issue", agent: "OtherAgent" })], T0 + 100);
        expect(replayed).toEqual([{ id, rule: "my-issue", agent: "OtherAgent", status: "ready" }]);
        const before = await store.getTask(id!);
        expect(before).toMatchObject({ agent: "OtherAgent", status: "ready" });
        expect(before!.attemptLog.map((a) => [a.n, a.agent, a.output])).toEqual([[1, "MyAgent", "ok agent: MyAgent"]]);
        const second = await claimOne(T0 + 100);
        expect(second).toMatchObject({ id, agent: "OtherAgent", attempts: 2 });
        expect(await store.complete(id!, second.leaseToken, { status: "succeeded" }, T0 + 110)).toBe(true);
        expect((await store.getTask(id!))!.attemptLog.map((a) => [a.n, a.agent])).toEqual([
          [1, "MyAgent"],
          [2, "OtherAgent"],
        ]);
      });

      it("counts the replays that re-queue a task; the retries of one run keep the count", async () => {
        const d = delivery();
        const accepted = await store.accept(d, [task()], WINDOW);
        const [id] = accepted.duplicate ? [] : accepted.tasks.map((t) => t.id);
        const first = await claimOne(T0);
        expect(first.replays).toBe(0);
        await store.complete(id!, first.leaseToken, { status: "ready", runAt: T0 + 10, error: "503", retryDelayMs: 10, outcome: "transient" }, T0 + 5);
        const retry = await claimOne(T0 + 10);
        expect(retry).toMatchObject({ id, attempts: 2, replays: 0 });
        await store.complete(id!, retry.leaseToken, { status: "dead", error: "gave up", outcome: "transient" }, T0 + 20);

        expect(await store.replayTask(id!, T0 + 100)).toBe("dead");
        const afterTask = await claimOne(T0 + 100);
        expect(afterTask).toMatchObject({ id, attempts: 3, replays: 1 });
        // A replay of the running task leaves it to its worker: not a re-run, not counted.
        expect(await store.replayTask(id!, T0 + 105)).toBe("running");
        await store.complete(id!, afterTask.leaseToken, { status: "dead", error: "gave up", outcome: "permanent" }, T0 + 110);

        expect(await store.replayDead(T0 + 200)).toEqual([{ id, agent: "IssueAgent" }]);
        const afterDead = await claimOne(T0 + 200);
        expect(afterDead).toMatchObject({ id, attempts: 4, replays: 2 });
        await store.complete(id!, afterDead.leaseToken, { status: "succeeded" }, T0 + 210);

        // Replaying the delivery re-queues the same row: one more replay.
        await store.replayDelivery(d.id, [task()], T0 + 300);
        expect(await claimOne(T0 + 300)).toMatchObject({ id, attempts: 5, replays: 3 });
      });
    });

    describe("listing", () => {
      async function finish(id: string, outcome: TaskOutcome, now = T0): Promise<void> {
        const claimed = await claimOne(now);
        expect(claimed.id).toBe(id);
        expect(await store.complete(id, claimed.leaseToken, outcome, now)).toBe(true);
      }

      it("derives a delivery's status from its tasks", async () => {
        const unrouted = delivery({ receivedAt: T0 });
        await store.accept(unrouted, [], WINDOW);
        const pending = delivery({ receivedAt: T0 + 1 });
        await store.accept(pending, [task({ runAt: T0 + HOUR })], WINDOW);
        const succeeded = delivery({ receivedAt: T0 + 2 });
        const s = await store.accept(succeeded, [task({ idempotencyKey: "once" }), task({ rule: "dup", idempotencyKey: "once" })], WINDOW);
        const failed = delivery({ receivedAt: T0 + 3 });
        const f = await store.accept(failed, [task({ runAt: T0 + 10 })], WINDOW);
        if (s.duplicate || f.duplicate) throw new Error("unexpected duplicate");
        await finish(s.tasks[0]!.id, { status: "succeeded" }, T0 + 5);
        await finish(f.tasks[0]!.id, { status: "dead", error: "no", outcome: "permanent" }, T0 + 10);

        const all = await store.listDeliveries({ limit: 10 });
        expect(all.map((d) => [d.id, d.status])).toEqual([
          [failed.id, "failed"],
          [succeeded.id, "succeeded"],
          [pending.id, "pending"],
          [unrouted.id, "unrouted"],
        ]);
        expect(all[1]).toEqual({
          id: succeeded.id,
          event: "issues",
          action: "opened",
          repository: "octo/hello",
          receivedAt: T0 + 2,
          // The list carries the ack time the whole delivery has (the dashboard shows it per row).
          ackMs: (await store.getDelivery(succeeded.id))!.ackMs,
          status: "succeeded",
          tasks: [
            { id: s.tasks[0]!.id, agent: "IssueAgent", status: "succeeded", attempts: 1 },
            { id: s.tasks[1]!.id, agent: "IssueAgent", status: "skipped", attempts: 0 },
          ],
        });
        for (const status of ["unrouted", "pending", "succeeded", "failed"] as const) {
          expect((await store.listDeliveries({ status, limit: 10 })).map((d) => d.status)).toEqual([status]);
        }
        expect((await store.getDelivery(failed.id))!.status).toBe("failed");
      });

      it("lists deliveries newest first, same-millisecond ones by insertion, up to the limit", async () => {
        const older = delivery({ receivedAt: T0 });
        const a = delivery({ receivedAt: T0 + 10 });
        const b = delivery({ receivedAt: T0 + 10 });
        const newest = delivery({ receivedAt: T0 + 20 });
        for (const d of [a, older, b, newest]) await store.accept(d, [], WINDOW);
        expect((await store.listDeliveries({ limit: 10 })).map((d) => d.id)).toEqual([newest.id, b.id, a.id, older.id]);
        expect((await store.listDeliveries({ limit: 2 })).map((d) => d.id)).toEqual([newest.id, b.id]);
        expect((await store.listDeliveries({ status: "unrouted", limit: 3 })).map((d) => d.id)).toEqual([newest.id, b.id, a.id]);
      });

      it("honours a limit above any small default (no upper cap)", async () => {
        const accepts = [];
        for (let i = 0; i < 120; i++) accepts.push(store.accept(delivery({ receivedAt: T0 + i }), [task({ runAt: T0 + HOUR })], WINDOW));
        accepts.push(store.accept(delivery(), [], WINDOW));
        await Promise.all(accepts);
        expect(await store.listDeliveries({ limit: 1000 })).toHaveLength(121);
        expect(await store.listTasks({ limit: 1000 })).toHaveLength(120);
      });

      it("lists tasks newest first with status, agent and delivery filters", async () => {
        const d1 = delivery();
        const r1 = await store.accept(d1, [task({ agent: "IssueAgent" }), task({ rule: "r", agent: "ReviewAgent", priority: "critical" })], WINDOW);
        const d2 = delivery();
        const r2 = await store.accept(d2, [task({ agent: "IssueAgent", runAt: T0 + HOUR })], WINDOW);
        if (r1.duplicate || r2.duplicate) throw new Error("unexpected duplicate");
        const [i1, r] = r1.tasks.map((t) => t.id);
        const [i2] = r2.tasks.map((t) => t.id);
        await claimOne(T0); // the critical ReviewAgent task

        expect((await store.listTasks({ limit: 10 })).map((t) => t.id)).toEqual([i2, r, i1]);
        expect((await store.listTasks({ agent: "IssueAgent", limit: 10 })).map((t) => t.id)).toEqual([i2, i1]);
        expect((await store.listTasks({ status: "running", limit: 10 })).map((t) => t.id)).toEqual([r]);
        expect((await store.listTasks({ delivery: d1.id, limit: 10 })).map((t) => t.id)).toEqual([r, i1]);
        expect((await store.listTasks({ delivery: d1.id, status: "ready", agent: "IssueAgent", limit: 10 })).map((t) => t.id)).toEqual([i1]);
        expect((await store.listTasks({ limit: 1 })).map((t) => t.id)).toEqual([i2]);
        expect(await store.listTasks({ agent: "Nobody", limit: 10 })).toEqual([]);
        // Pages by id, with the filters: the next page after the last task listed.
        expect((await store.listTasks({ before: i2!, limit: 1 })).map((t) => t.id)).toEqual([r]);
        expect((await store.listTasks({ before: r!, limit: 10 })).map((t) => t.id)).toEqual([i1]);
        expect((await store.listTasks({ agent: "IssueAgent", before: i2!, limit: 10 })).map((t) => t.id)).toEqual([i1]);
        expect(await store.listTasks({ before: i1!, limit: 10 })).toEqual([]);

        const record = (await store.listTasks({ delivery: d2.id, limit: 1 }))[0];
        expect(record).toEqual({
          id: i2,
          delivery: d2.id,
          rule: "issue-opened",
          agent: "IssueAgent",
          action: "Analyze and auto-label",
          priority: "high",
          idempotencyKey: null,
          status: "ready",
          attempts: 0,
          runAt: T0 + HOUR,
          lastError: null,
          createdAt: T0,
          updatedAt: T0,
        });
      });

      it("answers null for unknown deliveries and tasks", async () => {
        expect(await store.getDelivery("nope")).toBeNull();
        expect(await store.getTask("123456")).toBeNull();
        expect(await store.getTask("abc")).toBeNull();
      });
    });

    describe("github actions", () => {
      it("stores the actions a completion carries, in its transaction, and none for a fenced completion", async () => {
        const [id] = await seed([task()]);
        const claimed = await claimOne();
        const action = { agent: "IssueAgent", task: id!, method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/comments", body: { body: "hi" }, dryRun: true, at: T0 };
        expect(await store.complete(id!, "stale-token", { status: "succeeded", actions: [action] }, T0)).toBe(false);
        expect(await store.listGithubActions({ task: id!, limit: 10 })).toEqual([]);
        expect(await store.complete(id!, claimed.leaseToken, { status: "succeeded", actions: [action, { ...action, method: "PATCH" }] }, T0)).toBe(true);
        const stored = await store.listGithubActions({ task: id!, limit: 10 });
        expect(stored.map((a) => a.method).sort()).toEqual(["PATCH", "POST"]);
        expect(stored[0]).toMatchObject({ agent: "IssueAgent", task: id, dryRun: true, body: { body: "hi" } });
      });

      it("records what agents did and lists it newest first, by task", async () => {
        const [id] = await seed([task()]);
        await store.recordGithubAction({ agent: "IssueAgent", task: id!, method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/labels", body: { labels: ["type:bug"] }, dryRun: true, at: T0 });
        await store.recordGithubAction({ agent: "Guardian", task: null, method: "PATCH", route: "/repos/{owner}/{repo}/issues/{issue_number}", body: { state: "closed" }, dryRun: false, at: T0 + 1 });

        const all = await store.listGithubActions({ limit: 10 });
        expect(all.map((a) => a.agent)).toEqual(["Guardian", "IssueAgent"]);
        expect(all[1]).toEqual({
          id: expect.stringMatching(/^\d+$/),
          agent: "IssueAgent",
          task: id,
          method: "POST",
          route: "/repos/{owner}/{repo}/issues/{issue_number}/labels",
          body: { labels: ["type:bug"] },
          dryRun: true,
          at: T0,
        });
        expect(all[0]).toMatchObject({ task: null, dryRun: false, body: { state: "closed" } });
        expect((await store.listGithubActions({ task: id!, limit: 10 })).map((a) => a.agent)).toEqual(["IssueAgent"]);
        expect(await store.listGithubActions({ limit: 1 })).toHaveLength(1);
      });

      it("lists the writes about one issue in one read: the newest deliveries' newest tasks' newest writes, newest recorded first", async () => {
        const subject = { repository: "octo/a", number: 7 };
        const [old] = await seed([task()], { id: "w-1", repository: "octo/a", number: 7, receivedAt: T0 });
        const [a1, a2] = await seed([task(), task({ rule: "second" })], { id: "w-2", repository: "OCTO/A", number: 7, receivedAt: T0 + 1 });
        // w-3 and w-4 in the same millisecond: w-4, stored after, is the newer.
        const [b] = await seed([task()], { id: "w-3", repository: "octo/a", number: 7, receivedAt: T0 + 2 });
        const [c] = await seed([task()], { id: "w-4", repository: "octo/a", number: 7, receivedAt: T0 + 2 });
        const [otherNumber] = await seed([task()], { id: "w-5", repository: "octo/a", number: 8, receivedAt: T0 + 3 });
        const [otherRepository] = await seed([task()], { id: "w-6", repository: "octo/b", number: 7, receivedAt: T0 + 4 });
        // Unrouted, and the newest: it counts among the deliveries, as listDeliveries counts it.
        await seed([], { id: "w-7", repository: "octo/a", number: 7, receivedAt: T0 + 5 });
        const writes: [string | null, string][] = [
          [old!, "/old"], [a1!, "/a1-1"], [b!, "/b-1"], [a2!, "/a2-1"], [otherNumber!, "/other-number"], [a1!, "/a1-2"],
          [otherRepository!, "/other-repository"], [c!, "/c-1"], [null, "/no-task"], [a1!, "/a1-3"], [b!, "/b-2"],
        ];
        // Clocks going backwards (instances disagree): the order is the order recorded, not `at`.
        for (const [i, [t, route]] of writes.entries()) await store.recordGithubAction({ agent: "IssueAgent", task: t, method: "POST", route, body: { i }, dryRun: true, at: T0 - i });

        type Options = Parameters<Store["listSubjectGithubActions"]>[0];
        const routes = async (options: Partial<Options>) => (await store.listSubjectGithubActions({ subject, deliveries: 10, tasksPerDelivery: 10, perTask: 10, ...options })).map((a) => a.route);
        expect(await routes({})).toEqual(["/b-2", "/a1-3", "/c-1", "/a1-2", "/a2-1", "/b-1", "/a1-1", "/old"]);
        expect(await routes({ deliveries: 4 })).toEqual(["/b-2", "/a1-3", "/c-1", "/a1-2", "/a2-1", "/b-1", "/a1-1"]);
        expect(await routes({ deliveries: 2 })).toEqual(["/c-1"]);
        expect(await routes({ tasksPerDelivery: 1 })).toEqual(["/b-2", "/c-1", "/a2-1", "/b-1", "/old"]);
        expect(await routes({ perTask: 2 })).toEqual(["/b-2", "/a1-3", "/c-1", "/a1-2", "/a2-1", "/b-1", "/old"]);
        expect(await routes({ deliveries: Number.POSITIVE_INFINITY, tasksPerDelivery: Number.POSITIVE_INFINITY, perTask: Number.POSITIVE_INFINITY })).toEqual(await routes({}));
        expect(await routes({ deliveries: 0 })).toEqual([]);
        expect(await routes({ subject: { repository: "octo/a", number: 9 } })).toEqual([]);
        const [newest] = await store.listSubjectGithubActions({ subject: { repository: "Octo/A", number: 7 }, deliveries: 10, tasksPerDelivery: 10, perTask: 10 });
        expect(newest).toEqual({ id: expect.stringMatching(/^\d+$/), agent: "IssueAgent", task: b, method: "POST", route: "/b-2", body: { i: 10 }, dryRun: true, at: T0 - 10 });

        // The same writes, in the same order, as reading deliveries, then tasks, then each task's writes.
        const stepByStep = async ({ deliveries, tasksPerDelivery, perTask }: Options) => {
          const out = [];
          for (const d of await store.listDeliveries({ subject, limit: deliveries })) {
            for (const t of await store.listTasks({ delivery: d.id, limit: tasksPerDelivery })) out.push(...(await store.listGithubActions({ task: t.id, limit: perTask })));
          }
          return out.sort((x, y) => Number(y.id) - Number(x.id));
        };
        for (const [deliveries, tasksPerDelivery, perTask] of [[10, 10, 10], [4, 1, 2], [3, 2, 1], [1, 10, 10]] as const) {
          const options = { subject, deliveries, tasksPerDelivery, perTask };
          expect(await store.listSubjectGithubActions(options), JSON.stringify(options)).toEqual(await stepByStep(options));
        }
      });
    });

    describe("retention (prune)", () => {
      const DAY = 24 * HOUR;
      const NOW = T0 + 200 * DAY;
      const RETENTION = { bodies: 30 * DAY, rows: 90 * DAY };

      /** A delivery with one task, taken to `status` by a worker at `finishedAt`. */
      async function seedFinished(id: string, receivedAt: number, status: "succeeded" | "dead", finishedAt = receivedAt + 1000): Promise<string> {
        const [taskId] = await seed([task()], { id, receivedAt });
        const claimed = await claimOne(receivedAt);
        expect(claimed.id).toBe(taskId);
        const action = { agent: "IssueAgent", task: taskId!, method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/labels", body: { labels: ["bug"] }, dryRun: false, at: finishedAt };
        const outcome: TaskOutcome = status === "succeeded" ? { status, actions: [action] } : { status, error: "boom", outcome: "permanent", actions: [action] };
        expect(await store.complete(taskId!, claimed.leaseToken, outcome, finishedAt)).toBe(true);
        return taskId!;
      }

      it("prunes exactly what the retention says, in batches, and keeps what pending or dead tasks need", async () => {
        if (store.pruneRows === undefined) return expect(store.kind).toBe("memory"); // lives for one run: nothing to prune
        const { pruneStore } = await import("../../src/store/retention/prune-store.js");
        await seedFinished("old-succeeded", NOW - 95 * DAY, "succeeded");
        await seedFinished("old-dead", NOW - 95 * DAY, "dead");
        await seedFinished("old-rerun", NOW - 95 * DAY, "succeeded", NOW - 5 * DAY);
        await seedFinished("mid-succeeded", NOW - 40 * DAY, "succeeded");
        await seedFinished("mid-dead", NOW - 40 * DAY, "dead");
        await seed([task()], { id: "old-ready", receivedAt: NOW - 95 * DAY });
        await seed([], { id: "old-unrouted", receivedAt: NOW - 120 * DAY });
        await seed([], { id: "young", receivedAt: NOW - 10 * DAY });
        for (let i = 0; i < 7; i++) await seed([], { id: `old-filler-${i}`, receivedAt: NOW - 100 * DAY + i });
        const options = { now: NOW, retention: RETENTION, replayWindowMs: 72 * HOUR, batchSize: 2 };
        const bodyOf = async (id: string) => (await store.getDelivery(id))?.body.length;

        const dry = await pruneStore(store, { ...options, dryRun: true });
        const wet = await pruneStore(store, { ...options, dryRun: false });
        // Bodies: mid-succeeded's, and old-rerun's (its row stays: its task ran 5 days ago).
        expect(wet).toMatchObject({ deliveries: 10, tasks: 2, attempts: 2, githubActions: 2, bodies: 2 });
        expect({ ...dry, dryRun: false, reclaimedPages: 0, longestBatchMs: 0, tookMs: 0 }).toEqual({ ...wet, reclaimedPages: 0, longestBatchMs: 0, tookMs: 0 });

        for (const gone of ["old-succeeded", "old-dead", "old-unrouted", "old-filler-0", "old-filler-6"]) expect(await store.getDelivery(gone)).toBeNull();
        expect(await store.getDelivery("old-ready")).toMatchObject({ status: "pending" });
        expect(await bodyOf("old-ready")).toBeGreaterThan(0);
        expect((await store.getDelivery("old-rerun"))?.tasks).toHaveLength(1);
        expect(await bodyOf("old-rerun")).toBe(0);
        expect(await bodyOf("mid-succeeded")).toBe(0);
        // When it was emptied, for whoever reads the delivery later (its payload is null then).
        expect((await store.getDelivery("mid-succeeded"))?.bodyPrunedAt).toBe(NOW);
        expect((await store.getDelivery("mid-dead"))?.bodyPrunedAt).toBeNull();
        expect((await store.getDelivery("mid-succeeded"))?.tasks[0]?.attemptLog).toHaveLength(1);
        expect(await bodyOf("mid-dead")).toBeGreaterThan(0); // a dead task keeps its body until replayed
        expect(await bodyOf("young")).toBeGreaterThan(0);
        expect((await store.listGithubActions({ limit: 100 })).length).toBe(3);

        const again = await pruneStore(store, { ...options, dryRun: false });
        expect(again).toMatchObject({ deliveries: 0, bodies: 0, tasks: 0 });
      });

      it("never prunes inside the replay window, whatever the retention says", async () => {
        if (store.pruneRows === undefined) return expect(store.kind).toBe("memory"); // lives for one run: nothing to prune
        const { pruneStore } = await import("../../src/store/retention/prune-store.js");
        await seed([], { id: "in-window", receivedAt: NOW - 48 * HOUR });
        const result = await pruneStore(store, { now: NOW, retention: { bodies: HOUR, rows: HOUR }, replayWindowMs: 72 * HOUR, dryRun: false });
        expect(result).toMatchObject({ deliveries: 0, bodies: 0 });
        expect(await store.getDelivery("in-window")).not.toBeNull();
        // Its signature still makes a replay of the body a duplicate.
        const replayed = await store.accept({ ...delivery({ receivedAt: NOW }), signature: (await store.getDelivery("in-window"))!.signature }, [], WINDOW);
        expect(replayed).toMatchObject({ duplicate: true, by: "signature" });
      });

      it("prunes redelivery asks past the row limit", async () => {
        if (store.reserveRedelivery === undefined) return expect(store.kind).toBe("memory"); // Actions mode has no hook to sweep
        await store.reserveRedelivery({ guid: "g-old", hook: "app", hookDeliveryId: 1, askedAt: NOW - 100 * DAY }, 3);
        await store.reserveRedelivery({ guid: "g-new", hook: "app", hookDeliveryId: 2, askedAt: NOW - DAY }, 3);
        const removed = await store.pruneBookkeeping!({ before: NOW - 90 * DAY, limit: 100, dryRun: false });
        expect(removed).toBe(1);
        expect([...(await store.readRedeliveries!(["g-old", "g-new"])).keys()]).toEqual(["g-new"]);
      });
    });

    describe("redeliveries", () => {
      it("allows at most maxAsks asks per guid, numbered, and says which guids the store holds", async () => {
        if (store.reserveRedelivery === undefined) return expect(store.kind).toBe("memory"); // Actions mode has no hook to sweep
        const ask = (n: number) => store.reserveRedelivery!({ guid: "guid-1", hook: "octo/hello#1", hookDeliveryId: 100 + n, askedAt: T0 + n }, 3);
        expect([await ask(1), await ask(2), await ask(3), await ask(4)]).toEqual([1, 2, 3, null]);
        await store.recordRedeliveryAnswer!("guid-1", 1, { status: 202, error: null });
        expect(await store.readRedeliveries!(["guid-1", "guid-2"])).toEqual(new Map([["guid-1", { asks: 3, lastAskedAt: T0 + 3, lastStatus: null }]]));
        await seed([], { id: "guid-1" });
        expect(await store.knownDeliveries!(["guid-1", "guid-2"])).toEqual(new Set(["guid-1"]));
        await store.reserveRedelivery({ guid: "guid-2", hook: "app", hookDeliveryId: 7, askedAt: T0 }, 3);
        expect(await store.countRedeliveries!(T0)).toEqual({ asked: 2, recovered: 1 });
      });

      it("counts an ask GitHub could not take (no answer, a 5xx, a rate limit) toward no limit; one it refused (a 4xx) or took does", async () => {
        if (store.reserveRedelivery === undefined) return expect(store.kind).toBe("memory"); // Actions mode has no hook to sweep
        const ask = (n: number) => store.reserveRedelivery!({ guid: "outage", hook: "app", hookDeliveryId: 1, askedAt: T0 + n }, 2);
        const outage = [{ status: 502, error: "GitHub answered 502" }, { status: null, error: "could not reach GitHub" }, { status: 429, error: "rate limited" }];
        for (const [i, answer] of outage.entries()) {
          expect(await ask(i + 1)).toBe(i + 1);
          await store.recordRedeliveryAnswer!("outage", i + 1, answer);
        }
        expect(await store.readRedeliveries!(["outage"])).toEqual(new Map([["outage", { asks: 0, lastAskedAt: T0 + 3, lastStatus: null }]]));
        expect(await ask(4)).toBe(4);
        await store.recordRedeliveryAnswer!("outage", 4, { status: 422, error: "Validation Failed" });
        expect(await ask(5)).toBe(5);
        await store.recordRedeliveryAnswer!("outage", 5, { status: 202, error: null });
        expect(await ask(6)).toBeNull();
        expect(await store.readRedeliveries!(["outage"])).toEqual(new Map([["outage", { asks: 2, lastAskedAt: T0 + 5, lastStatus: 202 }]]));
      });

      it("lets one of two concurrent asks of the same guid through", async () => {
        if (store.reserveRedelivery === undefined) return expect(store.kind).toBe("memory"); // Actions mode has no hook to sweep
        const asks = await Promise.all([1, 2].map(() => store.reserveRedelivery!({ guid: "raced", hook: "app", hookDeliveryId: 1, askedAt: T0 }, 1)));
        expect(asks.filter((n) => n !== null)).toEqual([1]);
      });
    });

    describe("close", () => {
      it("commits queued writes before it returns", async () => {
        const queued = [delivery(), delivery(), delivery()];
        // Not awaited: the writes are still queued when close() is called.
        const accepts = queued.map((d) => store.accept(d, [task()], WINDOW));
        closed = true;
        await store.close();
        const results = await Promise.all(accepts);
        expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
      });

      it("refuses writes after close", async () => {
        closed = true;
        await store.close();
        await expect(store.accept(delivery(), [], WINDOW)).rejects.toThrow();
      });
    });
  });
}
