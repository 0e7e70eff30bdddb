import type { AuthFailures } from "../store/store.js";
import type { FailedAuthLimiter } from "./failed-auth-limiter.js";

export interface SharedFailedAuthLimiterOptions {
  /** This instance's limiter: it answers every check, and takes the limits other instances' failures set. */
  local: FailedAuthLimiter;
  /** The store's shared count (`store.recordAuthFailure`, PostgreSQL). */
  recordAuthFailure: (source: string, now: number, window: { windowMs: number; max: number }) => Promise<AuthFailures>;
  /** `security.failedAuth`: the same max and window as the local limiter. */
  max: number;
  windowMs: number;
  logger: { warn(obj: object, msg: string): void };
}

/**
 * The failed-auth limit across every instance that shares a store. `check` stays
 * synchronous and local, so a request never waits on the database to be refused or let
 * through; `recordFailure` counts locally at once and, in the background, in the store.
 * When the store says the source failed more than `max` times within the window across
 * instances, the source is limited here too, until the oldest of those failures leaves the
 * window (the Retry-After every instance then gives).
 *
 * The bound is therefore soft: each instance learns of the shared count from its own next
 * failure, so across N instances a source gets at most about max + N failed checks per
 * window (a few more while answers are in flight) before every instance answers 429 —
 * against N × max with separate in-memory limiters. A store that cannot be reached only
 * costs the shared part: the failure is logged at warn and the local limit still holds.
 *
 * @example
 * const limiter = store.recordAuthFailure
 *   ? createSharedFailedAuthLimiter({ local, recordAuthFailure: store.recordAuthFailure.bind(store), ...config.security.failedAuth, logger })
 *   : local;
 */
export function createSharedFailedAuthLimiter(options: SharedFailedAuthLimiterOptions): FailedAuthLimiter {
  const { local, recordAuthFailure, max, windowMs, logger } = options;

  const share = async (source: string, now: number) => {
    try {
      const { count, oldest } = await recordAuthFailure(source, now, { windowMs, max });
      if (count > max && oldest !== null) local.limitUntil(source, oldest + windowMs, now);
    } catch (error) {
      logger.warn({ err: error, source }, "could not count a failed signature check in the store: this source is limited by this instance's own count until it can");
    }
  };

  return {
    check: (source, now) => local.check(source, now),
    recordFailure(source, now) {
      local.recordFailure(source, now);
      // Not awaited: the 401 (or 429) goes out without waiting for the database.
      void share(source, now);
    },
    limitUntil: (source, until, now) => local.limitUntil(source, until, now),
    get size() {
      return local.size;
    },
  };
}
