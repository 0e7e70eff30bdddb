import { closeSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { createWorkdir, runCli } from "../support/run-cli.js";

/** A database whose pages past the schema were overwritten: what a disk fault or two writers on one file leave. */
describe("a damaged SQLite database", () => {
  const work = createWorkdir();
  const env = { DATABASE_URL: "sqlite:damaged.db", WEBHOOK_SECRET: "a-secret-for-this-test", PORT: "0", ADMIN_PORT: "0", LOG_LEVEL: "silent" };

  beforeAll(async () => {
    const file = path.join(work.dir, "damaged.db");
    const store = createSqliteStore(file, { exclusive: true });
    await store.migrate();
    for (let i = 0; i < 40; i++) {
      const delivery = { id: `d${i}`, signature: null, event: "issues", action: "opened", repository: "o/r", installation: null, headers: {}, body: Buffer.alloc(5000, 120), receivedAt: 1000 + i };
      await store.accept(delivery, [{ rule: "r", agent: "IssueAgent", action: "a", priority: "high", idempotencyKey: null }], { replayWindowMs: 1000 });
    }
    await store.close();
    const fd = openSync(file, "r+");
    writeSync(fd, Buffer.alloc(6 * 4096, 0xab), 0, 6 * 4096, 2 * 4096);
    closeSync(fd);
  });
  afterAll(() => work.remove());

  it.each([["deliveries"], ["serve"]])("%s: exit 2, saying it is damaged and how to restore or salvage it", async (command) => {
    const result = await runCli([command], { cwd: work.dir, env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("damaged.db is damaged (SQLite says: database disk image is malformed)");
    expect(result.stderr).toContain('stop it, then restore it from a backup (docs/operations.md, "Backup and restore")');
    expect(result.stderr).toMatch(/sqlite3 \S*damaged\.db "\.recover" \| sqlite3 NEW\.db/);
  });
});
