/** What an agent may attach to a failure it throws. */
export interface AgentErrorOptions {
  /** Wait at least this long before the next attempt (e.g. a server asked for it). */
  retryAfterMs?: number;
  /** What the agent printed or produced so far, kept on the attempt for whoever debugs it. */
  output?: string;
  /** The underlying error, kept for logs. */
  cause?: unknown;
}

/**
 * Thrown by an agent that knows its failure will pass (a busy dependency, a lock held by
 * another run): the worker retries it with backoff, whatever the underlying error was.
 *
 * @example throw new TransientError("deployment lock held by run 41", { retryAfterMs: 30_000 });
 */
export class TransientError extends Error {
  override readonly name = "TransientError";
  readonly retryAfterMs?: number;
  readonly output?: string;

  constructor(message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.output !== undefined) this.output = options.output;
  }
}

/**
 * Thrown by an agent that knows retrying cannot help (bad input, a missing repository):
 * the task goes to `dead` at once instead of burning its retries.
 *
 * @example throw new PermanentError("issue body has no task list to execute");
 */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
  readonly output?: string;
  /** Accepted for symmetry with TransientError; a permanent failure is never retried. */
  readonly retryAfterMs?: number;

  constructor(message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.output !== undefined) this.output = options.output;
  }
}

/**
 * Thrown by an agent that could not start because what it needs is taken (another run holds
 * the workspace): nothing ran, so the task goes back to the queue for `retryAfterMs`
 * and the wait is not counted as a retry (outcome `handed-back`) — a wait as long as the
 * other run is never given up as a failure.
 *
 * @example throw new WaitTurnError("#12 already has a workspace: task 41 works on it", 30_000);
 */
export class WaitTurnError extends Error {
  override readonly name = "WaitTurnError";

  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}
