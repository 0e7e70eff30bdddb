import { classifyError, isOutsideFailure } from "./classify-error.js";
import { requestLine } from "../github/request-line.js";

/** How a log line reports an error that is not an attempt's own (an after-task step's). */
export interface FailureDescription {
  /**
   * One line: for an Octokit request, its method and path (never its query, headers or
   * token), then the status and message, or the network error; else the error's name, message and code.
   */
  line: string;
  /** Looks like a bug in this process (a TypeError, ReferenceError or RangeError that no server or network caused): worth its stack. */
  bug: boolean;
}

/** JavaScript's own errors for code that went wrong, as opposed to something outside failing. */
const BUG_NAMES = new Set(["TypeError", "ReferenceError", "RangeError"]);

/**
 * Describes `error` in one line for a warning, and says whether it looks like a bug.
 *
 * @example
 * describeFailure(octokitNotFound) // {line: "GET /repos/o/r/issues/1/comments: HTTP 404 from api.github.com: Not Found", bug: false}
 */
export function describeFailure(error: unknown, now: number = Date.now()): FailureDescription {
  const { reason } = classifyError(error, now);
  const request = requestOf(error);
  const code = codeOf(error);
  // classifyError names the call of an HTTP or network failure itself: not twice.
  const call = request && !reason.startsWith(`${request}: `) ? `${request}: ` : "";
  const line = `${call}${reason}${code && !reason.includes(code) ? ` (${code})` : ""}`;
  // fetch reports a refused connection as "TypeError: fetch failed": its cause says it is the network.
  const bug = error instanceof Error && BUG_NAMES.has(error.name) && !isOutsideFailure(error);
  return { line, bug };
}

/** "GET /repos/o/r/issues/1/comments" for an Octokit RequestError: the path only, no query string. */
function requestOf(error: unknown): string | null {
  const request = (error as { request?: { method?: unknown; url?: unknown; body?: unknown } } | null)?.request;
  return requestLine(request?.method, request?.url, request?.body);
}

/** Node's error code (ECONNRESET, ERR_OSSL_…), when there is one. */
function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.length > 0 ? code : null;
}
