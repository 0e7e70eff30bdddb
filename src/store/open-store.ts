import path from "node:path";
import { createStateDir } from "../create-state-dir.js";
import { UsageError, toError } from "../errors.js";
import { createPostgresStore, type StoreLogger } from "./postgres/postgres-store.js";
import { redactUrl } from "../config/redact-url.js";
import { createSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";
import { damagedDatabase } from "./damaged-database.js";

/** Where DATABASE_URL points. */
export type StoreLocation = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

const ACCEPTED_FORMS = "sqlite:PATH (e.g. sqlite:.switchyard/switchyard.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE";

/**
 * Parses DATABASE_URL. `sqlite:PATH`: everything after `sqlite:` is the file path, used as
 * is, relative to `cwd`. The URL itself is never echoed in an error: it may hold a password.
 *
 * @example
 * parseStoreUrl("sqlite:.switchyard/switchyard.db", "/srv") // { kind: "sqlite", file: "/srv/.switchyard/switchyard.db" }
 */
export function parseStoreUrl(url: string, cwd: string = process.cwd()): StoreLocation {
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length);
    if (file === "") throw new UsageError(`DATABASE_URL=sqlite: names no file: use ${ACCEPTED_FORMS}`);
    // Written as a URL (sqlite://data.db), the path would be //data.db: a file at the
    // filesystem's root, surely not what was meant.
    if (/^\/\/[^/]/.test(file)) {
      throw new UsageError(
        `DATABASE_URL=${url} names the file ${path.resolve(file)}, at the filesystem's root (everything after sqlite: is the path): write sqlite:${file.slice(2)} for a file in the working directory, or sqlite:${file.slice(1)} if the root is meant`,
      );
    }
    return { kind: "sqlite", file: path.resolve(cwd, file) };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    assertParsable(url);
    return { kind: "postgres", url };
  }
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
  throw new UsageError(
    `DATABASE_URL ${scheme === undefined ? "has no scheme" : `starts with "${scheme}", which is not supported`}: use ${ACCEPTED_FORMS}`,
  );
}

/**
 * A PostgreSQL URL that does not parse is a usage error (exit 2), not an unreachable
 * database that a process manager would restart for ever. The usual cause is a password
 * holding `@`, `:`, `/` or `#` unencoded. The URL is not echoed: it holds the password.
 */
function assertParsable(url: string): void {
  if (readPostgresUrl(url) === null) {
    throw new UsageError(
      `DATABASE_URL is not a valid URL: percent-encode any @ : / # ? in the user name and password (for example, a password written pa@ss:w/rd goes in as pa%40ss%3Aw%2Frd); use ${ACCEPTED_FORMS}`,
    );
  }
}

/** The stand-in host of a URL whose user has no host after it (`postgres://app@/db`). */
export const NO_HOST = "no-host.invalid";

/**
 * A PostgreSQL URL as the driver reads it, with its leniency: spaces and stray `%` encoded
 * first, and a user with no host (`postgres://app@/db?host=/run/postgresql`) read with the
 * stand-in host NO_HOST; null when the driver could not read it either.
 */
export function readPostgresUrl(url: string): URL | null {
  const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url) ? encodeURI(url).replace(/%25(\d\d)/g, "%$1") : url;
  for (const candidate of [text, text.replace("@/", `@${NO_HOST}/`)]) {
    try {
      return new URL(candidate);
    } catch {
      // The next form, or not a URL at all.
    }
  }
  return null;
}

/**
 * DATABASE_URL as shown to the user: a SQLite URL with the file it resolves to, a
 * PostgreSQL URL without its password.
 *
 * @example describeStore("sqlite:data.db", "/srv") // "sqlite:data.db (/srv/data.db)"
 */
export function describeStore(url: string, cwd: string): string {
  const location = parseStoreUrl(url, cwd);
  if (location.kind === "postgres") return redactUrl(url);
  return url.slice("sqlite:".length) === location.file ? url : `${url} (${location.file})`;
}

/** The file a `sqlite:PATH` URL names, resolved against cwd; null for other stores. */
export function sqliteFile(url: string, cwd: string): string | null {
  const location = parseStoreUrl(url, cwd);
  return location.kind === "sqlite" ? location.file : null;
}

/** How a store is opened. */
export interface OpenStoreOptions {
  /** Only read: never create, migrate or write (a missing SQLite file is StoreMissingError). */
  readonly?: boolean;
  /**
   * false: check the schema is current instead of migrating. Only `serve` (and `work`)
   * migrate: a newer CLI run by hand must not upgrade a database under older servers.
   */
  migrates?: boolean;
  /** Resolves a relative `sqlite:PATH`; default process.cwd(). */
  cwd?: string;
  /** SQLite: hold the file alone (its lock file) — serve, and commands that write without a server. PostgreSQL is shared by design. */
  exclusive?: boolean;
  /** SQLite: run WAL checkpoints on a background thread (what a long-running `serve` or `work` wants). */
  checkpointThread?: boolean;
  /** SQLite: answer the admin listener's reads on a thread of their own (`Store.adminView`): what `serve` wants. */
  readThread?: boolean;
  /** SQLite: called once a thread of the store (checkpoints, reads) runs (the serving process's heap tuning sets its flags again). */
  onThreadStarted?: () => void;
  /** PostgreSQL pool settings (store.poolSize, store.statementTimeoutMs). */
  pool?: { size?: number; statementTimeoutMs?: number };
  /** Where the PostgreSQL adapter reports connection trouble, and SQLite's checkpoint thread its errors. */
  logger?: StoreLogger;
}

/**
 * Opens the store DATABASE_URL names (synchronously; a PostgreSQL pool connects lazily). Not read-only: the SQLite file's directory is created.
 * Read-only: the file must exist (else StoreMissingError). Migrating is the caller's move
 * (`serve` migrates; reading commands never do).
 *
 * @example
 * const store = openStore(config.store.url, { cwd: io.cwd });
 * await store.migrate();
 */
export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  const location = parseStoreUrl(url, options.cwd);
  if (location.kind === "postgres") {
    return createPostgresStore(location.url, { readonly: options.readonly === true, migrates: options.migrates, poolSize: options.pool?.size, statementTimeoutMs: options.pool?.statementTimeoutMs, logger: options.logger });
  }
  // The database holds event payloads: a directory made for it is the owner's alone.
  if (options.readonly !== true) createStateDir(path.dirname(location.file), { mode: 0o700 });
  const logger = options.logger;
  return createSqliteStore(location.file, {
    readonly: options.readonly === true,
    migrates: options.migrates,
    exclusive: options.exclusive === true,
    checkpointThread: options.checkpointThread === true,
    onCheckpointError: logger === undefined ? undefined : (message) => logger.warn({ file: location.file }, message),
    readThread: options.readThread === true,
    onReadThreadError: logger === undefined ? undefined : (message) => logger.warn({ file: location.file }, message),
    onThreadStarted: options.onThreadStarted,
  });
}

// What the file system or SQLite says when a path cannot hold a database (a directory, a
// file that is not SQLite, no permission, a missing or read-only place).
const UNUSABLE_PATH_CODES = new Set(["EEXIST", "ENOTDIR", "ENOENT", "EACCES", "EPERM", "EROFS", "EISDIR"]);

/**
 * `error`, raised while locking, opening or migrating the database `file`, as what the user
 * can fix: a UsageError naming the file and DATABASE_URL when the path is unusable, else
 * unchanged.
 */
export function unusableDatabase(file: string, error: unknown): Error {
  if (error instanceof UsageError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !(code.startsWith("SQLITE_") || UNUSABLE_PATH_CODES.has(code))) return toError(error);
  const damaged = damagedDatabase(error, file);
  if (damaged !== null) return new UsageError(damaged);
  const reason = code === "SQLITE_NOTADB" ? "it is not a SQLite database" : (error as Error).message;
  return new UsageError(`cannot use the database ${file}: ${reason}: point DATABASE_URL (store.url) at a SQLite file switchyard may create and write`);
}

/**
 * Opens the store and migrates it (read-only: checks its schema); a database that cannot be
 * used is a UsageError naming it (see unusableDatabase).
 *
 * @example
 * const store = await openMigratedStore(config.store.url, { cwd: io.cwd });
 */
export async function openMigratedStore(url: string, options: OpenStoreOptions & { onMigrated?: (applied: readonly string[]) => void } = {}): Promise<Store> {
  const location = parseStoreUrl(url, options.cwd);
  const file = location.kind === "sqlite" ? location.file : redactUrl(url);
  let store: Store | null = null;
  try {
    store = openStore(url, options);
    const applied = await store.migrate();
    if (applied.length > 0) options.onMigrated?.(applied);
    return store;
  } catch (error) {
    await store?.close().catch(() => undefined);
    throw unusableDatabase(file, error);
  }
}
