import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { createWorkdir, runCli } from "../support/run-cli.js";

/**
 * `replay --task` on a task that was not dead: a skipped duplicate runs what its key kept
 * from running twice (a deployment), and a task waiting for its retry starts its retries
 * over. Neither may pass as a plain "re-queued".
 */
describe("replay --task of a skipped task and of one waiting for a retry", () => {
  const work = createWorkdir();
  const env = { DATABASE_URL: "sqlite:r.db", LOG_LEVEL: "silent" };
  let skipped = "";
  let waiting = "";

  beforeAll(async () => {
    const store = createSqliteStore(path.join(work.dir, "r.db"), { exclusive: true });
    await store.migrate();
    const key = "deploy:octo/hello:abc123:production";
    const deploy = { rule: "push-default-branch", agent: "DeploymentAgent", action: "Deploy", priority: "high" as const, idempotencyKey: key };
    const delivery = (id: string) => ({ id, signature: null, event: "push", action: null, repository: "octo/hello", installation: null, headers: {}, body: Buffer.from("{}"), receivedAt: 1_000 });
    const window = { replayWindowMs: 3_600_000 };
    await store.accept(delivery("first"), [deploy], window);
    const second = await store.accept(delivery("second"), [deploy, { ...deploy, rule: "issue-opened", agent: "IssueAgent", idempotencyKey: null }], window);
    if (second.duplicate) throw new Error("unexpected duplicate");
    skipped = second.tasks[0]!.id;
    expect(second.tasks[0]!.status).toBe("skipped");
    // The IssueAgent task fails once: it waits for its retry.
    waiting = second.tasks[1]!.id;
    const [claimed] = (await store.claim({ owner: "w", now: 2_000, leaseMs: 30_000, limit: 10 })).filter((t) => t.id === waiting);
    await store.complete(waiting, claimed!.leaseToken, { status: "ready", runAt: 9_000_000_000_000, error: "busy", retryDelayMs: 60_000, outcome: "transient" }, 3_000);
    await store.close();
  });
  afterAll(() => work.remove());

  it("says the skipped task's work is done again, and that the waiting task's retries start over", async () => {
    const result = await runCli(["replay", "--task", skipped, waiting], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`switchyard: task ${skipped} had been skipped because another task held its idempotency key: it runs now anyway`);
    expect(result.stderr).toContain(`switchyard: task ${waiting} was ready (waiting for its first run or its next try): it is due now, and its retries start over`);
  });
});

describe("replay of a delivery on the store, when GitHub cannot say who switchyard is", () => {
  const work = createWorkdir();
  afterAll(() => work.remove());

  it("says so in one plain line, not a log line, and replays", async () => {
    const store = createSqliteStore(path.join(work.dir, "r.db"), { exclusive: true });
    await store.migrate();
    const body = Buffer.from(JSON.stringify({ ref: "refs/tags/v1", repository: { full_name: "octo/hello" }, sender: { login: "someone", type: "User" } }));
    await store.accept({ id: "d-1", signature: null, event: "push", action: null, repository: "octo/hello", installation: null, headers: {}, body, receivedAt: 1_000 }, [], { replayWindowMs: 3_600_000 });
    await store.close();
    // Nothing listens on port 2: the lookup fails at once.
    const env = { DATABASE_URL: "sqlite:r.db", GITHUB_TOKEN: "ghp_replay_lookup", GITHUB_API_URL: "http://127.0.0.1:2" };
    const result = await runCli(["replay", "d-1"], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("switchyard: could not look up switchyard's own GitHub login (LOG_LEVEL=debug says why): an event switchyard caused itself is replayed as anyone's would be\n");
    expect(result.stderr).not.toContain('"level"');
  });
});

describe("replay of tasks whose agent the config no longer has", () => {
  const work = createWorkdir();
  const env = { DATABASE_URL: "sqlite:r.db", LOG_LEVEL: "silent" };
  let dead = "";
  let other = "";
  afterAll(() => work.remove());

  beforeAll(async () => {
    const store = createSqliteStore(path.join(work.dir, "r.db"), { exclusive: true });
    await store.migrate();
    const delivery = (id: string) => ({ id, signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, headers: {}, body: Buffer.from("{}"), receivedAt: 1_000 });
    // Routed when the config had Labeler (since renamed), and failed for good.
    const labeler = { rule: "label-it", agent: "Labeler", action: "Label", priority: "high" as const, idempotencyKey: null };
    const tasks: string[] = [];
    for (const id of ["d-1", "d-2"]) {
      const accepted = await store.accept(delivery(id), [labeler], { replayWindowMs: 3_600_000 });
      if (accepted.duplicate) throw new Error("unexpected duplicate");
      tasks.push(accepted.tasks[0]!.id);
    }
    for (const claimed of await store.claim({ owner: "w", now: 2_000, leaseMs: 30_000, limit: 10 })) {
      await store.complete(claimed.id, claimed.leaseToken, { status: "dead", error: "boom", outcome: "permanent" }, 3_000);
    }
    [dead, other] = tasks as [string, string];
    await store.close();
  });

  it("says a replayed task waits for its agent instead of that it is due, and how to route it again", async () => {
    const result = await runCli(["replay", "--task", dead], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `switchyard: task ${dead} is for agent Labeler, which the config in use (the built-in agents: no config file) does not have: re-queued, it waits in the store, unrun, until a switchyard configured with Labeler runs (to run it with the agents configured now, switchyard replay d-1: routed again, its event goes to today's rules)`,
    );
  });

  it("says only that it waits when the task was not dead (not also that it is due now)", async () => {
    // Re-queued by the test before: ready now.
    const result = await runCli(["replay", "--task", dead], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`switchyard: task ${dead} is for agent Labeler`);
    expect(result.stderr).not.toContain("it is due now");
  });

  it("suggests the agent of stored tasks for a mistyped --agent, though the config no longer has it", async () => {
    const result = await runCli(["tasks", "--agent", "Labeller"], { cwd: work.dir, env });
    expect(result.stdout).toBe("no tasks for agent Labeller: did you mean Labeler?\n");
  });

  it("says the same of every such task replay --dead re-queued, by agent", async () => {
    const result = await runCli(["replay", "--dead"], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`switchyard: task ${other} is for agent Labeler, which the config in use (the built-in agents: no config file) does not have`);
  });
});

describe("replay of a delivery whose stored task's rule names another agent under the config in use", () => {
  const work = createWorkdir();
  const env = { DATABASE_URL: "sqlite:r.db", LOG_LEVEL: "silent" };
  afterAll(() => work.remove());

  beforeAll(async () => {
    const store = createSqliteStore(path.join(work.dir, "r.db"), { exclusive: true });
    await store.migrate();
    const body = Buffer.from(JSON.stringify({ action: "opened", issue: { number: 1, title: "Crash on start", body: "", labels: [] }, repository: { full_name: "octo/hello" }, sender: { login: "someone", type: "User" } }));
    const delivery = (id: string) => ({ id, signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, headers: {}, body, receivedAt: 1_000 });
    // The service's config replaced the built-in issue-opened rule: SlowAgent took the issue; IssueAgent another's.
    await store.accept(delivery("by-slow"), [{ rule: "issue-opened", agent: "SlowAgent", action: "Triage", priority: "medium", idempotencyKey: null }], { replayWindowMs: 0 });
    await store.accept(delivery("by-review"), [{ rule: "issue-opened", agent: "ReviewAgent", action: "Triage", priority: "medium", idempotencyKey: null }], { replayWindowMs: 0 });
    // Task 3, running as SlowAgent: a replay leaves it to its run, agent and all.
    await store.accept(delivery("running"), [{ rule: "issue-opened", agent: "SlowAgent", action: "Triage", priority: "critical", idempotencyKey: null }], { replayWindowMs: 0 });
    const [claimed] = await store.claim({ owner: "w", now: 2_000, leaseMs: 3_600_000_000, limit: 1 });
    expect(claimed!.id).toBe("3");
    await store.close();
  });

  it("neither refuses nor says a running task moves: it is left to its run", async () => {
    const result = await runCli(["replay", "running"], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("task 3 is running: left to that run");
    expect(result.stderr).not.toContain("now runs as");
  });

  it("refuses, replaying nothing, when the agent the task ran as is not in the config in use (a replay without the service's -c)", async () => {
    const result = await runCli(["replay", "by-review", "by-slow"], { cwd: work.dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "switchyard: nothing was replayed: task 1 of delivery by-slow (rule issue-opened) was routed to SlowAgent, and would now go to IssueAgent — that agent is not in the config in use (the built-in agents: no config file). " +
        "Pass -c with the config that routed it (or replay through the server that runs it), or replay the task itself to run it as it was (switchyard replay --task 1)\n",
    );
    const store = createSqliteStore(path.join(work.dir, "r.db"), { readonly: true });
    expect((await store.getTask("1"))!).toMatchObject({ agent: "SlowAgent", status: "ready", attempts: 0 });
    expect((await store.getTask("2"))!).toMatchObject({ agent: "ReviewAgent", status: "ready", attempts: 0 });
    await store.close();
  });

  it("replays, saying the task now runs as another agent, when the config in use has both (the config changed on purpose)", async () => {
    const result = await runCli(["replay", "by-review"], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("re-queued task 2 (IssueAgent) of delivery by-review");
    expect(result.stderr).toContain(
      "switchyard: task 2 of delivery by-review now runs as IssueAgent, not ReviewAgent: rule issue-opened names IssueAgent in the built-in rules (no config file: pass -c FILE, or create switchyard.config.yaml here) (each attempt keeps the agent that ran it)\n",
    );
  });
});
