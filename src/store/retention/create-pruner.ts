import type { Logger } from "pino";
import type { Config } from "../../config/schema.js";
import type { Store } from "../store.js";
import { pruneStore, type PruneSummary } from "./prune-store.js";

/** serve prunes this often. */
export const PRUNE_INTERVAL_MS = 3_600_000;
/** The first prune after start-up waits this long, so start-up itself is not slowed. */
const FIRST_PRUNE_MS = 60_000;

export interface Pruner {
  /** Prunes now; waits for a prune already running in this process first. */
  prune: (options?: { dryRun?: boolean }) => Promise<PruneSummary>;
  /** serve: prunes a minute after start, then hourly. */
  start: () => void;
  /** Stops the timer; a prune under way stops after its current batch. */
  stop: () => Promise<void>;
}

export interface PrunerOptions {
  config: Config;
  store: Store;
  logger: Logger;
  /** Tests: when the first timed prune runs. */
  firstDelayMs?: number;
  now?: () => number;
}

/**
 * The retention policy of one process: `store.retention`, applied hourly by serve and on
 * demand (`switchyard prune`, `POST /api/prune`), one prune at a time. Several instances
 * on one PostgreSQL database may prune at once: they delete the same rows, and what one
 * deleted the other finds gone.
 *
 * @example
 * const pruner = createPruner({ config, store, logger });
 * pruner.start();
 */
export function createPruner(options: PrunerOptions): Pruner {
  const { config, store, logger } = options;
  const now = options.now ?? Date.now;
  let tail: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const prune: Pruner["prune"] = (request = {}) => {
    const run = tail.catch(() => undefined).then(() =>
      pruneStore(store, {
        now: now(),
        retention: config.store.retention,
        replayWindowMs: config.security.replayWindowHours * 3_600_000,
        dryRun: request.dryRun === true,
        stopping: () => stopped,
      }),
    );
    tail = run;
    return run;
  };

  const tick = () => {
    timer = null;
    if (stopped) return;
    void prune()
      .then((s) => {
        if (s.deliveries + s.bodies + s.bookkeeping > 0) {
          logger.info({ deliveries: s.deliveries, bodies: s.bodies, bytes: s.bytes, tasks: s.tasks, reclaimedPages: s.reclaimedPages, longestBatchMs: Math.round(s.longestBatchMs), tookMs: s.tookMs }, "pruned what store.retention no longer keeps");
        }
      })
      .catch((error: unknown) => logger.warn({ err: error }, "the retention prune failed; the next one tries again"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, PRUNE_INTERVAL_MS).unref();
      });
  };

  return {
    prune,
    start() {
      if (timer !== null || stopped || !store.pruneRows) return;
      timer = setTimeout(tick, options.firstDelayMs ?? FIRST_PRUNE_MS).unref();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await tail.catch(() => undefined);
    },
  };
}
