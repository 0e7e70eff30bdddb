import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { openStore, parseStoreUrl } from "../../src/store/open-store.js";
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
