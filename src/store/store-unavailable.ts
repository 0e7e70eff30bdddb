import { NETWORK_CODES } from "../errors.js";

/**
 * Whether an error says the store could not be reached or could not do its work right now
 * (PostgreSQL down, restarting or cut off; SQLite locked, full or failing its I/O), as
 * opposed to a bug. The admin API answers the first 503 `SWY_E_STORE_UNAVAILABLE`, as the
 * webhook does for a failed commit, and keeps 500 `SWY_E_INTERNAL` for the second.
 */

// SQLSTATE classes: 08 connection exception, 28 invalid authorization (the password was
// changed under a running switchyard), 53 insufficient resources (disk full, too many
// connections), 58 system error (I/O). https://www.postgresql.org/docs/current/errcodes-appendix.html
const PG_UNAVAILABLE_CLASSES = new Set(["08", "28", "53", "58"]);
// 57014 statement timeout (a database that hangs); 57P01-57P03 shutting down, crashed, still starting;
// 25006 read-only transaction (a standby, during a failover); 3D000 the database is gone.
const PG_UNAVAILABLE_CODES = new Set(["57014", "57P01", "57P02", "57P03", "25006", "3D000"]);

// SQLite's primary result codes for a database another process holds, or that cannot be written or read.
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|PROTOCOL)(_|$)/;

// What the pg driver and its pool throw without a code: the server ended the session, or did not answer in time.
const PG_UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/;

/** A wrapped error's cause is looked at too, but not for ever. */
const MAX_CAUSE_DEPTH = 5;

// switchyard's own: the SQLite file was removed or replaced under the open store (sqlite/file-identity.ts).
const OWN_UNAVAILABLE_CODES = new Set(["SWY_STORE_FILE_GONE"]);

function codeSaysUnavailable(code: string): boolean {
  if (NETWORK_CODES.has(code) || SQLITE_UNAVAILABLE.test(code) || OWN_UNAVAILABLE_CODES.has(code)) return true;
  // SQLSTATEs are five characters; a shorter or longer code is something else.
  return code.length === 5 && (PG_UNAVAILABLE_CODES.has(code) || PG_UNAVAILABLE_CLASSES.has(code.slice(0, 2)));
}

function saysUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string" && codeSaysUnavailable(code)) return true;
  if (typeof message === "string" && PG_UNAVAILABLE_MESSAGES.test(message)) return true;
  // Node reports a host with several addresses it could not reach (localhost: ::1 and 127.0.0.1) as one AggregateError.
  return error instanceof AggregateError && error.errors.length > 0 && error.errors.every(saysUnavailable);
}

/**
 * True when `error`, or an error it wraps as its `cause`, says the store is unavailable.
 *
 * @example
 * if (isStoreUnavailable(error)) return sendError(reply, "SWY_E_STORE_UNAVAILABLE");
 */
export function isStoreUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof current === "object" && current !== null; depth++) {
    if (saysUnavailable(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

// SQLite's "database or disk is full"; PostgreSQL's disk_full (53100).
const DISK_FULL_CODES = /^(SQLITE_FULL(_|$)|53100$)/;

/**
 * How a log line names an unavailable store: a full disk is said as such, with what to do,
 * since "cannot be reached" would send an operator looking for a network or database outage.
 *
 * @example storeUnavailableWhy(sqliteFullError) // "the store's disk is full (free space on it; …)"
 */
export function storeUnavailableWhy(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && DISK_FULL_CODES.test(code)) {
      return "the store's disk is full (free space on it; what was refused meanwhile can be redelivered from GitHub, switchyard redeliver)";
    }
    if (typeof code === "string" && /^28[0-9A-Z]{3}$/.test(code)) {
      return "the store refuses switchyard's credentials (was the password changed? fix the user or password in DATABASE_URL and restart)";
    }
    if (code === "3D000") return "the store's database does not exist any more (was it dropped or renamed? check the database name in DATABASE_URL)";
    current = (current as { cause?: unknown }).cause;
  }
  return "the store cannot be reached";
}
