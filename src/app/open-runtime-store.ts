import type { Logger } from "pino";
import { reassertHeapTuning } from "../cli/tune-heap.js";
import type { Config } from "../config/schema.js";
import { openMigratedStore } from "../store/open-store.js";
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
export async function openRuntimeStore(config: Config, options: { cwd?: string; logger: Logger }): Promise<RuntimeStore> {
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
