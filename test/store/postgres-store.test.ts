import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { MIGRATIONS, POSTGRES_DIALECT, SCHEMA_VERSION } from "../../src/store/migrations/index.js";
import { deliveryFilterSql } from "../../src/store/rows.js";
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

describePg("PostgreSQL repository filter", () => {
  it("is served by deliveries_subject, which indexes the repository without letter case (migration 9)", async () => {
    const url = await createTestDatabase();
    const store = createPostgresStore(url, {});
    await store.migrate();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // No rows, so the planner would scan: ask it for the index it could use.
      await client.query("SET enable_seqscan = off");
      const plan = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN SELECT id FROM deliveries d WHERE ${deliveryFilterSql("repository", "$1", POSTGRES_DIALECT)}`, ["codertocat/hello-world"]);
      expect(plan.rows.map((row) => row["QUERY PLAN"]).join("\n")).toContain("deliveries_subject");
    } finally {
      await client.end();
      await store.close();
    }
  });
});
