import type pg from "pg";
import { UsageError } from "../../errors.js";
import { MIGRATIONS, POSTGRES_DIALECT, SCHEMA_MIGRATIONS_SQL, assertSchemaKnown } from "../migrations/index.js";
import { transaction } from "./pg-pool.js";

// One key for every switchyard database: only migrations take it, in their transaction.
const MIGRATION_LOCK = 0x5357_4d49; // "SWMI"

/**
 * Applies the migrations the database has not run yet, all in one transaction under an
 * advisory lock: instances starting together take turns, and the second finds nothing left
 * to do. A schema newer than this binary is refused before anything runs.
 *
 * @example
 * await migratePostgres(pool, "postgres://***@db/switchyard");
 */
export async function migratePostgres(pool: pg.Pool, where: string, now: () => number = Date.now): Promise<string[]> {
  const done: string[] = [];
  await transaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query(SCHEMA_MIGRATIONS_SQL);
    const applied = (await tx.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version);
    assertSchemaKnown(applied, `the database ${where}`);
    for (const migration of MIGRATIONS) {
      if (applied.includes(migration.version)) continue;
      await tx.query(migration.sql(POSTGRES_DIALECT));
      await tx.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [migration.version, migration.name, now()]);
      done.push(`${migration.version}-${migration.name}`);
    }
  });
  return done;
}

/** For a read-only store: succeeds when the schema is current, else says how to bring it up to date. */
export async function checkPostgresSchema(pool: pg.Pool, where: string): Promise<void> {
  const exists = await pool.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_migrations' AND table_schema = current_schema()");
  const applied = exists.rowCount === 0 ? [] : (await pool.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version);
  assertSchemaKnown(applied, `the database ${where}`);
  const missing = MIGRATIONS.filter((m) => !applied.includes(m.version));
  if (missing.length > 0) {
    throw new UsageError(`the database ${where} lacks migration(s) ${missing.map((m) => `${m.version}-${m.name}`).join(", ")}: start one \`switchyard serve\` of this version to migrate it (only serve and work migrate; instances of the older version may keep running: docs/operations.md, rolling upgrade)`);
  }
}
