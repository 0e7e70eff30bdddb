/**
 * What to do about a SQLite database that SQLite found damaged (`SQLITE_CORRUPT`), or null
 * for any other error: whenever it is found, at the start or while serving.
 *
 * @example damagedDatabase(error, ".switchyard/switchyard.db") // "the SQLite database .switchyard/switchyard.db is damaged (…): …"
 */
export function damagedDatabase(error: unknown, file = "DAMAGED.db"): string | null {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== "string" || !code.startsWith("SQLITE_CORRUPT")) return null;
  const named = file === "DAMAGED.db" ? "" : ` ${file}`;
  return `the SQLite database${named} is damaged (SQLite says: ${(error as Error).message}), and switchyard cannot work on it: stop it, then restore it from a backup (docs/operations.md, "Backup and restore"), or salvage what it holds into a new file with: sqlite3 ${file} ".recover" | sqlite3 NEW.db`;
}
