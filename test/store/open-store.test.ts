import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { describeStore, openStore, parseStoreUrl } from "../../src/store/open-store.js";
import { StoreMissingError } from "../../src/store/sqlite/sqlite-store.js";

const dir = mkdtempSync(path.join(tmpdir(), "switchyard-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseStoreUrl", () => {
  it.each([
    ["sqlite:.switchyard/switchyard.db", path.join(dir, ".switchyard/switchyard.db")],
    ["sqlite:/var/lib/sy.db", "/var/lib/sy.db"],
    ["sqlite:data dir/x.db", path.join(dir, "data dir/x.db")],
  ])("%s", (url, file) => {
    expect(parseStoreUrl(url, dir)).toEqual({ kind: "sqlite", file });
  });

  it("recognizes PostgreSQL URLs", () => {
    expect(parseStoreUrl("postgresql://u:p@db/sy", dir)).toEqual({ kind: "postgres", url: "postgresql://u:p@db/sy" });
  });

  it("rejects a PostgreSQL URL that does not parse (an unencoded password), saying how to encode it, without echoing it", () => {
    const url = "postgres://sw:hunter2@ss:w/rd@127.0.0.1:5432/swdb";
    expect(() => parseStoreUrl(url, dir)).toThrow(UsageError);
    expect(() => parseStoreUrl(url, dir)).toThrow("DATABASE_URL is not a valid URL: percent-encode any @ : / # ? in the user name and password (for example, a password written pa@ss:w/rd goes in as pa%40ss%3Aw%2Frd)");
    expect(() => parseStoreUrl(url, dir)).not.toThrow(/hunter2/);
    expect(parseStoreUrl("postgres://sw:hunter2%40ss%3Aw%2Frd@127.0.0.1:5432/swdb", dir).kind).toBe("postgres");
    // A Unix socket, with no host in the authority, is a valid form.
    expect(parseStoreUrl("postgres:///swdb?host=/var/run/postgresql", dir).kind).toBe("postgres");
    expect(parseStoreUrl("postgres://app@/swdb?host=/var/run/postgresql", dir).kind).toBe("postgres");
  });

  it.each(["mysql://root:hunter2@db/x", "switchyard.db", "sqlite:", "postgress://u:hunter2@h/db"])("rejects %s without echoing it", (url) => {
    let thrown: unknown;
    try {
      parseStoreUrl(url, dir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toContain("sqlite:PATH");
    expect((thrown as Error).message).not.toContain("hunter2");
  });
});

describe("a SQLite URL written as a URL", () => {
  it("sqlite://data.db is refused, saying which file it would be and what to write", () => {
    expect(() => parseStoreUrl("sqlite://data.db", dir)).toThrow(UsageError);
    expect(() => parseStoreUrl("sqlite://data.db", dir)).toThrow("DATABASE_URL=sqlite://data.db names the file /data.db, at the filesystem's root (everything after sqlite: is the path): write sqlite:data.db for a file in the working directory, or sqlite:/data.db if the root is meant");
  });

  it("sqlite:///abs/path is the absolute path, as before", () => {
    expect(parseStoreUrl(`sqlite://${dir}/x.db`, "/elsewhere")).toEqual({ kind: "sqlite", file: path.join(dir, "x.db") });
  });

  it("describeStore shows the file a relative path resolves to, and hides a PostgreSQL password", () => {
    expect(describeStore("sqlite:data.db", "/srv")).toBe("sqlite:data.db (/srv/data.db)");
    expect(describeStore("sqlite:/var/lib/sy.db", "/srv")).toBe("sqlite:/var/lib/sy.db");
    expect(describeStore("postgres://app:hunter2@db/sy", "/srv")).not.toContain("hunter2");
  });
});

describe("a database that belongs to something else", () => {
  it("is refused by the migration, which adds nothing to it", async () => {
    const file = path.join(dir, "foreign.db");
    const foreign = new Database(file);
    foreign.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); CREATE TABLE tags (name TEXT)");
    foreign.close();
    const store = openStore(`sqlite:${file}`, { cwd: dir });
    await expect(store.migrate()).rejects.toThrow(`the database ${file} already holds tables that are not switchyard's (notes, tags): point DATABASE_URL at a new file`);
    await store.close();
    const after = new Database(file, { readonly: true });
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual(["notes", "tags"]);
    after.close();
  });
});

describe("openStore", () => {
  it("creates the SQLite file's directory relative to cwd", async () => {
    const store = openStore("sqlite:nested/deeper/sy.db", { cwd: dir });
    await store.migrate();
    expect(existsSync(path.join(dir, "nested/deeper/sy.db"))).toBe(true);
    await store.close();
    const reader = openStore("sqlite:nested/deeper/sy.db", { cwd: dir, readonly: true });
    expect(await reader.listDeliveries({ limit: 1 })).toEqual([]);
    await reader.close();
  });

  it("opens read-only without creating anything", () => {
    expect(() => openStore("sqlite:absent/sy.db", { cwd: dir, readonly: true })).toThrow(StoreMissingError);
    expect(existsSync(path.join(dir, "absent"))).toBe(false);
  });

  it("opens a PostgreSQL store lazily, and an unreachable one names it without its password", async () => {
    const store = openStore("postgres://u:secret@127.0.0.1:1/sy", { cwd: dir });
    expect(store.kind).toBe("postgres");
    expect(store.exclusive).toBe(false);
    const failure = await store.migrate().then(() => null, (error: unknown) => error as Error);
    await store.close();
    expect(failure?.message).toMatch(/cannot reach the database postgres:\/\/\*\*\*@127\.0\.0\.1:1\/sy/);
    expect(failure?.message).not.toContain("secret");
  });
});

describe("openStore's files", () => {
  it("makes a new SQLite database, its WAL and the directory it creates for them the owner's alone (they hold event payloads)", async () => {
    const file = path.join(dir, "modes", "nested", "sy.db");
    const store = openStore(`sqlite:${path.relative(dir, file)}`, { cwd: dir });
    await store.migrate();
    await store.accept({ id: "mode-1", signature: null, event: "ping", action: null, repository: null, installation: null, number: null, headers: {}, body: Buffer.from("{}"), receivedAt: 1 }, [], { replayWindowMs: 1 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, "modes")).mode & 0o777).toBe(0o700);
    await store.close();
  });
});

describe("watchForDamage", () => {
  it("turns the first report of a damaged database into an error every later write gets, with what to do", async () => {
    const { watchForDamage } = await import("../../src/store/sqlite/sqlite-store.js");
    const damage = watchForDamage();
    damage.report("background WAL checkpoint failed (it is tried again; …): SQLITE_BUSY: database is locked");
    expect(() => damage.check()).not.toThrow();
    damage.report("background WAL checkpoint failed (it is tried again; …): database disk image is malformed");
    let thrown: unknown;
    try {
      damage.check();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: "SQLITE_CORRUPT", message: "database disk image is malformed (found by the background WAL checkpoint)" });
    // What the webhook route and the worker log of it, as of damage a write met.
    const { damagedDatabase } = await import("../../src/store/damaged-database.js");
    expect(damagedDatabase(thrown, "/srv/sy.db")).toMatch(/^the SQLite database \/srv\/sy\.db is damaged \(SQLite says: database disk image is malformed \(found by the background WAL checkpoint\)\), and switchyard cannot work on it: stop it, then restore it from a backup/);
  });
});
