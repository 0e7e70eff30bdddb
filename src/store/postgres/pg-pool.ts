import { createRequire } from "node:module";
import { hostname } from "node:os";
import type pg from "pg";
import { redactUrl } from "../../config/redact-url.js";

/** Where the PostgreSQL adapter reports connection trouble (a pino logger fits). */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface PgPoolOptions {
  /** Connections kept open; default 10. */
  poolSize?: number;
  /** Statements running longer are cancelled; default 10 s. */
  statementTimeoutMs?: number;
  /** Every session read-only (`default_transaction_read_only`): what the reading commands open. */
  readonly?: boolean;
  logger?: StoreLogger;
}

let driver: typeof pg | undefined;
/**
 * The pg driver, loaded on first use: a server on SQLite never pays for it (~2.5 MiB of
 * memory). pg is CommonJS, so it loads synchronously, and the store still opens synchronously.
 */
export function loadPg(): typeof pg {
  driver ??= createRequire(import.meta.url)("pg") as typeof pg;
  return driver;
}

// BIGINT (int8) columns hold epoch milliseconds and ids, all far below 2^53: numbers, not
// the strings pg returns by default. Per pool, so nothing global changes for other users of pg.
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? (value: string) => Number(value) : loadPg().types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * What `pg_stat_activity` shows for this process's sessions: `switchyard`, its host and pid,
 * so that the instances sharing a database can be told apart (in a rolling upgrade, a stuck
 * session). PostgreSQL keeps 63 bytes of it; `?application_name=` in DATABASE_URL wins.
 */
export function applicationName(host: string = hostname(), pid: number = process.pid): string {
  return `switchyard ${host} ${pid}`.slice(0, 63);
}

/**
 * DATABASE_URL's `sslmode` as libpq (psql, every other PostgreSQL client) reads it:
 * `require` encrypts without verifying the server's certificate (unless `sslrootcert` is
 * given), `verify-full` verifies it. pg 8 reads `prefer`, `require` and `verify-ca` as
 * `verify-full` (and warns on every start) unless the URL says `uselibpqcompat=true`, which
 * is added here when the URL has an `sslmode` and does not say.
 *
 * @example
 * libpqSslModes("postgres://db/sy?sslmode=require") // "postgres://db/sy?sslmode=require&uselibpqcompat=true"
 */
export function libpqSslModes(url: string): string {
  // `no-verify` is pg's own mode (encrypt, verify nothing), which its libpq reading lacks: left to pg.
  if (!/[?&]sslmode=/.test(url) || /[?&]sslmode=no-verify(&|$)/.test(url) || /[?&]uselibpqcompat=/i.test(url)) return url;
  return `${url}${url.includes("?") ? "&" : "?"}uselibpqcompat=true`;
}

/** The connection settings every switchyard session uses, for the pool and the LISTEN client alike. */
export function connectionConfig(url: string, options: PgPoolOptions): pg.ClientConfig {
  const statementTimeout = options.statementTimeoutMs ?? 10_000;
  return {
    connectionString: libpqSslModes(url),
    application_name: applicationName(),
    types: TYPES,
    // A database that does not answer fails the request (503) instead of holding it.
    connectionTimeoutMillis: 5000,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 2000,
    // A session stuck inside a transaction (a process paused mid-commit) cannot hold locks for long.
    idle_in_transaction_session_timeout: statementTimeout * 3,
    ...(options.readonly ? { options: "-c default_transaction_read_only=on" } : {}),
  };
}

/**
 * A pool for the store. An idle connection the server drops (a restart, a failover) emits
 * `error` on the pool; unhandled, that would end the process, so it is logged and the pool
 * makes a new connection at the next query.
 *
 * @example
 * const pool = createPgPool("postgres://app@db/switchyard", { poolSize: 10 });
 */
export function createPgPool(url: string, options: PgPoolOptions): pg.Pool {
  const pool = new (loadPg().Pool)({ ...connectionConfig(url, options), max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 });
  // A restart or failover, not a bug: one line with the server's message and SQLSTATE (57P01
  // for a terminated session); the stack would only show pg's protocol parser.
  pool.on("error", (error: Error & { code?: unknown }) =>
    options.logger?.warn(
      { reason: error.message, ...(typeof error.code === "string" ? { code: error.code } : {}), store: redactUrl(url) },
      "an idle PostgreSQL connection failed; it will be replaced",
    ),
  );
  return pool;
}

/** What a transaction body gets: one connection, inside BEGIN. */
export type Tx = pg.PoolClient;

/**
 * Runs `body` in one transaction on one pooled connection: COMMIT when it resolves,
 * ROLLBACK when it throws. A connection that failed is destroyed, not put back.
 *
 * @example
 * const n = await transaction(pool, async (tx) => (await tx.query("UPDATE …")).rowCount);
 */
export async function transaction<T>(pool: pg.Pool, body: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The pool stops listening to a connection it hands out: a server that ends the session
  // mid-transaction (a restart, a failover) would raise an unhandled 'error' and end the
  // process. Caught here, the query in flight rejects and the connection is destroyed.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // A connection the client gave up waiting on (a hung server or network) or that broke
    // is in no known state: a ROLLBACK would wait out the same timeout again, doubling how
    // long a webhook waits for its 503. It is destroyed instead, and PostgreSQL rolls back
    // the transaction of a session that ends.
    if (broken === undefined && !isClientTimeout(error)) {
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
    } else {
      broken ??= error instanceof Error ? error : new Error(String(error));
    }
    throw error;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}

/** pg's own give-up after `query_timeout`, as opposed to the server cancelling a statement. */
function isClientTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === "Query read timeout";
}

/** A caller's limit → PostgreSQL's LIMIT (null = no limit; there is no upper cap). */
export function pgLimit(limit: number): number | null {
  if (!Number.isFinite(limit)) return null;
  return Math.max(0, Math.floor(limit));
}

/** PostgreSQL's SQLSTATE for a unique-constraint violation. */
export const UNIQUE_VIOLATION = "23505";
