import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openRuntimeStore } from "../../src/app/open-runtime-store.js";
import { parseConfig } from "../../src/config/load-config.js";
import { UsageError } from "../../src/errors.js";
import { createLogger } from "../../src/observability/logger.js";
import { MIGRATIONS, SCHEMA_VERSION, SQLITE_DIALECT } from "../../src/store/migrations/index.js";
import { runCli } from "../support/run-cli.js";
import { StoreMissingError, createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { deliveryFilterSql } from "../../src/store/rows.js";
import { runStoreContract } from "./store-contract.js";
import { runStoreRaces } from "./store-races.js";
import { newDelivery } from "../support/new-delivery.js";

const dir = mkdtempSync(path.join(tmpdir(), "switchyard-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshFile = (): string => path.join(dir, `store-${++files}.db`);

/** A database file as an older switchyard left it: the migrations up to `version` applied, open for seeding. */
function databaseAt(file: string, version: number): Database.Database {
  const old = new Database(file);
  old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    old.exec(migration.sql(SQLITE_DIALECT));
    old.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(migration.version, migration.name);
  }
  return old;
}

runStoreContract("sqlite", async ({ clock }) => createSqliteStore(freshFile(), { clock }));
// Two connections on one file: SQLite serializes their transactions; the constraints decide.
runStoreRaces("sqlite", async () => {
  const file = freshFile();
  return [createSqliteStore(file, {}), createSqliteStore(file, {})];
});

const WINDOW = { replayWindowMs: 72 * 3_600_000 };
const delivery = newDelivery;

describe("createSqliteStore", () => {
  it("runs in WAL mode with synchronous=FULL and foreign keys on", async () => {
    const store = createSqliteStore(freshFile(), {});
    try {
      expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(store.db.pragma("synchronous", { simple: true })).toBe(2);
      expect(store.db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(store.db.pragma("busy_timeout", { simple: true })).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("refuses a read-only open of a missing file, saying serve creates it, and creates nothing", () => {
    const file = path.join(dir, "missing", "nothing.db");
    let thrown: unknown;
    try {
      createSqliteStore(file, { readonly: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoreMissingError);
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toContain("does not exist yet");
    expect((thrown as Error).message).toContain("switchyard serve");
    expect(existsSync(path.dirname(file))).toBe(false);
    const sibling = path.join(dir, "absent.db");
    expect(() => createSqliteStore(sibling, { readonly: true })).toThrow(StoreMissingError);
    expect(readdirSync(dir).filter((name) => name.startsWith("absent"))).toEqual([]);
  });

  it("never migrates or writes when read-only", async () => {
    const file = freshFile();
    await createSqliteStore(file, {}).close(); // an empty database file, never migrated
    const reader = createSqliteStore(file, { readonly: true });
    await expect(reader.migrate()).rejects.toThrow(/switchyard serve/);
    const tables = reader.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    expect(tables).toEqual([]);
    await reader.close();

    const writer = createSqliteStore(file, {});
    await writer.migrate();
    await writer.close();
    const current = createSqliteStore(file, { readonly: true });
    await expect(current.migrate()).resolves.toEqual([]);
    await expect(current.accept(delivery("ro"), [], WINDOW)).rejects.toThrow(/read-only/);
    expect(await current.listDeliveries({ limit: 10 })).toEqual([]);
    await current.close();
  });

  it("keeps data across close and reopen, readable read-only", async () => {
    const file = freshFile();
    const store = createSqliteStore(file, {});
    await store.migrate();
    const pending = store.accept(delivery("kept"), [{ rule: "r", agent: "IssueAgent", action: "a", priority: "high", idempotencyKey: null }], WINDOW);
    await store.close();
    await pending;

    const reader = createSqliteStore(file, { readonly: true });
    const stored = await reader.getDelivery("kept");
    expect(stored).toMatchObject({ id: "kept", status: "pending" });
    expect(stored!.body.toString()).toBe('{"id":"kept"}');
    await reader.close();

    const again = createSqliteStore(file, {});
    await again.migrate();
    expect(await again.accept(delivery("kept"), [], WINDOW)).toMatchObject({ duplicate: true, by: "id" });
    await again.close();
  });

  it("applies each migration once, however often migrate runs", async () => {
    const file = freshFile();
    const store = createSqliteStore(file, {});
    await store.migrate();
    await store.migrate();
    await store.close();
    const reopened = createSqliteStore(file, {});
    await reopened.migrate();
    const versions = reopened.db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    await reopened.close();
  });

  it("says which migrations it applied, none the second time", async () => {
    const file = freshFile();
    databaseAt(file, 7).close();
    const store = createSqliteStore(file, {});
    expect(await store.migrate()).toEqual(["8-attempt-agent", "9-repository-caseless"]);
    expect(await store.migrate()).toEqual([]);
    await store.close();
  });

  it("serve's store says in its log which migrations it applied", async () => {
    const file = freshFile();
    databaseAt(file, 6).close();
    const lines: { msg: string; migrations?: string[] }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream);
    const { config } = parseConfig({ store: { url: `sqlite:${file}` } });
    const opened = await openRuntimeStore(config, { cwd: dir, logger });
    await opened.close();
    const applied = ["7-security-incidents", "8-attempt-agent", "9-repository-caseless"];
    expect(lines.filter((line) => line.migrations)).toEqual([expect.objectContaining({ msg: `migrated the database: applied ${applied.join(", ")}`, migrations: applied })]);
    // And hands them to serve, whose start lines say so in words.
    expect(opened.migrated).toEqual(applied);
    const again = await openRuntimeStore(config, { cwd: dir, logger });
    await again.close();
    expect(again.migrated).toEqual([]);
  });

  it("leaves migrating to serve: replay and prune on a database one migration behind refuse, changing nothing", async () => {
    const file = freshFile();
    const latest = MIGRATIONS.at(-1)!;
    databaseAt(file, latest.version - 1).close();
    for (const args of [["replay", "--dead"], ["prune"]]) {
      const cli = await runCli(args, { cwd: dir, env: { DATABASE_URL: `sqlite:${file}` } });
      expect(cli.code, `${args.join(" ")}: ${cli.stderr}`).toBe(2);
      expect(cli.stderr).toContain(`lacks migration(s) ${latest.version}-${latest.name}: run \`switchyard serve\` of this version once to migrate it (only serve and work migrate; stop a serve of the older version that runs on it first)`);
    }
    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT max(version) FROM schema_migrations").pluck().get()).toBe(latest.version - 1);
    check.close();
  });

  it("refuses a database a newer switchyard migrated, naming both versions; the serve and the CLIs alike", async () => {
    const file = freshFile();
    const store = createSqliteStore(file, {});
    await store.migrate();
    store.db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from-the-future', 0)").run();
    await store.close();
    const writer = createSqliteStore(file, {});
    const error = await writer.migrate().then(() => null, (thrown: unknown) => thrown);
    await writer.close();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(`schema version 99, newer than this switchyard knows (${SCHEMA_VERSION})`);
    const reader = createSqliteStore(file, { readonly: true });
    await expect(reader.migrate()).rejects.toThrow(/schema version 99/);
    await reader.close();
    const cli = await runCli(["deliveries"], { cwd: dir, env: { DATABASE_URL: `sqlite:${file}` } });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain("schema version 99");
  });

  it("migrates a version-2 database with data, keeping its signatures and idempotency-key holders", async () => {
    const file = freshFile();
    const old = databaseAt(file, 2);
    const T = Date.parse("2026-01-01T00:00:00Z");
    old.prepare("INSERT INTO deliveries (id, signature, event, headers, body, received_at) VALUES ('old', 'sha256=aa', 'issues', '{}', x'7b7d', ?)").run(T);
    const insertTask = old.prepare(
      "INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, idempotency_key, status, run_at, created_at, updated_at) VALUES ('old', ?, 'DeploymentAgent', 'Deploy', 'medium', 2, 'deploy:k', ?, 0, 0, 0)",
    );
    insertTask.run("first", "succeeded");
    insertTask.run("second", "skipped");
    old.close();
    const store = createSqliteStore(file, {});
    await store.migrate();
    expect(await store.accept({ ...delivery("new-id"), signature: "sha256=aa", receivedAt: T + 1000 }, [], WINDOW)).toMatchObject({ duplicate: true, by: "signature" });
    const later = await store.accept(delivery("later"), [{ rule: "third", agent: "DeploymentAgent", action: "Deploy", priority: "medium", idempotencyKey: "deploy:k" }], WINDOW);
    expect(later).toMatchObject({ duplicate: false, tasks: [{ status: "skipped" }] });
    await store.close();
  });

  it("migrates a version-3 database with an attempt under way: no process on it, and its task records one after", async () => {
    const file = freshFile();
    const old = databaseAt(file, 3);
    old.prepare("INSERT INTO deliveries (id, event, headers, body, received_at) VALUES ('old', 'issues', '{}', x'7b7d', 0)").run();
    old
      .prepare(
        "INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, status, attempts, run_at, lease_owner, lease_token, lease_until, created_at, updated_at) VALUES ('old', 'r', 'IssueAgent', 'a', 'high', 1, 'running', 1, 0, 'w', 'tok', 10, 0, 0)",
      )
      .run();
    old.prepare("INSERT INTO attempts (task, n, started_at) VALUES (1, 1, 0)").run();
    old.close();
    const store = createSqliteStore(file, {});
    await store.migrate();
    expect(await store.listAttemptProcesses!("1")).toEqual([]);
    expect(await store.recordAttemptProcess!("1", "tok", { host: "h", pgid: 321, start: null })).toBe(true);
    expect(await store.listAttemptProcesses!("1")).toEqual([{ n: 1, outcome: null, host: "h", pgid: 321, start: null }]);
    await store.close();
  });

  it("migrates a version-8 database: its deliveries are found by repository in any letter case, through deliveries_subject", async () => {
    const file = freshFile();
    const old = databaseAt(file, 8);
    old.prepare("INSERT INTO deliveries (id, event, repository, number, headers, body, received_at) VALUES ('old', 'issues', 'Codertocat/Hello-World', 1, '{}', x'7b7d', 0)").run();
    old.close();
    const store = createSqliteStore(file, {});
    await store.migrate();
    expect((await store.listDeliveries({ repository: "codertocat/hello-world", limit: 10 })).map((d) => d.id)).toEqual(["old"]);
    // The comparison is spelled as the index is: the filter is a search of the index, not a scan.
    const plan = store.db.prepare<[string], { detail: string }>(`EXPLAIN QUERY PLAN SELECT id FROM deliveries d WHERE ${deliveryFilterSql("repository", "?", SQLITE_DIALECT)}`).all("x");
    expect(plan.map((row) => row.detail)).toEqual([expect.stringContaining("USING INDEX deliveries_subject (repository=?)")]);
    await store.close();
  });

  it("migrates a version-7 database: earlier attempts name no agent (not guessed), and a replay of its task is its first", async () => {
    const file = freshFile();
    const old = databaseAt(file, 7);
    old.prepare("INSERT INTO deliveries (id, event, headers, body, received_at) VALUES ('old', 'issues', '{}', x'7b7d', 0)").run();
    old
      .prepare("INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, status, attempts, run_at, created_at, updated_at) VALUES ('old', 'r', 'IssueAgent', 'a', 'high', 1, 'dead', 1, 0, 0, 0)")
      .run();
    old.prepare("INSERT INTO attempts (task, n, started_at, finished_at, outcome) VALUES (1, 1, 0, 5, 'permanent')").run();
    old.close();
    const store = createSqliteStore(file, {});
    await store.migrate();
    expect((await store.getTask("1"))!.attemptLog).toEqual([expect.objectContaining({ n: 1, agent: null })]);
    expect(await store.replayTask("1", 10)).toBe("dead");
    const [claimed] = await store.claim({ owner: "w", now: 10, leaseMs: 1000, limit: 1 });
    expect(claimed).toMatchObject({ id: "1", attempts: 2, replays: 1 });
    expect((await store.getTask("1"))!.attemptLog.map((a) => a.agent)).toEqual([null, "IssueAgent"]);
    await store.close();
  });

  it("commits a burst of concurrent accepts in fewer transactions than writes", async () => {
    const store = createSqliteStore(freshFile(), {});
    await store.migrate();
    const before = { ...store.writerStats };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.accept(delivery(`burst-${i}`), [], WINDOW)));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(store.writerStats.ops - before.ops).toBe(50);
    // All 50 were queued in one turn of the event loop, before the setImmediate flush ran.
    expect(store.writerStats.batches - before.batches).toBe(1);
    await store.close();
  });

  it("makes the commit visible to another connection by the time accept resolves", async () => {
    const file = freshFile();
    const store = createSqliteStore(file, {});
    await store.migrate();
    const other = new Database(file, { readonly: true });
    try {
      const count = other.prepare("SELECT COUNT(*) FROM deliveries").pluck();
      expect(count.get()).toBe(0);
      await store.accept(delivery("visible"), [], WINDOW);
      expect(count.get()).toBe(1);
    } finally {
      other.close();
      await store.close();
    }
  });
});
