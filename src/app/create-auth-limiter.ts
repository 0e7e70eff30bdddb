import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { createFailedAuthLimiter, type FailedAuthLimiter } from "../security/failed-auth-limiter.js";
import { createSharedFailedAuthLimiter } from "../security/shared-failed-auth-limiter.js";
import type { Store } from "../store/store.js";

/**
 * The webhook route's failed-auth limiter: in memory, and shared through the store when the
 * store counts failures for every instance (PostgreSQL). One per process, shared by requests.
 *
 * @example
 * const limiter = createAuthLimiter(config, store, logger);
 */
export function createAuthLimiter(config: Config, store: Store, logger: Logger): FailedAuthLimiter {
  const { max, windowMs } = config.security.failedAuth;
  const local = createFailedAuthLimiter({ max, windowMs });
  if (!store.recordAuthFailure) return local;
  return createSharedFailedAuthLimiter({ local, recordAuthFailure: store.recordAuthFailure.bind(store), max, windowMs, logger });
}
