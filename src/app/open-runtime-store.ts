import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { openMigratedStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

/** A migrated store and how to let go of it. */
export interface RuntimeStore {
  store: Store;
  /** Flushes and closes the store (releasing SQLite's lock); in Actions mode also deletes its file. */
  close: () => Promise<void>;
}

/**
 * The store a runtime works on. serve: the configured one (`store.url`), held alone where
 * that is how it works (SQLite's lock file; PostgreSQL is shared by design), with the pool
 * settings. actions: a throw-away SQLite file in a temporary directory — in Actions the only
 * memory is GitHub's own state.
 *
 * @example
 * const { store, close } = await openRuntimeStore(config, { mode: "serve", cwd, logger });
 */
export async function openRuntimeStore(config: Config, options: { mode: "serve" | "actions"; cwd?: string; logger: Logger }): Promise<RuntimeStore> {
  if (options.mode === "actions") {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-actions-"));
    const removeDir = () => rmSync(dir, { recursive: true, force: true });
    let store: Store;
    try {
      store = await openMigratedStore(`sqlite:${path.join(dir, "actions.db")}`, { logger: options.logger });
    } catch (error) {
      removeDir();
      throw error;
    }
    return {
      store,
      close: async () => {
        try {
          await store.close();
        } finally {
          removeDir();
        }
      },
    };
  }
  const store = await openMigratedStore(config.store.url, {
    cwd: options.cwd,
    exclusive: true,
    pool: { size: config.store.poolSize, statementTimeoutMs: config.store.statementTimeoutMs },
    logger: options.logger,
  });
  return { store, close: () => store.close() };
}
