import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCK_SLICE_MS, createGroupCommitWriter } from "../../src/store/sqlite/group-commit.js";

describe("createGroupCommitWriter", () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-gc-"));
    db = new Database(path.join(dir, "gc.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE item (v TEXT NOT NULL UNIQUE);
      CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`);
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const items = (): string[] => db.prepare<[], string>("SELECT v FROM item ORDER BY rowid").pluck().all();

  it("writes nothing once verify says the file is no longer the database: the batch is refused before it runs", async () => {
    let gone = false;
    const writer = createGroupCommitWriter(db, {
      verify: () => {
        if (gone) throw new Error("the SQLite file was removed");
      },
    });
    const insert = db.prepare("INSERT INTO item (v) VALUES (?)");
    await writer.run(() => insert.run("before"));
    gone = true;
    let ran = false;
    await expect(
      writer.run(() => {
        ran = true;
        return insert.run("after");
      }),
    ).rejects.toThrow("the SQLite file was removed");
    expect(ran).toBe(false);
    expect(items()).toEqual(["before"]);
    expect(writer.stats.failedBatches).toBe(1);
  });

  it("commits a deferred op at once when no webhook traffic is about, and lets it ride along with the next urgent batch when there is", async () => {
    const writer = createGroupCommitWriter(db);
    const insert = db.prepare("INSERT INTO item (v) VALUES (?)");
    await writer.run(() => insert.run("deferred-alone").changes, { defer: true });
    expect(items()).toEqual(["deferred-alone"]);
    expect(writer.stats.batches).toBe(1);

    await writer.run(() => insert.run("urgent-1").changes);
    expect(writer.stats.batches).toBe(2);
    // Right after urgent traffic, a deferred op waits for the next urgent batch…
    const deferred = writer.run(() => insert.run("deferred").changes, { defer: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(items()).not.toContain("deferred");
    // …and shares its commit.
    await Promise.all([deferred, writer.run(() => insert.run("urgent-2").changes)]);
    expect(items()).toEqual(["deferred-alone", "urgent-1", "deferred", "urgent-2"]);
    expect(writer.stats.batches).toBe(3);
  });

  it("runs ops queued in one turn in one transaction, resolving each with its result", async () => {
    const writer = createGroupCommitWriter(db);
    const insert = db.prepare("INSERT INTO item (v) VALUES (?)");
    let inTransaction = false;
    const results = await Promise.all(
      ["a", "b", "c"].map((v) =>
        writer.run(() => {
          inTransaction = db.inTransaction;
          return insert.run(v).changes;
        }),
      ),
    );
    expect(results).toEqual([1, 1, 1]);
    expect(inTransaction).toBe(true);
    expect(items()).toEqual(["a", "b", "c"]);
    expect(writer.stats).toEqual({ batches: 1, ops: 3, isolatedBatches: 0, failedBatches: 0 });

    await writer.run(() => insert.run("d"));
    expect(writer.stats.batches).toBe(2);
  });

  it("rejects only the op that failed and keeps the others", async () => {
    const writer = createGroupCommitWriter(db);
    const insert = db.prepare("INSERT INTO item (v) VALUES (?)");
    const outcomes = await Promise.allSettled([
      writer.run(() => insert.run("x")),
      writer.run(() => {
        insert.run("half"); // undone with its savepoint
        insert.run("x"); // UNIQUE violation
      }),
      writer.run(() => {
        throw "not an Error";
      }),
      writer.run(() => insert.run("y")),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(items()).toEqual(["x", "y"]);
    expect(writer.stats).toMatchObject({ batches: 1, isolatedBatches: 1, failedBatches: 0 });
  });

  it("rejects every op of a batch whose COMMIT fails, and commits nothing of it", async () => {
    const writer = createGroupCommitWriter(db);
    const outcomes = await Promise.allSettled([
      writer.run(() => db.prepare("INSERT INTO item (v) VALUES ('lost')").run()),
      // A deferred foreign key is checked at COMMIT, which then fails.
      writer.run(() => db.prepare("INSERT INTO child (parent) VALUES (999)").run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(items()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    expect(writer.stats.failedBatches).toBe(1);

    // The writer goes on working after a failed batch.
    await writer.run(() => db.prepare("INSERT INTO item (v) VALUES ('after')").run());
    expect(items()).toEqual(["after"]);
  });

  it("commits what is queued on close, then refuses writes", async () => {
    const writer = createGroupCommitWriter(db);
    const queued = writer.run(() => db.prepare("INSERT INTO item (v) VALUES ('queued')").run().changes);
    writer.close();
    expect(items()).toEqual(["queued"]);
    await expect(queued).resolves.toBe(1);
    await expect(writer.run(() => 1)).rejects.toThrow(/closed/);
  });

  it("waits for a write lock another process holds without blocking the event loop, and refuses what waited past the deadline", async () => {
    db.pragma("busy_timeout = 5000");
    const other = new Database(path.join(dir, "gc.db"));
    try {
      other.exec("BEGIN IMMEDIATE");
      const writer = createGroupCommitWriter(db, { lockDeadlineMs: 600 });
      const insert = db.prepare("INSERT INTO item (v) VALUES (?)");
      // The event loop's longest stall while the lock is held.
      let last = performance.now();
      let worstGap = 0;
      const ticker = setInterval(() => {
        const t = performance.now();
        worstGap = Math.max(worstGap, t - last);
        last = t;
      }, 5);
      const early = writer.run(() => insert.run("early").changes);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const late = writer.run(() => insert.run("late").changes);
      // The early write gives up at its deadline; the late one is still within its own.
      await expect(early).rejects.toThrow(/locked by another process.*600 ms/);
      other.exec("COMMIT");
      await expect(late).resolves.toBe(1);
      clearInterval(ticker);
      expect(items()).toEqual(["late"]);
      // Each attempt blocks at most the lock slice (20 ms), never the connection's 5 s.
      expect(worstGap).toBeLessThan(400);
      expect(db.pragma("busy_timeout", { simple: true })).toBe(LOCK_SLICE_MS);
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
    }
  });
});
