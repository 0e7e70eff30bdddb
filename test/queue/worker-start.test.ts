import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import { createLogger } from "../../src/observability/logger.js";
import { WaitTurnError } from "../../src/queue/agent-errors.js";
import { createWorker } from "../../src/queue/worker.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Executor } from "../../src/agents/executors/create-executor.js";
import type { AcceptOptions, NewTask, Store } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function freshStore() {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-handoff-"));
  dirs.push(dir);
  const store = createSqliteStore(path.join(dir, "s.db"));
  await store.migrate();
  return store;
}

/** A worker on `store` with the given config, every agent run by `run`; polls rarely, so wakes and hand-offs drive it. */
function workerOn(store: Store, raw: Record<string, unknown>, run: Executor) {
  const { config } = parseConfig(raw);
  const logger = createLogger("silent");
  return createWorker({ store, config, github: createGithubRuntime(config, logger), logger, pollMs: 10_000, executorFor: () => run });
}

const TASK: NewTask = { rule: "issue-opened", agent: "IssueAgent", action: "triage", priority: "high", idempotencyKey: null };
let n = 0;
function accept(store: Awaited<ReturnType<typeof freshStore>>, handOff?: AcceptOptions["handOff"], tasks: NewTask[] = [TASK]) {
  const id = `d-${++n}`;
  const body = Buffer.from(JSON.stringify({ action: "opened", issue: { number: n }, repository: { full_name: "octo/hello" } }));
  return store.accept({ id, signature: `sha256=${n}`, event: "issues", action: "opened", repository: "octo/hello", installation: 7, number: n, headers: {}, body, receivedAt: Date.now() }, tasks, { replayWindowMs: 60_000, handOff });
}

describe("an accept that hands its task to a worker (SQLite)", () => {
  it("leases the task in the accept's own transaction: running, attempt 1 open, nothing left for a claim, and the lease completes", async () => {
    const store = await freshStore();
    const now = Date.now();
    const result = await accept(store, () => ({ owner: "w1", leaseMs: 30_000, now }));
    if (result.duplicate) throw new Error("not a duplicate");
    const [task] = result.tasks;
    expect(task!.status).toBe("ready"); // as created: what metrics count
    const claimed = task!.claimed!;
    expect(claimed).toMatchObject({ id: task!.id, delivery: result.delivery, agent: "IssueAgent", status: "running", attempts: 1, retryBase: 0, event: "issues", repository: "octo/hello", installation: 7, leaseUntil: now + 30_000 });
    expect(JSON.parse(claimed.body.toString())).toMatchObject({ issue: { number: n } });
    const stored = (await store.getTask(task!.id))!;
    expect(stored).toMatchObject({ status: "running", attempts: 1 });
    expect(stored.attemptLog).toMatchObject([{ n: 1, startedAt: now, finishedAt: null }]);
    expect(await store.claim({ owner: "w2", now: Date.now(), leaseMs: 30_000, limit: 10 })).toEqual([]);
    expect(await store.complete(claimed.id, claimed.leaseToken, { status: "succeeded", output: null }, Date.now())).toBe(true);
    expect((await store.getTask(task!.id))!.status).toBe("succeeded");
    await store.close();
  });

  it("leaves a task ready when no lease is offered, or when it waits for a later run_at", async () => {
    const store = await freshStore();
    const declined = await accept(store, () => null);
    const later = await accept(store, () => ({ owner: "w1", leaseMs: 30_000, now: Date.now() }), [{ ...TASK, runAt: Date.now() + 60_000 }]);
    for (const result of [declined, later]) {
      if (result.duplicate) throw new Error("not a duplicate");
      expect(result.tasks[0]).toMatchObject({ status: "ready" });
      expect(result.tasks[0]!.claimed).toBeUndefined();
      expect((await store.getTask(result.tasks[0]!.id))!.status).toBe("ready");
    }
    await store.close();
  });
});

describe("worker.offer / adopt", () => {
  it("offers leases only once started with an empty queue, up to its free slots, and runs what it adopts", async () => {
    const store = await freshStore();
    const ran: string[] = [];
    let finish!: () => void;
    const hold = new Promise<void>((resolve) => (finish = resolve));
    const worker = workerOn(store, { worker: { concurrency: 2 } }, async (ctx) => {
      ran.push(ctx.task.id);
      await hold;
    });
    expect(worker.offer()).toBeNull(); // not started: leases left by a previous process are not reclaimed yet
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 50)); // its first claim finds the queue empty
    const first = await accept(store, worker.offer);
    const second = await accept(store, worker.offer);
    // Two slots, both promised: the third waits for a claim.
    const third = await accept(store, worker.offer);
    if (first.duplicate || second.duplicate || third.duplicate) throw new Error("not a duplicate");
    expect([first, second, third].map((r) => (r.duplicate ? false : r.tasks[0]!.claimed !== undefined))).toEqual([true, true, false]);
    // Woken with the third task ready, it claims nothing: both slots are promised.
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toEqual([]);
    expect((await store.getTask(third.tasks[0]!.id))!.status).toBe("ready");
    worker.adopt(first.tasks[0]!.claimed!);
    worker.adopt(second.tasks[0]!.claimed!);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toEqual([first.tasks[0]!.id, second.tasks[0]!.id]);
    expect(worker.offer()).toBeNull(); // both slots run
    finish();
    await worker.idle();
    // The third ran by a claim once a slot was free.
    expect((await store.getTask(third.tasks[0]!.id))!.status).toBe("succeeded");
    await worker.stop(1_000);
    await store.close();
  });
});

async function storeWithOneTask() {
  const store = await freshStore();
  const payload = exampleOf("issues", "opened") as unknown as Record<string, unknown>;
  const result = await store.accept(
    { id: "d-1", signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() },
    [TASK],
    { replayWindowMs: 1000 },
  );
  if (result.duplicate) throw new Error("not a duplicate");
  return { store, payload, task: result.tasks[0]! };
}

/** What the agent of the worker's one task saw: its payload and the body its task carried. */
function seenBy() {
  let seen!: (value: { payload: Record<string, unknown>; body: Buffer }) => void;
  const ran = new Promise<{ payload: Record<string, unknown>; body: Buffer }>((resolve) => (seen = resolve));
  return { ran, run: (async (ctx) => seen({ payload: ctx.payload, body: ctx.task.body })) as Executor };
}

describe("the payload a task runs on", () => {
  it("is the one the webhook route parsed when the task was handed over: its body is not parsed again", async () => {
    const { ran, run } = seenBy();
    const store = await freshStore();
    const worker = workerOn(store, {}, run);
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 50)); // its first claim finds the queue empty
    const payload = exampleOf("issues", "opened") as unknown as Record<string, unknown>;
    const result = await store.accept(
      { id: "d-h", signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() },
      [TASK],
      { replayWindowMs: 1000, handOff: worker.offer },
    );
    if (result.duplicate) throw new Error("not a duplicate");
    const parsed = structuredClone(payload);
    worker.adopt(result.tasks[0]!.claimed!, parsed);
    const { payload: used } = await ran;
    expect(used).toBe(parsed);
    await worker.stop(1_000);
    await store.close();
  });

  it("is parsed from the body the claim read when the task was not handed over", async () => {
    const { store, payload, task } = await storeWithOneTask();
    expect(task.claimed).toBeUndefined();
    const { ran, run } = seenBy();
    const worker = workerOn(store, {}, run);
    await worker.start();
    const { payload: used, body } = await ran;
    expect(body.length).toBeGreaterThan(0);
    expect(used).toEqual(payload);
    await worker.stop(1_000);
    await store.close();
  });
});

describe("a worker that starts after a previous process died with tasks running", () => {
  /** A worker on `store` whose JSON log lines land in the returned array; its clock a minute ahead, past the leases left behind. */
  function loggedWorker(store: Store, raw: Record<string, unknown>) {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    const { config } = parseConfig(raw);
    const worker = createWorker({ store, config, github: createGithubRuntime(config, logger), logger, pollMs: 10_000, now: () => Date.now() + 60_000, executorFor: () => async () => ({ output: "ok" }) });
    return { worker, lines };
  }

  it("names the tasks it returns to the queue: the first 20 ids, and how many more", async () => {
    const store = await freshStore();
    for (let i = 0; i < 25; i++) await accept(store);
    // What a kill -9 leaves: 25 tasks running under leases nobody will renew.
    const left = await store.claim({ owner: "gone", now: Date.now(), leaseMs: 1000, limit: 25 });
    const ids = left.map((t) => t.id).sort((a, b) => Number(a) - Number(b));
    const { worker, lines } = loggedWorker(store, {});
    await worker.start();
    await worker.stop(1_000);
    await store.close();
    const reclaimed = lines.filter((line) => line.msg === "returned tasks left running by a previous process to the queue");
    expect(reclaimed).toEqual([expect.objectContaining({ level: 40, reclaimed: 25, tasks: ids.slice(0, 20), moreTasks: 5 })]);
  });

  it("names the tasks it gives up, and their deliveries", async () => {
    const store = await freshStore();
    await accept(store);
    const [left] = await store.claim({ owner: "gone", now: Date.now(), leaseMs: 1000, limit: 1 });
    // No retries: the attempt the dead process was running was the task's last.
    const { worker, lines } = loggedWorker(store, { retry: { maxRetries: 0 } });
    await worker.start();
    await worker.stop(1_000);
    await store.close();
    const gaveUp = lines.filter((line) => typeof line.msg === "string" && line.msg.startsWith("gave up on tasks whose last allowed attempt ended with an expired lease"));
    expect(gaveUp).toEqual([expect.objectContaining({ level: 50, dead: 1, maxAttempts: 1, tasks: [left!.id], deliveries: [left!.delivery] })]);
    expect(gaveUp[0]).not.toHaveProperty("moreTasks");
  });
});

describe("a worker whose store cannot be reached", () => {
  it("says so once, as a warning without a stack, not once a poll; and says when the store answers again", async () => {
    const store = await freshStore();
    let failing = 6;
    const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    // The same store, whose claims fail as a PostgreSQL that is down fails them, six times.
    const flaky: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "claim") return async (...args: Parameters<Store["claim"]>) => (failing-- > 0 ? Promise.reject(down) : target.claim(...args));
        return Reflect.get(target, key, receiver);
      },
    });
    const lines: { level: number; msg: string; err?: unknown }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    const { config } = parseConfig({});
    const worker = createWorker({ store: flaky, config, github: createGithubRuntime(config, logger), logger, pollMs: 5, executorFor: () => async () => ({ output: "ok" }) });
    await worker.start();
    await waitUntil(() => failing < 0);
    await worker.stop();
    await store.close();
    const said = lines.filter((line) => /store/.test(line.msg));
    expect(said.map((line) => line.msg)).toEqual(["the store cannot be reached: the worker claims no tasks until it answers, and keeps looking", "the store answers again: the worker claims tasks"]);
    expect(said.every((line) => line.level === 40 && line.err === undefined)).toBe(true);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe("a worker whose store refuses every claim while a task is due (the file gone, the database damaged)", () => {
  it("looks again at the poll interval, not in a busy loop, and says a damaged database once", async () => {
    const store = await freshStore();
    await accept(store);
    let claims = 0;
    const corrupt = Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" });
    const damaged: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "claim") return async () => (claims++, Promise.reject(corrupt));
        return Reflect.get(target, key, receiver);
      },
    });
    const lines: { level: number; msg: string }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    const { config } = parseConfig({});
    const worker = createWorker({ store: damaged, config, github: createGithubRuntime(config, logger), logger, pollMs: 100, executorFor: () => async () => ({ output: "ok" }) });
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await worker.stop();
    await store.close();
    // About one claim per poll (100 ms) in 500 ms; a busy loop made hundreds.
    expect(claims).toBeGreaterThanOrEqual(2);
    expect(claims).toBeLessThanOrEqual(12);
    const errors = lines.filter((line) => line.level >= 50);
    expect(errors.map((line) => line.msg)).toEqual([expect.stringMatching(/^the SQLite database is damaged \(SQLite says: database disk image is malformed\)/)]);
  });
});

describe("a running task whose lease renewals the store refuses (an outage)", () => {
  it("warns with the driver's message, not a stack at every renewal", async () => {
    const store = await freshStore();
    const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const flaky: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "renew") return () => Promise.reject(down);
        return Reflect.get(target, key, receiver);
      },
    });
    const lines: { level: number; msg: string; err?: unknown; reason?: string }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    // A 1 s lease is renewed every 333 ms: a run of 800 ms sees two renewals refused.
    const { config } = parseConfig({ worker: { leaseMs: 1000 } });
    const worker = createWorker({ store: flaky, config, github: createGithubRuntime(config, logger), logger, pollMs: 10_000, executorFor: () => () => new Promise((resolve) => setTimeout(() => resolve({ output: "ok" }), 800)) });
    await accept(store);
    await worker.start();
    await waitUntil(() => lines.filter((line) => line.msg === "could not renew lease").length >= 2);
    await worker.stop(2_000);
    await store.close();
    const renewals = lines.filter((line) => line.msg === "could not renew lease");
    expect(renewals.every((line) => line.level === 40 && line.err === undefined && line.reason === "connect ECONNREFUSED 127.0.0.1:5432")).toBe(true);
  });
});

describe("a run that finishes while the store cannot be reached", () => {
  function withFailingCompletes(store: Store, failures: number): { store: Store; tries: () => number; at: { attempt: number; ms: number }[] } {
    let tries = 0;
    // When each try came, and for which attempt of the task.
    const at: { attempt: number; ms: number }[] = [];
    const down = Object.assign(new Error("Connection terminated unexpectedly"), {});
    const proxied: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "complete") {
          return async (...args: Parameters<Store["complete"]>) => {
            at.push({ attempt: (await store.getTask(args[0]))?.attempts ?? 0, ms: Date.now() });
            return ++tries <= failures ? Promise.reject(down) : target.complete(...args);
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
    return { store: proxied, tries: () => tries, at };
  }

  it("records its outcome once the store answers, while the lease holds: the run is not repeated", async () => {
    const store = await freshStore();
    const flaky = withFailingCompletes(store, 3);
    let runs = 0;
    const worker = workerOn(flaky.store, { worker: { leaseMs: 10_000 } }, async () => {
      runs++;
      return { output: "done" };
    });
    const accepted = await accept(store);
    const id = (accepted as { tasks: { id: string }[] }).tasks[0]!.id;
    await worker.start();
    await waitUntil(() => flaky.tries() >= 4);
    // The 4th try has begun; its commit settles a moment later.
    let task = await store.getTask(id);
    for (let i = 0; i < 500 && task?.status !== "succeeded"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      task = await store.getTask(id);
    }
    expect(task).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(runs).toBe(1);
    expect(flaky.tries()).toBe(4);
    await worker.stop(1_000);
    await store.close();
  });

  it("a write whose answer was lost (committed, then the connection dropped) is taken as recorded, not as a lost lease", async () => {
    const store = await freshStore();
    let tries = 0;
    const lost = new Error("Connection terminated unexpectedly");
    const flaky: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "complete") {
          return async (...args: Parameters<Store["complete"]>) => {
            const ok = await target.complete(...args);
            if (++tries === 1) throw lost;
            return ok;
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const lines: { msg: string }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    const { config } = parseConfig({ worker: { leaseMs: 10_000 } });
    const recorded: string[] = [];
    const worker = createWorker({
      store: flaky,
      config,
      github: createGithubRuntime(config, logger),
      logger,
      pollMs: 10_000,
      executorFor: () => async () => ({ output: "done" }),
      observer: { attemptRecorded: (task) => void recorded.push(task.id) },
    });
    const accepted = await accept(store);
    const id = (accepted as { tasks: { id: string }[] }).tasks[0]!.id;
    await worker.start();
    await waitUntil(() => recorded.length === 1);
    expect(recorded).toEqual([id]);
    expect(lines.map((l) => l.msg)).not.toContain("lease no longer ours: outcome discarded (the task was taken back after its lease expired)");
    expect((await store.getTask(id))!.status).toBe("succeeded");
    await worker.stop(1_000);
    await store.close();
  });

  it("a late outcome the store no longer takes (the lease was taken back) is said discarded, never recorded, and kept on its attempt", async () => {
    const store = await freshStore();
    let tries = 0;
    const late: { attempt: number; output: string | null }[] = [];
    const flaky: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "complete") {
          return async (...args: Parameters<Store["complete"]>) => {
            if (++tries === 1) throw new Error("Connection terminated unexpectedly");
            // Meanwhile another worker took the task back: this lease token no longer holds it.
            const [task, , outcome, at] = args;
            return target.complete(task, "a-token-taken-back", outcome, at);
          };
        }
        if (key === "recordLateOutcome") {
          return async (...args: Parameters<Store["recordLateOutcome"]>) => {
            late.push({ attempt: args[1], output: args[2].output ?? null });
            return target.recordLateOutcome(...args);
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const lines: { msg: string }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    const { config } = parseConfig({ worker: { leaseMs: 10_000 } });
    const worker = createWorker({ store: flaky, config, github: createGithubRuntime(config, logger), logger, pollMs: 10_000, executorFor: () => async () => ({ output: "done" }) });
    await accept(store);
    await worker.start();
    await waitUntil(() => lines.some((l) => l.msg.startsWith("lease no longer ours")));
    expect(tries).toBe(2);
    expect(lines.map((l) => l.msg)).not.toContain("the store answers again: the task's outcome is recorded");
    // What the run did is kept on its attempt all the same.
    await waitUntil(() => late.length === 1);
    expect(late).toEqual([{ attempt: 1, output: "done" }]);
    await worker.stop(1_000);
    await store.close();
  });

  it("a stop does not wait for the store: the retries end and the stop returns at once", async () => {
    const store = await freshStore();
    const flaky = withFailingCompletes(store, 1_000);
    let ran = false;
    const worker = workerOn(flaky.store, { worker: { leaseMs: 60_000 } }, async () => {
      ran = true;
      return { output: "done" };
    });
    await accept(store);
    await worker.start();
    await waitUntil(() => ran && flaky.tries() >= 2);
    const started = Date.now();
    await worker.stop(20_000);
    // Far less than the drain time: nothing was left running.
    expect(Date.now() - started).toBeLessThan(5_000);
    const triesAtStop = flaky.tries();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(flaky.tries()).toBe(triesAtStop);
    await store.close();
  });

  it("tries past the lease's end, for one lease more, then gives up and leaves the task to be reclaimed", async () => {
    const store = await freshStore();
    const flaky = withFailingCompletes(store, 1_000);
    const worker = workerOn(flaky.store, { worker: { leaseMs: 1_000 } }, async () => ({ output: "done" }));
    await accept(store);
    await worker.start();
    // The first attempt's tries end; its task is reclaimed and run again (attempt 2), whose tries begin.
    await waitUntil(() => flaky.at.some((t) => t.attempt === 2));
    const first = flaky.at.filter((t) => t.attempt === 1);
    const span = first.at(-1)!.ms - first[0]!.ms;
    // 250, 500, 1000 ms apart, the last cut to end at the lease's end + a lease (~2 s): past the 1 s lease.
    expect(span).toBeGreaterThan(1_200);
    expect(span).toBeLessThan(2_600);
    expect(first.length).toBeLessThanOrEqual(6);
    await worker.stop(1_000);
    await store.close();
  });
});

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
}

describe("an agent that waits its turn (WaitTurnError)", () => {
  it("goes back to the queue for the time it asked, its attempt handed-back and never counted against its retries", async () => {
    const store = await freshStore();
    let runs = 0;
    // No retries at all: a counted failure would end the task dead at once.
    const worker = workerOn(store, { retry: { maxRetries: 0 } }, async () => {
      runs++;
      throw new WaitTurnError("#7 already has a workspace: task 3 works on it; this task waits its turn", 60_000);
    });
    const accepted = await accept(store);
    const id = (accepted as { tasks: { id: string }[] }).tasks[0]!.id;
    const before = Date.now();
    await worker.start();
    let task = await store.getTask(id);
    for (let i = 0; i < 500 && task?.attemptLog[0]?.outcome !== "handed-back"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      task = await store.getTask(id);
    }
    expect(runs).toBe(1);
    expect(task).toMatchObject({ status: "ready", attempts: 1, lastError: "#7 already has a workspace: task 3 works on it; this task waits its turn: tried again in 60 s (not counted as a retry)" });
    expect(task!.runAt).toBeGreaterThanOrEqual(before + 60_000);
    await worker.stop(1_000);
    await store.close();
  });
});
