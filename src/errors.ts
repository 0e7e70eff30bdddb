/**
 * Every error switchyard answers over HTTP, in one table: a stable code, the HTTP status it
 * answers with, and the fix (also the message when a call site gives none). This table is
 * the only place an error status comes from: call sites name a code (`sendError` in
 * src/http/http-errors.ts), never a number. docs/errors.md documents each code; a test keeps
 * the two equal in both directions.
 */
export const ERRORS = {
  SWY_E_IP_NOT_ALLOWED: {
    status: 403,
    fix: "The source address is outside security.ipAllowlist. Send from GitHub's hooks ranges, or set trustProxy when behind a proxy.",
  },
  SWY_E_RATE_LIMITED: {
    status: 429,
    fix: "Too many failed signature checks (webhook) or wrong admin tokens (admin API) from this address. Fix the secret or the token, then wait for Retry-After seconds.",
  },
  SWY_E_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    fix: "Set the webhook's content type to application/json (or application/x-www-form-urlencoded).",
  },
  SWY_E_MISSING_HEADER: {
    status: 400,
    fix: "Send X-GitHub-Event and X-GitHub-Delivery, as GitHub does.",
  },
  SWY_E_HEADERS_TOO_LARGE: {
    status: 431,
    fix: "The request's headers are over Node's limit (16 KiB unless --max-http-header-size says otherwise); GitHub's never are: check what the proxy or client in between adds.",
  },
  SWY_E_REQUEST_TIMEOUT: {
    status: 408,
    fix: "The request did not arrive in full within 60 s (GitHub itself gives up after 10 s): check the network between the sender and switchyard, then redeliver.",
  },
  SWY_E_BODY_TOO_LARGE: {
    status: 413,
    fix: "The body is over server.bodyLimit. GitHub caps payloads at 25 MiB; raise the limit only if a sender needs it.",
  },
  SWY_E_BAD_SIGNATURE: {
    status: 401,
    fix: "X-Hub-Signature-256 must be sha256=<64 hex> computed with a configured secret: check WEBHOOK_SECRET on both sides.",
  },
  SWY_E_BAD_PAYLOAD: {
    status: 400,
    fix: "The body must be a JSON object, or form-encoded with a payload= field holding one.",
  },
  SWY_E_METHOD_NOT_ALLOWED: {
    status: 405,
    fix: "Use the method the Allow header names: deliveries are POSTed to the webhook path.",
  },
  SWY_E_NOT_FOUND: {
    status: 404,
    fix: "Check the path or the id.",
  },
  SWY_E_UNAUTHORIZED: {
    status: 401,
    fix: "Send Authorization: Bearer <ADMIN_TOKEN>.",
  },
  SWY_E_FORBIDDEN_HOST: {
    status: 403,
    fix: "Without ADMIN_TOKEN the admin listener answers only requests addressed to a loopback name (localhost, 127.0.0.1, [::1]): open it as http://127.0.0.1:PORT (through an SSH tunnel from elsewhere), or set ADMIN_TOKEN to reach it under another host name.",
  },
  SWY_E_FORBIDDEN_ORIGIN: {
    status: 403,
    fix: "A browser request that changes something must come from a page on loopback or on the admin listener's own host: use the dashboard or the CLI; behind a proxy, pass the original Host header through.",
  },
  SWY_E_BAD_REQUEST: {
    status: 400,
    fix: "Check the request's parameters.",
  },
  SWY_E_STORE_UNAVAILABLE: {
    status: 503,
    fix: "The store cannot be reached (the database is down, restarting, locked or full). A delivery was not stored: GitHub shows it as failed; redeliver it once the store is back. An admin request: retry it then.",
  },
  SWY_E_BUSY: {
    status: 503,
    fix: "Too many large request bodies are being received at once; nothing was stored. GitHub shows the delivery as failed: redeliver it (switchyard's recovery sweep does when configured). On the admin API: too many reads of the store are waiting; retry in a moment.",
  },
  SWY_E_SHUTTING_DOWN: {
    status: 503,
    fix: "switchyard is shutting down and stored nothing; GitHub shows the delivery as failed: redeliver it once switchyard is back. On the admin API: the read was not run; ask again once switchyard is back.",
  },
  SWY_E_INTERNAL: {
    status: 500,
    fix: "An unexpected error; the server log has the details.",
  },
} as const satisfies Record<string, { status: number; fix: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The JSON body every HTTP error answers with. */
export function errorBody(code: ErrorCode, message?: string): { error: { code: ErrorCode; message: string } } {
  return { error: { code, message: message ?? ERRORS[code].fix } };
}

/** Thrown for bad usage, bad config or bad input: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Coerces anything thrown into an Error, so callers can rely on `.message`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}

/** Node's (and undici's) codes for a connection that could not be made or broke: the next try may reach it. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
]);
