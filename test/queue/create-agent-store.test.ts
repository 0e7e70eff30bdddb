import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAgentStore } from "../../src/queue/create-agent-store.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { NewTask } from "../../src/store/store.js";

const dirs: string[] = [];
const stores: ReturnType<typeof createSqliteStore>[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2024, 0, 1);
const EXECUTE: NewTask = { rule: "execute-plan", agent: "ExecutionAgent", action: "Execute plan", priority: "high", idempotencyKey: null };

async function openStore() {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-agent-store-"));
  dirs.push(dir);
  const store = createSqliteStore(path.join(dir, "s.db"));
  stores.push(store);
  await store.migrate();
  return store;
}

async function deliver(store: Awaited<ReturnType<typeof openStore>>, id: string, number: number, receivedAt: number) {
  const accepted = await store.accept(
    { id, signature: null, event: "issue_comment", action: "created", repository: "octo/hello", installation: null, number, headers: {}, body: Buffer.from("{}"), receivedAt },
    [{ rule: "agent-command", agent: "CoordinatorAgent", action: "run commands", priority: "high", idempotencyKey: null }],
    { replayWindowMs: 1000 },
  );
  if (accepted.duplicate) throw new Error("duplicate");
  return accepted.tasks[0]!;
}

describe("createAgentStore", () => {
  it("enqueues onto the task's own delivery at the worker's clock, once per rule", async () => {
    const store = await openStore();
    const coordinator = await deliver(store, "d1", 7, T0);
    const agentStore = createAgentStore(store, { id: coordinator.id, delivery: "d1" }, () => T0 + 5000);

    const first = await agentStore.enqueue(EXECUTE);
    expect(first).toMatchObject({ rule: "execute-plan", agent: "ExecutionAgent", status: "ready" });
    const again = await agentStore.enqueue(EXECUTE);
    expect(again).toEqual(first);

    const tasks = await store.listTasks({ delivery: "d1", limit: 10 });
    expect(tasks.map((t) => t.rule).sort()).toEqual(["agent-command", "execute-plan"]);
    expect(tasks.find((t) => t.rule === "execute-plan")!.runAt).toBe(T0 + 5000);
  });

  it("returns an existing task of the rule as it is, without re-queueing it", async () => {
    const store = await openStore();
    const coordinator = await deliver(store, "d1", 7, T0);
    const agentStore = createAgentStore(store, { id: coordinator.id, delivery: "d1" }, () => T0);
    const first = await agentStore.enqueue(EXECUTE);
    const [claimed] = await store.claim({ owner: "w", now: T0, leaseMs: 60_000, limit: 10, excludeAgents: ["CoordinatorAgent"] });
    expect(claimed!.id).toBe(first.id);
    await store.complete(claimed!.id, claimed!.leaseToken, { status: "succeeded" }, T0 + 1);

    expect(await agentStore.enqueue(EXECUTE)).toEqual({ ...first, status: "succeeded" });
    expect((await store.getTask(first.id))!.status).toBe("succeeded");
  });

  it("refuses to enqueue onto a delivery that is not in the store", async () => {
    const store = await openStore();
    const agentStore = createAgentStore(store, { id: "1", delivery: "gone" }, () => T0);
    await expect(agentStore.enqueue(EXECUTE)).rejects.toThrow(/delivery gone is no longer in the store/);
  });

  it("reads one subject's deliveries with their tasks, and only this task's GitHub writes", async () => {
    const store = await openStore();
    const older = await deliver(store, "d1", 7, T0);
    const other = await deliver(store, "d2", 7, T0 + 1000);
    await deliver(store, "d3", 8, T0 + 2000);
    await store.recordGithubAction({ agent: "CoordinatorAgent", task: older.id, method: "POST", route: "/a", body: {}, dryRun: false, at: T0 });
    await store.recordGithubAction({ agent: "CoordinatorAgent", task: other.id, method: "POST", route: "/b", body: {}, dryRun: false, at: T0 });
    const agentStore = createAgentStore(store, { id: older.id, delivery: "d1" }, () => T0);

    const history = await agentStore.history({ repository: "octo/hello", number: 7 }, { limit: 20, tasksPerDelivery: 20 });
    expect(history.map((d) => d.id)).toEqual(["d2", "d1"]);
    expect(history[1]!.tasks).toEqual([expect.objectContaining({ id: older.id, agent: "CoordinatorAgent", status: "ready", lastError: null })]);

    expect((await agentStore.githubWrites({ limit: 10 })).map((a) => a.route)).toEqual(["/a"]);
    // Every task's writes about #7, newest recorded first; #8's are not among them.
    await store.recordGithubAction({ agent: "CoordinatorAgent", task: older.id, method: "PATCH", route: "/c", body: {}, dryRun: true, at: T0 - 5 });
    expect((await agentStore.subjectWrites({ repository: "OCTO/hello", number: 7 }, { deliveries: 20, perTask: 10 })).map((a) => a.route)).toEqual(["/c", "/b", "/a"]);
    expect((await agentStore.subjectWrites({ repository: "octo/hello", number: 8 }, { deliveries: 20, perTask: 10 })).map((a) => a.route)).toEqual([]);
  });
});
