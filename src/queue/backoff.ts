/** The retry part of the config (`retry:`), minus `maxRetries`. */
export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

/**
 * Ceiling on a delay a server asks for (Retry-After, x-ratelimit-reset). GitHub's primary
 * rate limit resets within an hour, so a longer wait is a bug or a hostile header, and a
 * task parked for a day looks lost.
 */
export const MAX_SERVER_DELAY_MS = 60 * 60 * 1000;

/**
 * Delay before retry number `retryNumber` (1 = the first retry):
 * `min(initial * multiplier^(retryNumber-1), max)`, then ±20 % jitter so that tasks failed
 * by one outage do not all return at the same instant. The cap applies before the jitter,
 * as in the seed, so a capped delay lands in [0.8, 1.2] × maxDelayMs.
 *
 * @example computeBackoff(3, { initialDelayMs: 1000, maxDelayMs: 10000, multiplier: 2 }, () => 0.5) // 4000
 */
export function computeBackoff(retryNumber: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(retryNumber) - 1);
  // Overflows to Infinity for absurd retry numbers; the cap brings it back.
  const raw = policy.initialDelayMs * policy.multiplier ** exponent;
  const capped = Math.min(raw, policy.maxDelayMs);
  return Math.max(0, Math.round(capped * (0.8 + random() * 0.4)));
}

/**
 * Whether a task that has run `attemptsSoFar` times may run again. `maxRetries` counts
 * retries after the first execution: 3 allows 4 executions in all.
 *
 * @example shouldRetry(4, 3) // false: the first run and 3 retries are spent
 */
export function shouldRetry(attemptsSoFar: number, maxRetries: number): boolean {
  return attemptsSoFar <= maxRetries;
}

/**
 * Delay before retry `retryNumber` of a transiently failed task: the backoff, or the wait
 * the server asked for when that is longer. The server's wait is clamped to
 * MAX_SERVER_DELAY_MS; the configured backoff is not (its cap is the operator's choice).
 *
 * @example retryDelay(1, { initialDelayMs: 1000, maxDelayMs: 10000, multiplier: 2 }, { retryAfterMs: 60_000 }) // 60000
 */
export function retryDelay(
  retryNumber: number,
  policy: BackoffPolicy,
  classification: { retryAfterMs?: number },
  random: () => number = Math.random,
): number {
  const backoff = computeBackoff(retryNumber, policy, random);
  const asked = classification.retryAfterMs;
  if (asked === undefined || Number.isNaN(asked) || asked <= 0) return backoff;
  return Math.max(backoff, Math.min(Math.ceil(asked), MAX_SERVER_DELAY_MS));
}
