import { PermanentError, TransientError } from "./agent-errors.js";
import { parseRetryAfter } from "./parse-retry-after.js";
import { NETWORK_CODES } from "../errors.js";
import { requestLine } from "../github/request-line.js";

/** What the worker does with a failure: retry it later, or send the task to `dead` now. */
export interface ErrorClassification {
  kind: "transient" | "permanent";
  /** One short line for the attempt row and the logs. */
  reason: string;
  /** The server asked to wait at least this long (Retry-After, rate-limit reset). */
  retryAfterMs?: number;
}

const TIMEOUT_NAMES = new Set(["AbortError", "TimeoutError"]);
const SECONDARY_RATE_LIMIT = /secondary rate limit/i;
// GitHub: "otherwise, wait for at least one minute before retrying".
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;
// Room for the call ("POST /repos/o/r/issues/1/labels: ") and what to do, beside the server's words.
const MAX_REASON = 300;
const MAX_CAUSE_DEPTH = 5;

/**
 * Decides whether a failure is worth retrying (docs/design.md). Network errors, timeouts,
 * HTTP 408, 429 and 5xx are transient; GitHub's rate limits (429, or 403 with Retry-After,
 * `x-ratelimit-remaining: 0` or a "secondary rate limit" message) are transient with the
 * wait GitHub asks for; other 4xx and everything else (TypeError, validation errors, bugs)
 * are permanent, because retrying a 404 or a bug only delays the dead letter. An agent's
 * own TransientError / PermanentError is taken at its word. Works on Octokit's RequestError
 * (`status`, `response.headers`) and on plain `{status, headers}` errors alike.
 *
 * An error that carries its request (Octokit's) names the call first, path without query:
 * `POST /repos/o/r/issues/1/labels: HTTP 403 from api.github.com: …`.
 *
 * @example classifyError(Object.assign(new Error("Bad Gateway"), { status: 502 }), Date.now()) // {kind: "transient", reason: "HTTP 502: Bad Gateway"}
 */
export function classifyError(error: unknown, now: number): ErrorClassification {
  if (error instanceof TransientError) {
    return withDelay({ kind: "transient", reason: oneLine(error.message) || "transient failure" }, error.retryAfterMs);
  }
  if (error instanceof PermanentError) {
    return { kind: "permanent", reason: oneLine(error.message) || "permanent failure" };
  }
  const err = coerce(error);
  const status = statusOf(err);
  // Octokit reports a request that got no answer (refused, reset, timed out) as status 500
  // without a response: that is a network failure, not a server error, and says so.
  if (status !== null && (err.response !== undefined || status !== 500)) return classifyHttp(err, status, now);
  const failure = connectionFailure(err);
  if (failure !== null) return failure;
  if (status !== null) return classifyHttp(err, status, now);
  const name = err.name && err.name !== "Error" ? `${err.name}: ` : "";
  return { kind: "permanent", reason: oneLine(`${name}${err.message}`) || "unknown error" };
}

/**
 * Whether an error is the outside world failing — a server's HTTP answer, a network error or
 * a timeout anywhere in its cause chain — rather than something this process did.
 *
 * @example isOutsideFailure(Object.assign(new Error("Not Found"), { status: 404 })) // true
 */
export function isOutsideFailure(error: unknown): boolean {
  const err = coerce(error);
  return statusOf(err) !== null || connectionFailure(err) !== null;
}

/** A timeout or a broken connection anywhere in the cause chain, as a transient failure; else null. */
function connectionFailure(err: ErrorLike): ErrorClassification | null {
  const to = hostOf(err);
  const call = callOf(err);
  for (const link of causeChain(err)) {
    if (TIMEOUT_NAMES.has(link.name) || link.code === "ABORT_ERR") {
      return { kind: "transient", reason: oneLine(`${call}timeout${to} (${link.name}${link.message ? `: ${link.message}` : ""})`) };
    }
    // fetch refuses some ports outright (the Fetch standard's "bad ports": 1, 9, 25, 6000, …):
    // no retry can help, and "bad port" alone reads like a typo.
    if (link.message === "bad port") {
      return { kind: "permanent", reason: `${call}fetch refuses to connect${to}: the port is one the Fetch standard blocks (like 9, 25 or 6000): use another port` };
    }
    if (link.code !== undefined && (NETWORK_CODES.has(link.code) || link.code.startsWith("UND_ERR_"))) {
      // Without a request (a database driver's socket), the address the error names says what was not reached.
      return { kind: "transient", reason: `${call}network error ${link.code}${to || addressOf(link)}` };
    }
  }
  return null;
}

interface ErrorLike {
  name: string;
  message: string;
  code?: string;
  cause?: unknown;
  errors?: unknown;
  status?: unknown;
  statusCode?: unknown;
  headers?: unknown;
  response?: { headers?: unknown; data?: unknown };
  request?: { method?: unknown; url?: unknown; body?: unknown };
}

/** Anything can be thrown; strings and plain objects become errors with a readable message. */
function coerce(value: unknown): ErrorLike {
  if (value instanceof Error) return value as ErrorLike;
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    // An Error-shaped object from another realm, or an Octokit-shaped literal.
    const message = typeof obj.message === "string" ? obj.message : safeJson(value);
    return { ...obj, name: typeof obj.name === "string" ? obj.name : "Error", message } as ErrorLike;
  }
  return { name: "Error", message: `non-error thrown: ${String(value)}` };
}

function statusOf(err: ErrorLike): number | null {
  const raw = err.status ?? err.statusCode;
  const status = typeof raw === "string" && /^\d{3}$/.test(raw) ? Number(raw) : raw;
  return typeof status === "number" && Number.isInteger(status) && status >= 100 && status <= 599 ? status : null;
}

function classifyHttp(err: ErrorLike, status: number, now: number): ErrorClassification {
  const headers = err.response?.headers ?? err.headers;
  const reason = httpReason(err, status);
  const retryAfter = parseRetryAfter(header(headers, "retry-after"), now);
  if (status === 403 || status === 429) {
    // GitHub's documented order: Retry-After, then x-ratelimit-reset when none remain,
    // then (secondary limit without headers) at least a minute.
    if (retryAfter !== null) return withDelay({ kind: "transient", reason: `${reason} (rate limited)` }, retryAfter);
    const reset = header(headers, "x-ratelimit-reset");
    if (header(headers, "x-ratelimit-remaining") === "0" && reset !== undefined && /^\d+$/.test(reset)) {
      return withDelay({ kind: "transient", reason: `${reason} (rate limit exhausted)` }, Math.max(0, Number(reset) * 1000 - now));
    }
    if (SECONDARY_RATE_LIMIT.test(err.message) || SECONDARY_RATE_LIMIT.test(bodyMessage(err))) {
      return { kind: "transient", reason: `${reason} (secondary rate limit)`, retryAfterMs: SECONDARY_RATE_LIMIT_WAIT_MS };
    }
    if (status === 429) return { kind: "transient", reason: `${reason} (rate limited)` };
    return { kind: "permanent", reason };
  }
  if (status === 408 || status >= 500) return withDelay({ kind: "transient", reason }, retryAfter ?? undefined);
  return { kind: "permanent", reason };
}

/**
 * "POST /repos/o/r/issues/1/labels: HTTP 403 from api.github.com: Resource not accessible by
 * integration": the call, so a task that made several says which failed, and the host.
 */
function httpReason(err: ErrorLike, status: number): string {
  const from = hostOf(err).replace(" reaching ", " from ");
  const message = oneLine(err.message);
  return oneLine(`${callOf(err)}HTTP ${status}${from}${message ? `: ${message}` : ""}`);
}

/**
 * "POST /repos/o/r/issues/1/labels: " for an Octokit error that knows its request, else "".
 * The path only: a query string can carry what must not be printed, and the token travels
 * in a header, never here.
 */
function callOf(err: ErrorLike): string {
  const line = requestLine(err.request?.method, err.request?.url, err.request?.body);
  return line === null ? "" : `${line}: `;
}

/** " reaching 127.0.0.1:5432" for a Node system error that names its address (net's connect errors), else "". */
function addressOf(link: unknown): string {
  const { address, port } = link as { address?: unknown; port?: unknown };
  if (typeof address !== "string" || address === "") return "";
  return ` reaching ${address.includes(":") ? `[${address}]` : address}${typeof port === "number" ? `:${port}` : ""}`;
}

/** " reaching api.github.com" for an Octokit error that knows its request's URL, else "". */
function hostOf(err: ErrorLike): string {
  if (typeof err.request?.url !== "string") return "";
  try {
    return ` reaching ${new URL(err.request.url).host}`;
  } catch {
    // A relative or malformed URL adds nothing worth showing.
    return "";
  }
}

/** Reads a header from a plain object (any case; Octokit lowercases) or a fetch Headers. */
function header(headers: unknown, name: string): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  if (typeof (headers as { get?: unknown }).get === "function") {
    const value = (headers as { get(name: string): string | null }).get(name);
    return value ?? undefined;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string" || typeof first === "number") return String(first).trim();
  }
  return undefined;
}

/** GitHub explains a 403 in the JSON body (`{message, documentation_url}`). */
function bodyMessage(err: ErrorLike): string {
  const data = err.response?.data;
  if (typeof data === "string") return data;
  if (typeof data === "object" && data !== null) {
    const message = (data as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return "";
}

/** The error, its causes, and an AggregateError's members (Node's happy-eyeballs connect). */
function* causeChain(err: ErrorLike): Generator<ErrorLike> {
  const queue: Array<[unknown, number]> = [[err, 0]];
  const seen = new Set<unknown>();
  while (queue.length > 0) {
    const [value, depth] = queue.shift()!;
    if (typeof value !== "object" || value === null || seen.has(value) || depth > MAX_CAUSE_DEPTH) continue;
    seen.add(value);
    const link = value as ErrorLike;
    yield {
      ...link,
      name: typeof link.name === "string" ? link.name : "",
      message: typeof link.message === "string" ? link.message : "",
      code: typeof link.code === "string" ? link.code : undefined,
    };
    queue.push([link.cause, depth + 1]);
    if (Array.isArray(link.errors)) for (const member of link.errors) queue.push([member, depth + 1]);
  }
}

function withDelay(classification: ErrorClassification, retryAfterMs: number | undefined): ErrorClassification {
  return retryAfterMs === undefined ? classification : { ...classification, retryAfterMs };
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

function safeJson(value: unknown): string {
  try {
    return `non-error thrown: ${JSON.stringify(value)}`;
  } catch {
    return "non-error thrown: unserializable object";
  }
}
