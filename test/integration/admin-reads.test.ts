import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/app/start-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { freePort } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The admin listener's reads of a SQLite store wait for its read thread one at a time: a
 * queue of slow reads (a day's KPIs over a busy store) must not hold the readiness probe or
 * the metrics, and reads whose client went away must not run for no one.
 */
describe("admin reads on a busy SQLite store", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-admin-reads-"));
  const file = path.join(dir, "busy.db");
  let server: RunningServer;

  beforeAll(async () => {
    // Enough deliveries over the last day that each KPI read takes a while.
    const seed = createSqliteStore(file, {});
    await seed.migrate();
    const now = Date.now();
    const body = Buffer.from(JSON.stringify({ action: "opened", issue: { number: 1, title: "x" }, repository: { full_name: "octo/hello" } }));
    const task = { rule: "issue-opened", agent: "IssueAgent", priority: "high" as const, action: "triage", idempotencyKey: null };
    for (let i = 0; i < 20_000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) => {
          const id = randomUUID();
          const delivery = { id, signature: `sha256=${id}`, event: "issues", action: "opened", repository: `octo/repo-${j % 50}`, installation: null, headers: {}, body, receivedAt: now - (i + j) * 3_000 };
          return seed.accept(delivery, [task], { replayWindowMs: 3_600_000 });
        }),
      );
    }
    await seed.close();
    const config = parseConfig({ server: { port: await freePort(), host: "127.0.0.1", role: "ingest" }, admin: { port: 0 }, store: { url: `sqlite:${file}` } });
    server = await startServer({ loaded: config, secrets: ["s3cret-for-admin-reads"], logger: pino({ level: "silent" }), cwd: dir, env: {} });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers /readyz and /metrics while KPI reads wait in line, and drops the reads of clients that went away", async () => {
    const stats = () => (server.store as SqliteStore).readThreadStats!;
    const finished: string[] = [];
    const kpi = (n: number) =>
      fetch(`${server.adminUrl}/api/kpi`).then(async (response) => {
        expect(response.status).toBe(200);
        await response.json();
        finished.push(`kpi ${n}`);
      });
    const queued = [1, 2, 3, 4, 5, 6].map(kpi);
    // Asked after the six KPI reads: answered before the last of them.
    const ready = fetch(`${server.adminUrl}/readyz`).then(async (response) => {
      expect(await response.json()).toEqual({ status: "ready", role: "ingest" });
      finished.push("readyz");
    });
    const metrics = fetch(`${server.adminUrl}/metrics`).then(async (response) => {
      expect(await response.text()).toContain('switchyard_queue_depth{status="ready"} 20000');
      finished.push("metrics");
    });
    await Promise.all([...queued, ready, metrics]);
    expect(finished.indexOf("readyz")).toBeLessThan(finished.indexOf("kpi 6"));
    expect(finished.indexOf("metrics")).toBeLessThan(finished.indexOf("kpi 6"));

    // Ten clients that give up at once: the reads still waiting are dropped, not run.
    const before = stats().dropped;
    const abandoned = Array.from({ length: 10 }, () => fetch(`${server.adminUrl}/api/kpi`, { signal: AbortSignal.timeout(20) }).catch((error: unknown) => error));
    await Promise.all(abandoned);
    await waitFor(() => stats().dropped - before >= 5, 10_000);
    // And the API answers as before.
    expect((await fetch(`${server.adminUrl}/api/kpi`)).status).toBe(200);
  }, 60_000);

  it("drops the reads of pipelined requests whose connection closed before their turn", async () => {
    const stats = () => (server.store as SqliteStore).readThreadStats!;
    const before = stats().dropped;
    const answered = stats().answered;
    const { hostname, port } = new URL(server.adminUrl);
    const socket = net.connect(Number(port), hostname);
    await new Promise((resolve) => socket.once("connect", resolve));
    // Three KPI reads on one connection: the second and third wait behind the first.
    socket.write(`GET /api/kpi HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`.repeat(3));
    // Once the first is answered, the second runs and the third still waits: then the client goes.
    await waitFor(() => stats().answered > answered, 10_000, 1);
    socket.destroy();
    await waitFor(() => stats().dropped - before >= 1, 10_000);
  }, 30_000);
});
