import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { storeId } from "../../src/store/store-id.js";

describe("storeId", () => {
  const pg = storeId("postgres://app:pw@db.example:5432/switchyard", "/");

  it("is a short hex fingerprint holding no part of the URL", () => {
    expect(pg).toMatch(/^[0-9a-f]{16}$/);
  });

  it("names a PostgreSQL database whatever the spelling", () => {
    for (const url of [
      "postgresql://app:pw@db.example:5432/switchyard",
      "postgres://app:pw@db.example/switchyard",
      "postgres://other:other-password@DB.Example:5432/switchyard",
      "postgres://db.example/%73witchyard?sslmode=require",
      "postgres://app@/switchyard?host=db.example",
    ]) {
      expect(storeId(url, "/"), url).toBe(pg);
    }
  });

  it("takes the loopback's names for one host", () => {
    const local = storeId("postgres://app:pw@127.0.0.1:5432/switchyard", "/");
    for (const url of ["postgres://app@localhost/switchyard", "postgres://app@[::1]:5432/switchyard", "postgres:///switchyard"]) expect(storeId(url, "/"), url).toBe(local);
    expect(storeId("postgres://app@127.0.0.2/switchyard", "/")).not.toBe(local);
  });

  it("tells databases, ports and hosts apart", () => {
    for (const url of ["postgres://app:pw@db.example:5432/other", "postgres://app:pw@db.example:5433/switchyard", "postgres://app:pw@db2.example/switchyard"]) {
      expect(storeId(url, "/"), url).not.toBe(pg);
    }
  });

  it("names a SQLite file by its real absolute path", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-store-id-"));
    try {
      writeFileSync(path.join(dir, "a.db"), "");
      symlinkSync(dir, path.join(dir, "link"));
      const id = storeId("sqlite:a.db", dir);
      expect(storeId(`sqlite:${path.join(dir, "a.db")}`, "/")).toBe(id);
      expect(storeId("sqlite:link/a.db", dir)).toBe(id);
      expect(storeId("sqlite:b.db", dir)).not.toBe(id);
      expect(storeId("sqlite:a.db", path.join(dir, "elsewhere"))).not.toBe(id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
