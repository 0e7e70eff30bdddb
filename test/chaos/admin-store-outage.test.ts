import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/app/start-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { describePg, startPrivateCluster, type Cluster } from "../support/postgres.js";
import { TEST_SECRET } from "../support/start-test-server.js";

/**
 * The admin API while PostgreSQL is stopped: every route that reads the store answers 503
 * `SWY_E_STORE_UNAVAILABLE`, as the webhook does, not 500 `SWY_E_INTERNAL` (which means a
 * bug), and logs a warning without a stack instead of an error. A cluster of this file's
 * own, so stopping it disturbs no other file.
 */

/** The admin routes that read the store, as the CLI and the dashboard call them. */
const STORE_ROUTES = [
  { method: "GET", path: "/api/deliveries" },
  { method: "GET", path: "/api/deliveries/some-delivery" },
  { method: "GET", path: "/api/tasks" },
  { method: "GET", path: "/api/tasks/1" },
  { method: "GET", path: "/api/kpi" },
  { method: "POST", path: "/api/prune?dry_run=1" },
];

interface LogLine {
  level: number;
  msg: string;
}

describePg("the admin API while the store cannot be reached (PostgreSQL stopped)", () => {
  let cluster: Cluster | undefined;
  let server: RunningServer | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-admin-outage-"));
  const lines: LogLine[] = [];

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const url = await cluster.createDatabase();
    const loaded = parseConfig({ server: { port: 0, host: "127.0.0.1" }, admin: { port: 0 }, store: { url } }, null, new Map());
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    server = await startServer({ loaded, secrets: [TEST_SECRET], logger: createLogger("warn", sink), cwd: dir, env: {}, role: "ingest" });
  }, 60_000);

  afterAll(async () => {
    await server?.forceClose(2000);
    await cluster?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("answers 503 SWY_E_STORE_UNAVAILABLE on every store route, logged as a warning without a stack; 200 again once it is back", async () => {
    const call = async ({ method, path: route }: (typeof STORE_ROUTES)[number]) => {
      const response = await fetch(`${server!.adminUrl}${route}`, { method });
      return { route, status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
    };
    expect((await call(STORE_ROUTES[0]!)).status).toBe(200);

    await cluster!.stop("fast");
    lines.length = 0;
    const answers = [];
    for (const route of STORE_ROUTES) answers.push(await call(route));
    for (const answer of answers) {
      expect(answer, answer.route).toMatchObject({ status: 503, body: { error: { code: "SWY_E_STORE_UNAVAILABLE" } } });
      expect(answer.body.error!.message).toMatch(/store cannot be reached.*retry/);
    }
    // An outage is no bug: nothing logged at error; one warning per request, without a stack.
    expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([]);
    const answered = lines.filter((line) => line.msg.includes("store cannot be reached"));
    expect(answered.map((line) => line.level)).toEqual(STORE_ROUTES.map(() => 40));
    expect(answered.filter((line) => JSON.stringify(line).includes("    at "))).toEqual([]);

    // /metrics is still served, without the queue gauges; a scraper asks every 15 s, and
    // the outage is one warning line without a stack, not a stack at each scrape.
    lines.length = 0;
    for (let scrape = 0; scrape < 3; scrape++) {
      const response = await fetch(`${server!.adminUrl}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).not.toMatch(/^switchyard_queue_depth\b/m);
    }
    expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([]);
    const scraped = lines.filter((line) => line.msg.includes("/metrics"));
    expect(scraped).toHaveLength(1);
    expect(scraped[0]).toMatchObject({ level: 40, reason: expect.any(String) as unknown });
    expect(scraped[0]!.msg).toMatch(/^the store cannot be reached: \/metrics is scraped without the queue gauges/);
    expect(JSON.stringify(scraped[0])).not.toContain("stack");

    await cluster!.start();
    expect((await call(STORE_ROUTES[0]!)).status).toBe(200);
  }, 60_000);
});
