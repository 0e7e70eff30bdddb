import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskRecord } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

const scripts = mkdtempSync(path.join(tmpdir(), "switchyard-agents-"));
afterAll(() => rmSync(scripts, { recursive: true, force: true }));

/** Writes a small agent program and returns its argv. */
function agentScript(name: string, source: string): string[] {
  const file = path.join(scripts, `${name}.mjs`);
  writeFileSync(file, source);
  return [process.execPath, file];
}

// Fails with EX_TEMPFAIL (75) on its first two runs for a task, then succeeds.
const flaky = agentScript(
  "flaky",
  `import { existsSync, readFileSync, writeFileSync } from "node:fs";
const counter = ${JSON.stringify(scripts)} + "/flaky-" + process.env.SWITCHYARD_TASK;
const runs = existsSync(counter) ? Number(readFileSync(counter, "utf8")) + 1 : 1;
writeFileSync(counter, String(runs));
if (runs <= 2) { console.error("busy, run " + runs); process.exit(75); }
console.log("done on run " + runs);`,
);
const broken = agentScript("broken", `console.error("bad input"); process.exit(1);`);
const busy = agentScript("busy", `console.error("still busy"); process.exit(75);`);
// Starts a grandchild that would outlive it, then hangs.
const hanging = agentScript(
  "hanging",
  `import { spawn } from "node:child_process"; import { writeFileSync } from "node:fs";
const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
writeFileSync(${JSON.stringify(scripts)} + "/grandchild-" + process.env.SWITCHYARD_TASK, String(child.pid));
setInterval(() => {}, 1000);`,
);
const envPrinter = agentScript(
  "env",
  `let input = ""; process.stdin.on("data", (c) => (input += c)); process.stdin.on("end", () => {
  console.log(JSON.stringify({ env: process.env, stdin: JSON.parse(input) }));
});`,
);
const deployer = agentScript("deployer", `console.log("deployed " + process.env.SWITCHYARD_DELIVERY);`);

const SECRET_ENV = { WEBHOOK_SECRET: "hook-secret-value", ADMIN_TOKEN: "admin-token-value", GITHUB_APP_PRIVATE_KEY: "-----BEGIN KEY-----", PATH: process.env.PATH };

function issueOpened(n: number): Record<string, unknown> {
  const payload = exampleOf("issues", "opened") as unknown as { issue: { number: number; title: string } };
  payload.issue.number = n;
  payload.issue.title = `worker test ${n} ${Math.random()}`;
  return payload as unknown as Record<string, unknown>;
}

async function settled(server: TestServer, taskId: string): Promise<TaskRecord> {
  return waitFor(async () => {
    const task = await server.store.getTask(taskId);
    return task && ["succeeded", "dead", "skipped"].includes(task.status) ? task : null;
  }, 20_000);
}

async function routeOne(server: TestServer, event: string, payload: unknown): Promise<string> {
  const res = await server.deliver(event, payload);
  expect(res.status).toBe(202);
  return res.body.routed[0].task as string;
}

describe("worker with exec agents", () => {
  let server: TestServer;
  const agents = {
    Flaky: { exec: flaky, timeout: "20s" },
    Broken: { exec: broken },
    Busy: { exec: busy },
    Hanging: { exec: hanging, timeout: "700ms" },
    Env: { exec: envPrinter, env: ["EXTRA_VAR"] },
  };
  beforeAll(async () => {
    server = await startTestServer(
      {
        retry: { maxRetries: 3, initialDelayMs: 50, maxDelayMs: 200, multiplier: 2 },
        agents,
        routing: {
          rules: [
            { id: "flaky", when: { event: "issues", action: "opened", label: "flaky" }, agent: "Flaky", priority: "critical", action: "flaky" },
            { id: "broken", when: { event: "issues", action: "opened", label: "broken" }, agent: "Broken", priority: "critical", action: "broken" },
            { id: "busy", when: { event: "issues", action: "opened", label: "busy" }, agent: "Busy", priority: "critical", action: "busy" },
            { id: "hanging", when: { event: "issues", action: "opened", label: "hanging" }, agent: "Hanging", priority: "critical", action: "hang" },
            { id: "env", when: { event: "issues", action: "opened", label: "env" }, agent: "Env", priority: "critical", action: "print env" },
          ],
        },
      },
      undefined,
      { env: SECRET_ENV, pollMs: 100 },
    );
  });
  afterAll(async () => {
    await server.stop();
  });

  function withLabel(label: string, n: number) {
    const payload = issueOpened(n) as { issue: { labels: { name: string }[] } };
    payload.issue.labels = [{ name: label }];
    return payload;
  }

  it("retries an agent that exits 75 twice, then succeeds: 3 attempts recorded", async () => {
    const id = await routeOne(server, "issues", withLabel("flaky", 101));
    const task = await settled(server, id);
    expect(task.status).toBe("succeeded");
    expect(task.attempts).toBe(3);
    const log = (await server.store.getTask(id))!.attemptLog;
    expect(log.map((a) => a.outcome)).toEqual(["transient", "transient", "succeeded"]);
    expect(log[0]!.retryDelayMs).toBeGreaterThan(0);
    expect(log[2]!.output).toContain("done on run 3");
  });

  it("sends an agent that exits 1 to dead at once: 1 attempt", async () => {
    const id = await routeOne(server, "issues", withLabel("broken", 102));
    const task = await settled(server, id);
    expect(task.status).toBe("dead");
    expect(task.attempts).toBe(1);
    expect(task.lastError).toMatch(/exit code 1/);
    expect((await server.store.getTask(id))!.attemptLog[0]!.output).toContain("bad input");
  });

  it("kills a hanging agent and its children at the timeout, as a transient failure", async () => {
    const id = await routeOne(server, "issues", withLabel("hanging", 103));
    const first = await waitFor(async () => {
      const task = await server.store.getTask(id);
      return task && task.attemptLog[0]?.outcome ? task : null;
    }, 20_000);
    expect(first.attemptLog[0]!.outcome).toBe("transient");
    expect(first.attemptLog[0]!.error).toMatch(/timed out/);
    const grandchild = Number(readFileSync(path.join(scripts, `grandchild-${id}`), "utf8"));
    await waitFor(async () => {
      try {
        process.kill(grandchild, 0);
        return null;
      } catch {
        return true;
      }
    }, 10_000);
  });

  it("gives an exec agent its task and SWITCHYARD_* variables, never the secrets", async () => {
    const id = await routeOne(server, "issues", withLabel("env", 104));
    await settled(server, id);
    const output = (await server.store.getTask(id))!.attemptLog[0]!.output!;
    const { env, stdin } = JSON.parse(output.trim().split("\n").pop()!);
    expect(env).toMatchObject({ SWITCHYARD_AGENT: "Env", SWITCHYARD_EVENT: "issues", SWITCHYARD_ACTION: "opened", SWITCHYARD_TASK: id, SWITCHYARD_NUMBER: "104" });
    expect(env.SWITCHYARD_DELIVERY).toBeTruthy();
    expect(env.SWITCHYARD_REPOSITORY).toMatch(/\//);
    expect(env).not.toHaveProperty("WEBHOOK_SECRET");
    expect(env).not.toHaveProperty("ADMIN_TOKEN");
    expect(env).not.toHaveProperty("GITHUB_APP_PRIVATE_KEY");
    expect(output).not.toContain("hook-secret-value");
    expect(stdin.task.id).toBe(id);
    expect(stdin.payload.issue.number).toBe(104);
  });

  it("replays a dead task on the same row, attempts counting on", async () => {
    const id = await routeOne(server, "issues", withLabel("broken", 105));
    expect((await settled(server, id)).attempts).toBe(1);
    const res = await fetch(`${server.adminUrl}/api/tasks/${id}/replay`, { method: "POST" });
    expect(res.status).toBe(200);
    const again = await waitFor(async () => {
      const task = await server.store.getTask(id);
      return task && task.attempts === 2 && task.status === "dead" ? task : null;
    }, 20_000);
    expect(again.id).toBe(id);
    expect(again.attemptLog).toHaveLength(2);
    const tasks = await server.store.listTasks({ limit: 1000 });
    expect(tasks.filter((t) => t.id === id)).toHaveLength(1);
  });

  it("gives a replayed task the whole retry policy again: attempts count on, retries start over", async () => {
    const id = await routeOne(server, "issues", withLabel("busy", 107));
    const dead = await settled(server, id);
    // maxRetries 3: the first run and three retries.
    expect(dead).toMatchObject({ status: "dead", attempts: 4, lastError: expect.stringMatching(/^gave up after 4 attempts/) });
    expect((await fetch(`${server.adminUrl}/api/tasks/${id}/replay`, { method: "POST" })).status).toBe(200);
    const again = await waitFor(async () => {
      const task = await server.store.getTask(id);
      return task && task.status === "dead" && task.attempts > 4 ? task : null;
    }, 20_000);
    expect(again).toMatchObject({ attempts: 8, lastError: expect.stringMatching(/^gave up after 4 attempts \(8 in all, counting earlier runs\): /) });
    // The replayed run retried with backoff, as the first one did.
    expect(again.attemptLog.slice(4).map((a) => a.outcome)).toEqual(["transient", "transient", "transient", "transient"]);
    expect(again.attemptLog.slice(4, 7).every((a) => a.retryDelayMs !== null && a.retryDelayMs > 0)).toBe(true);
  });

  it("replays a delivery: routed again, the same task row re-queued", async () => {
    const res = await server.deliver("issues", withLabel("broken", 106));
    const id = res.body.routed[0].task as string;
    await settled(server, id);
    const replay = await fetch(`${server.adminUrl}/api/deliveries/${res.body.delivery}/replay`, { method: "POST" });
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { tasks: { id: string }[] }).tasks.map((t) => t.id)).toEqual([id]);
    await waitFor(async () => {
      const task = await server.store.getTask(id);
      return task && task.attempts === 2 && task.status === "dead" ? task : null;
    }, 20_000);
  });

  it("answers 400 with the reason, not 500, for a replay of a delivery whose body was pruned", async () => {
    // Only the built-in triage runs (and succeeds, in dry-run): nothing keeps the body then.
    const res = await server.deliver("issues", withLabel("unrouted", 107));
    for (const routed of res.body.routed as { task: string }[]) expect((await settled(server, routed.task)).status).toBe("succeeded");
    const pruned = await server.store.pruneBodies!({ before: Date.now() + 1, limit: 1000, after: null, dryRun: false, now: Date.now() });
    expect(pruned.bodies).toBeGreaterThan(0);
    const replay = await fetch(`${server.adminUrl}/api/deliveries/${res.body.delivery}/replay`, { method: "POST" });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: { code: "SWY_E_BAD_REQUEST", message: expect.stringMatching(/its body was pruned/) } });
 
    // Its task likewise: refused, rather than re-queued only to die on an empty body.
    const taskId = (res.body.routed as { task: string }[])[0]!.task;
    const taskReplay = await fetch(`${server.adminUrl}/api/tasks/${taskId}/replay`, { method: "POST" });
    expect(taskReplay.status).toBe(400);
    expect(await taskReplay.json()).toEqual({ error: { code: "SWY_E_BAD_REQUEST", message: `task ${taskId} cannot be replayed: its delivery's body was pruned (store.retention.bodies), so it cannot run again` } });
    expect((await server.store.getTask(taskId))!.status).toBe("succeeded");
    // Re-queued by other means (replay --dead takes every dead task), it dies saying why.
    await server.store.replayTask(taskId, Date.now());
    const died = await waitFor(async () => {
      const task = await server.store.getTask(taskId);
      return task && task.status === "dead" ? task : null;
    }, 20_000);
    expect(died.lastError).toBe("its delivery's body was pruned (store.retention.bodies), so it cannot run again");
  });

  it("answers 404 for replays of unknown ids", async () => {
    expect((await fetch(`${server.adminUrl}/api/tasks/999999/replay`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${server.adminUrl}/api/deliveries/nope/replay`, { method: "POST" })).status).toBe(404);
  });

  it("answers 405 naming the method for an endpoint called with the wrong one, 404 for a path that is not there", async () => {
    const wrong = await fetch(`${server.adminUrl}/api/tasks/12/replay`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(await wrong.json()).toEqual({ error: { code: "SWY_E_METHOD_NOT_ALLOWED", message: "GET is not allowed on /api/tasks/12/replay: use POST" } });
    const readOnly = await fetch(`${server.adminUrl}/api/kpi`, { method: "POST" });
    expect(readOnly.status).toBe(405);
    expect(readOnly.headers.get("allow")).toBe("GET");
    const withParam = await fetch(`${server.adminUrl}/api/deliveries/abc/replay`, { method: "DELETE" });
    expect(withParam.status).toBe(405);
    expect(withParam.headers.get("allow")).toBe("POST");
    expect((await fetch(`${server.adminUrl}/api/nothing-here`)).status).toBe(404);
  });
});

describe("worker idempotency", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ agents: { DeploymentAgent: { exec: deployer } } }, undefined, { env: { PATH: process.env.PATH } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("runs the merge's deployment once: the push of the same sha is stored as skipped", async () => {
    const push = exampleOf("push") as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const sha = "a".repeat(40);
    push.ref = `refs/heads/${push.repository.default_branch}`;
    push.after = sha;
    push.deleted = false;
    const merged = exampleOf("pull_request", "closed") as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    merged.pull_request.merged = true;
    merged.pull_request.merge_commit_sha = sha;
    merged.pull_request.base.ref = merged.repository.default_branch;
    merged.repository.full_name = push.repository.full_name;

    const [a, b] = await Promise.all([server.deliver("pull_request", merged), server.deliver("push", push)]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    const ids = [a.body.routed[0].task, b.body.routed[0].task] as string[];
    const tasks = await Promise.all(ids.map((id) => settled(server, id)));
    expect(tasks.map((t) => t.status).sort()).toEqual(["skipped", "succeeded"]);
    const skipped = tasks.find((t) => t.status === "skipped")!;
    expect(skipped.lastError).toContain(`deploy:${push.repository.full_name}:${sha}:production`);
    expect(skipped.attempts).toBe(0);
  });

  it("reports each delivery's status in the API", async () => {
    const res = await fetch(`${server.adminUrl}/api/deliveries`);
    const rows = (await res.json()) as { status: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => r.status === "succeeded")).toBe(true);
  });
});

describe("worker.perRepository", () => {
  it("starts no more tasks per repository and window than the budget, even with free slots", async () => {
    const server = await startTestServer(
      { worker: { concurrency: 4, perRepository: { limit: 2, windowMs: 60_000 } } },
      undefined,
      { pollMs: 50 },
    );
    try {
      // Sent together, so all five are ready before the worker's first claim.
      const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => routeOne(server, "issues", issueOpened(200 + n))));
      // The first two run at once; the budget holds the other three for the rest of the minute.
      await waitFor(async () => {
        const tasks = await Promise.all(ids.map((id) => server.store.getTask(id)));
        return tasks.filter((t) => t!.status === "succeeded").length === 2 ? true : null;
      }, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const tasks = await Promise.all(ids.map((id) => server.store.getTask(id)));
      expect(tasks.map((t) => t!.status).sort()).toEqual(["ready", "ready", "ready", "succeeded", "succeeded"]);
      expect(tasks.filter((t) => t!.attempts > 0)).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });
});
