import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/store/migrations/index.js";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../support/postgres.js";
import { runStoreContract } from "./store-contract.js";
import { runStoreRaces } from "./store-races.js";

afterAll(dropTestDatabases);

describePg("PostgreSQL store", () => {
  runStoreContract("postgres", async ({ clock }) => createPostgresStore(await createTestDatabase(), { clock }));
  runStoreRaces("postgres", async () => {
    const url = await createTestDatabase();
    return [createPostgresStore(url, {}), createPostgresStore(url, {})];
  });
});

describePg("PostgreSQL schema guard", () => {
  it("refuses a database a newer switchyard migrated, naming both versions, and migrates twice as once", async () => {
    const url = await createTestDatabase();
    const first = createPostgresStore(url, {});
    const second = createPostgresStore(url, {});
    try {
      // Two instances starting together: the advisory lock makes them take turns.
      await Promise.all([first.migrate(), second.migrate()]);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const applied = await client.query("SELECT version FROM schema_migrations ORDER BY version");
        expect(applied.rows.map((r: { version: number }) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
        await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from-the-future', 0)");
      } finally {
        await client.end();
      }
      const error = await first.migrate().then(() => null, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toContain(`schema version 99, newer than this switchyard knows (${SCHEMA_VERSION})`);
      const readonly = createPostgresStore(url, { readonly: true });
      await expect(readonly.migrate()).rejects.toThrow(/schema version 99/);
      await readonly.close();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
