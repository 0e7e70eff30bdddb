import type { Database } from "better-sqlite3";
import { UsageError } from "../../errors.js";
import { MIGRATIONS, SCHEMA_MIGRATIONS_SQL, SQLITE_DIALECT, assertSchemaKnown } from "../migrations/index.js";

/**
 * Applies the migrations a database has not run yet, each in its own transaction with its
 * `schema_migrations` row, so a crash leaves the schema at a known version. BEGIN IMMEDIATE
 * takes the write lock before reading the applied versions: two processes migrating at
 * once cannot both apply one. Running it again is a no-op.
 */
export function migrateSqlite(db: Database, file: string, now: () => number = Date.now): string[] {
  assertNotForeign(db, file);
  db.exec(SCHEMA_MIGRATIONS_SQL);
  const applied = db.prepare<[], number>("SELECT version FROM schema_migrations").pluck();
  assertSchemaKnown(applied.all(), `the database ${file}`);
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  const done: string[] = [];
  for (const migration of MIGRATIONS) {
    db.transaction(() => {
      if (applied.all().includes(migration.version)) return;
      db.exec(migration.sql(SQLITE_DIALECT));
      record.run(migration.version, migration.name, now());
      done.push(`${migration.version}-${migration.name}`);
    }).immediate();
  }
  return done;
}

/**
 * For a read-only store, which must never change the file: succeeds when the schema is
 * current, else says how to bring it up to date.
 */
export function checkSqliteSchema(db: Database, file: string): void {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  const applied = table === undefined ? [] : db.prepare<[], number>("SELECT version FROM schema_migrations").pluck().all();
  assertSchemaKnown(applied, `the database ${file}`);
  const missing = MIGRATIONS.filter((migration) => !applied.includes(migration.version));
  if (missing.length > 0) {
    throw new UsageError(
      `the database ${file} lacks migration(s) ${missing.map((m) => `${m.version}-${m.name}`).join(", ")}: run \`switchyard serve\` of this version once to migrate it (only serve and work migrate; stop a serve of the older version that runs on it first)`,
    );
  }
}

/**
 * Refuses a database that already holds tables but no record of switchyard's migrations:
 * it belongs to something else, and switchyard's tables must not be added to it unasked.
 */
function assertNotForeign(db: Database, file: string): void {
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
  if (tables.length === 0 || tables.includes("schema_migrations")) return;
  const shown = tables.slice(0, 5).join(", ") + (tables.length > 5 ? `, … (${tables.length} tables)` : "");
  throw new UsageError(`the database ${file} already holds tables that are not switchyard's (${shown}): point DATABASE_URL at a new file (e.g. sqlite:.switchyard/switchyard.db)`);
}
