import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { registerMetricsRoutes } from "../../src/http/admin-metrics-routes.js";
import { createMetrics } from "../../src/observability/create-metrics.js";
import { ReadsRefused } from "../../src/store/sqlite/read-offload.js";
import type { QueueStats } from "../../src/store/store-stats.js";
import type { Store } from "../../src/store/store.js";

const NOW = 1_700_000_000_000;

/** A store of which the scrape reads only the queue: it answers `stats`, or fails like a database that went away. */
function queueStore(read: () => Promise<QueueStats>): Store {
  return { readQueueStats: read } as unknown as Store;
}

const readable = queueStore(async () => ({ ready: 2, running: 1, dead: 0, oldestDueRunAt: NOW - 30_000 }));
const down = queueStore(async () => {
  throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
});

/** The sample lines of the two queue gauges in the registry's text, as `/metrics` serves it. */
async function queueSamples(metrics: ReturnType<typeof createMetrics>): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text.split("\n").filter((line) => /^switchyard_(queue_depth|oldest_ready_seconds)\b/.test(line));
}

describe("the queue gauges", () => {
  it("are read from the store when it answers, left out while it cannot be read, and back once it answers again", async () => {
    const metrics = createMetrics();
    await metrics.readQueue(readable, NOW);
    expect(await queueSamples(metrics)).toEqual([
      'switchyard_queue_depth{status="ready"} 2',
      'switchyard_queue_depth{status="running"} 1',
      'switchyard_queue_depth{status="dead"} 0',
      "switchyard_oldest_ready_seconds 30",
    ]);

    await expect(metrics.readQueue(down, NOW)).rejects.toThrow(/ECONNREFUSED/);
    // No sample at all: a 0 would read as "nothing waits" during an outage.
    expect(await queueSamples(metrics)).toEqual([]);
    const text = await metrics.registry.metrics();
    expect(text).toContain("# TYPE switchyard_oldest_ready_seconds gauge");
    expect(text).toContain("# HELP switchyard_oldest_ready_seconds How long the oldest due ready task has waited");

    await metrics.readQueue(readable, NOW + 10_000);
    expect(await queueSamples(metrics)).toContain("switchyard_oldest_ready_seconds 40");
  });
});

describe("/metrics when the admin reads queue is full", () => {
  it("reads the queue gauges on the serving connection instead of leaving them out", async () => {
    const metrics = createMetrics();
    const full = queueStore(async () => {
      throw new ReadsRefused("busy", "32 reads of the store are waiting already");
    });
    const app = Fastify({ logger: false });
    registerMetricsRoutes(app, { store: full, servingStore: readable, metrics, now: () => NOW });
    const response = await app.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('switchyard_queue_depth{status="ready"} 2');
    await app.close();
  });
});
