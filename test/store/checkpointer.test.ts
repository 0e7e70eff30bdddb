import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKSTOP_CHECKPOINT_PAGES, startCheckpointer } from "../../src/store/sqlite/checkpointer.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("startCheckpointer", () => {
  let dir: string;
  let file: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-ckpt-"));
    file = path.join(dir, "c.db");
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE item (v BLOB NOT NULL)");
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("copies committed pages into the database on its own thread, and leaves the serving connection only a backstop", async () => {
    const checkpointer = startCheckpointer(db, file);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(BACKSTOP_CHECKPOINT_PAGES);
    const insert = db.prepare("INSERT INTO item (v) VALUES (?)");
    for (let i = 0; i < 50; i++) insert.run(Buffer.alloc(8_000, i));
    checkpointer.committed();
    // Every page the WAL holds was copied (a PASSIVE checkpoint with no writer in its way).
    await until(() => checkpointer.stats.checkpoints > 0, "a checkpoint");
    expect(checkpointer.stats.lastError).toBeNull();
    expect(checkpointer.stats.lastLogPages).toBeGreaterThan(100);
    expect(checkpointer.stats.lastCopiedPages).toBe(checkpointer.stats.lastLogPages);
    // An idle store does no work: no commit announced, no further checkpoint.
    const done = checkpointer.stats.checkpoints;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(checkpointer.stats.checkpoints).toBe(done);

    await checkpointer.close();
    db.close();
    // The thread's connection was gone first, so the last one removed the WAL: all in the file.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare("SELECT COUNT(*) FROM item").pluck().get()).toBe(50);
    reader.close();
  });

  it("blocks until its thread runs when asked to say so, then says so before returning", async () => {
    const said: string[] = [];
    const checkpointer = startCheckpointer(db, file, { onStarted: () => said.push("started") });
    said.push("returned");
    expect(said).toEqual(["started", "returned"]);
    await checkpointer.close();
  });

  it("hands checkpoints back to the serving connection when the thread cannot run", async () => {
    const told: string[] = [];
    const checkpointer = startCheckpointer(db, path.join(dir, "missing", "nothing.db"), { onError: (message) => told.push(message) });
    await until(() => checkpointer.stats.lastError !== null, "the thread's error");
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    // Said, once: an operator sees why checkpoints moved back to the serving connection.
    expect(told).toEqual([expect.stringMatching(/^the WAL checkpoint thread stopped \(.+\): checkpoints run on the serving connection again$/)]);
    checkpointer.committed();
    await checkpointer.close();
  });
});

describe("createSqliteStore with checkpointThread", () => {
  it("commits, checkpoints off the serving thread, and closes without leaving a WAL behind", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-ckpt-store-"));
    const file = path.join(dir, "s.db");
    try {
      const store = createSqliteStore(file, { checkpointThread: true });
      await store.migrate();
      for (let i = 0; i < 20; i++) {
        const result = await store.accept(
          { id: `d${i}`, signature: `sha256=${i}`, event: "ping", action: null, repository: null, installation: null, number: null, headers: {}, body: Buffer.from("{}"), receivedAt: Date.now() },
          [],
          { replayWindowMs: 60_000 },
        );
        expect(result.duplicate).toBe(false);
      }
      await store.close();
      expect(existsSync(`${file}-wal`)).toBe(false);
      const reopened = createSqliteStore(file, { readonly: true });
      expect((await reopened.listDeliveries({ limit: 50 })).length).toBe(20);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
