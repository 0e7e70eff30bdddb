import type { Logger } from "pino";
import { reassertHeapTuning } from "../cli/tune-heap.js";
import type { Config } from "../config/schema.js";
import { openMigratedStore } from "../store/open-store.js";
import { DatabaseHostNotFound } from "../store/postgres/postgres-store.js";
import type { Store } from "../store/store.js";

/** A migrated store and how to let go of it. */
export interface RuntimeStore {
  store: Store;
  /** The migrations this start applied, in order (empty when the schema was current). */
  migrated: readonly string[];
  /** Flushes and closes the store (releasing SQLite's lock). */
  close: () => Promise<void>;
}

/**
 * The store `serve` and `work` run on: the configured one (`store.url`), held alone where
 * that is how it works (SQLite's lock file; PostgreSQL is shared by design), with the pool
 * settings. Actions mode does not come here: it runs on the in-memory store
 * (`src/store/memory/`), so it loads no database driver.
 *
 * @example
 * const { store, close } = await openRuntimeStore(config, { cwd, logger });
 */
export async function openRuntimeStore(config: Config, options: { cwd?: string; logger: Logger; hostWaitMs?: number }): Promise<RuntimeStore> {
  const deadline = Date.now() + (options.hostWaitMs ?? HOST_WAIT_MS);
  for (let tries = 1; ; tries++) {
    try {
      return await openOnce(config, options);
    } catch (error) {
      // A container's name resolves once its container runs: a start racing the database's is not a typo yet.
      if (!(error instanceof DatabaseHostNotFound) || Date.now() + HOST_RETRY_MS > deadline) throw error;
      if (tries === 1) options.logger.warn({ reason: error.message }, `the database's host name does not resolve (yet): trying again every ${HOST_RETRY_MS / 1000} s for up to ${Math.round((deadline - Date.now()) / 1000)} s before giving up (exit 2)`);
      await new Promise((resolve) => setTimeout(resolve, HOST_RETRY_MS));
    }
  }
}

/** How long `serve` waits for DATABASE_URL's host to resolve, trying every HOST_RETRY_MS. */
export const HOST_WAIT_MS = 20_000;
const HOST_RETRY_MS = 1_000;

async function openOnce(config: Config, options: { cwd?: string; logger: Logger }): Promise<RuntimeStore> {
  let migrated: readonly string[] = [];
  const store = await openMigratedStore(config.store.url, {
    cwd: options.cwd,
    exclusive: true,
    checkpointThread: true,
    readThread: true,
    // V8 resets a heap flag as the thread's isolate starts: set it again before this thread allocates.
    onThreadStarted: reassertHeapTuning,
    pool: { size: config.store.poolSize, statementTimeoutMs: config.store.statementTimeoutMs },
    logger: options.logger,
    onMigrated: (applied) => {
      migrated = applied;
      options.logger.info({ migrations: applied }, `migrated the database: applied ${applied.join(", ")}`);
    },
  });
  return { store, migrated, close: () => store.close() };
}
