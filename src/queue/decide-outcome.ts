import type { TaskOutcome } from "../store/store.js";
import { retryDelay, shouldRetry, type BackoffPolicy } from "./backoff.js";
import type { ErrorClassification } from "./classify-error.js";

export interface RetryPolicy extends BackoffPolicy {
  maxRetries: number;
}

/**
 * "gave up after N attempts": those the retry policy counted (since the task's last replay
 * or hand-back), and all of them when there were `earlier` ones, so the count matches the
 * task's `attempts`. The SQL stores write the same words in their lease reclaim.
 */
export function gaveUp(counted: number, earlier: number): string {
  return `gave up after ${counted} attempt${counted === 1 ? "" : "s"}${earlier > 0 ? ` (${counted + earlier} in all, counting earlier runs)` : ""}`;
}

/**
 * What becomes of a task whose attempt number `attempts` failed (`earlier`: attempts before
 * its last replay, which the retry policy does not count): retried later (its run_at
 * persisted, so a restart keeps the schedule), or dead — at once for a permanent failure,
 * after the last retry for a transient one.
 *
 * @example decideFailure({kind: "transient", reason: "HTTP 502"}, 1, policy, now) // {status: "ready", runAt: now + ~1000, …}
 */
export function decideFailure(
  failure: ErrorClassification,
  attempts: number,
  policy: RetryPolicy,
  now: number,
  output: string | null = null,
  random: () => number = Math.random,
  earlier = 0,
): TaskOutcome {
  if (failure.kind === "permanent") {
    return { status: "dead", outcome: "permanent", error: failure.reason, output };
  }
  if (!shouldRetry(attempts, policy.maxRetries)) {
    return { status: "dead", outcome: "transient", error: `${gaveUp(attempts, earlier)}: ${failure.reason}`, output };
  }
  const delay = retryDelay(attempts, policy, failure, random);
  return { status: "ready", outcome: "transient", runAt: now + delay, retryDelayMs: delay, error: failure.reason, output };
}
