import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { createWorkdir, runCli } from "../support/run-cli.js";

const DAY = 86_400_000;
let work: ReturnType<typeof createWorkdir> | undefined;
afterEach(() => work?.remove());

/** A database with `old` deliveries 100 days old and 2 from today. */
async function seedDatabase(file: string, old: number): Promise<void> {
  const store = createSqliteStore(file, { exclusive: true });
  await store.migrate();
  const now = Date.now();
  for (let i = 0; i < old + 2; i++) {
    const receivedAt = i < old ? now - 100 * DAY + i : now;
    const body = Buffer.from(JSON.stringify({ n: i, padding: "x".repeat(4000) }));
    await store.accept({ id: `d-${i}`, signature: `sha256=${i}`, event: "star", action: "created", repository: "octo/hello", installation: null, headers: {}, body, receivedAt }, [], { replayWindowMs: 72 * 3_600_000 });
  }
  await store.close();
}

describe("switchyard prune (no server running)", () => {
  it("--dry-run counts and changes nothing; prune deletes exactly that; --vacuum turns incremental vacuum on", async () => {
    work = createWorkdir();
    const file = path.join(work.dir, "s.db");
    await seedDatabase(file, 300);
    // A file made before switchyard turned incremental vacuum on.
    const legacy = new Database(file);
    legacy.pragma("auto_vacuum = NONE");
    legacy.exec("VACUUM");
    expect(legacy.pragma("auto_vacuum", { simple: true })).toBe(0);
    legacy.close();
    const env = { DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: "silent" };

    const dry = await runCli(["prune", "--dry-run", "--json"], { cwd: work.dir, env });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, deliveries: 300, bodies: 0 });
    const dryVacuum = await runCli(["prune", "--dry-run", "--vacuum"], { cwd: work.dir, env });
    expect(dryVacuum.code).toBe(0);
    expect(dryVacuum.stderr).toContain("--dry-run: ");
    expect(dryVacuum.stderr).toContain("was not vacuumed");
    const wet = await runCli(["prune", "--json", "--vacuum"], { cwd: work.dir, env });
    expect(wet.code).toBe(0);
    expect(JSON.parse(wet.stdout)).toMatchObject({ dry_run: false, deliveries: 300 });
    expect(wet.stderr).toContain("auto_vacuum=INCREMENTAL");

    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) FROM deliveries").pluck().get()).toBe(2);
    expect(db.pragma("auto_vacuum", { simple: true })).toBe(2);
    db.close();

    const text = await runCli(["prune"], { cwd: work.dir, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^pruned 0 bodies .* pruned 0 deliveries/);
  }, 60_000);
});

describe("switchyard prune --vacuum on PostgreSQL", () => {
  it("says it is for SQLite before looking for a server, whatever answers on the admin port", async () => {
    const { createServer } = await import("node:http");
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      work = createWorkdir();
      const env = { DATABASE_URL: "postgres://app:pw@127.0.0.1:1/switchyard", ADMIN_PORT: String(port), LOG_LEVEL: "silent" };
      const run = await runCli(["prune", "--vacuum"], { cwd: work.dir, env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("--vacuum is for SQLite: on PostgreSQL autovacuum reuses the space");
      expect(asked).toEqual([]);
    } finally {
      server.close();
    }
  }, 30_000);
});
