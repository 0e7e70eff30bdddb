import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import { createLogger } from "../../src/observability/logger.js";
import { createPayloadCache, type PayloadCache } from "../../src/queue/payload-cache.js";
import { createWorker } from "../../src/queue/worker.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { exampleOf } from "../support/examples.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function storeWithOneTask() {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-payloads-"));
  dirs.push(dir);
  const store = createSqliteStore(path.join(dir, "s.db"));
  await store.migrate();
  const payload = exampleOf("issues", "opened") as unknown as Record<string, unknown>;
  await store.accept(
    { id: "d-1", signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() },
    [{ rule: "issue-opened", agent: "IssueAgent", action: "triage", priority: "high", idempotencyKey: null }],
    { replayWindowMs: 1000 },
  );
  return { store, payload };
}

/** Runs the worker until its one task ran; returns the payload the agent saw and the body its task carried. */
async function runOnce(store: ReturnType<typeof createSqliteStore>, payloads: PayloadCache) {
  const { config } = parseConfig({});
  const logger = createLogger("silent");
  let seen!: (value: { payload: Record<string, unknown>; body: Buffer }) => void;
  const ran = new Promise<{ payload: Record<string, unknown>; body: Buffer }>((resolve) => (seen = resolve));
  const worker = createWorker({
    store,
    config,
    github: createGithubRuntime(config, logger),
    logger,
    pollMs: 10_000,
    payloads,
    executorFor: () => async (ctx) => {
      seen({ payload: ctx.payload, body: ctx.task.body });
      return undefined;
    },
  });
  await worker.start();
  const result = await ran;
  await worker.stop(1_000);
  return result;
}

describe("the worker and the payload cache", () => {
  it("uses the payload the webhook route parsed, and the claim leaves its body unread", async () => {
    const { store, payload } = await storeWithOneTask();
    const payloads = createPayloadCache();
    const parsed = structuredClone(payload);
    payloads.set("d-1", parsed);
    const { payload: used, body } = await runOnce(store, payloads);
    expect(used).toBe(parsed);
    expect(body.length).toBe(0);
    await store.close();
  });

  it("reads the body from the store when the cache let the payload go between the claim and the run", async () => {
    const { store, payload } = await storeWithOneTask();
    const real = createPayloadCache();
    // Held when the claim asks, gone when the run looks: what eviction by newer deliveries does.
    const evicting: PayloadCache = { ...real, has: () => true, get: () => undefined, set: real.set, size: 0 };
    const { payload: used, body } = await runOnce(store, evicting);
    expect(body.length).toBe(0);
    expect(used).toEqual(payload);
    await store.close();
  });

  it("parses the claimed body when the cache never held the payload", async () => {
    const { store, payload } = await storeWithOneTask();
    const { payload: used, body } = await runOnce(store, createPayloadCache());
    expect(body.length).toBeGreaterThan(0);
    expect(used).toEqual(payload);
    await store.close();
  });
});
