import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { suggestName } from "../config/suggest-name.js";
import { ERRORS, UsageError, errorBody, type ErrorCode } from "../errors.js";
import { isStoreUnavailable } from "../store/store-unavailable.js";
import { ReadDropped, ReadsRefused } from "../store/sqlite/read-offload.js";
import { BodyBudgetExceeded } from "./body-budget.js";
import { MAX_DELIVERY_ID_LENGTH } from "./delivery-id.js";

const sentCodes = new WeakMap<FastifyReply, ErrorCode>();

/**
 * Answers an error: the status comes from the table in src/errors.ts, so a call site names a
 * code and never a number; `message` says what went wrong (the table's fix when omitted).
 *
 * @example
 * if (!task) return sendError(reply, "SWY_E_NOT_FOUND", `no task ${id}`);
 */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  sentCodes.set(reply, code);
  return reply.code(ERRORS[code].status).send(errorBody(code, message));
}

/** The 503 for a body the listener has no room for now (src/http/body-budget.ts). */
export function refuseForBudget(reply: FastifyReply, why: string): FastifyReply {
  reply.header("retry-after", "10");
  return sendError(reply, "SWY_E_BUSY", `${why}: nothing was stored; GitHub shows the delivery as failed, redeliver it (the recovery sweep does when configured)`);
}

/** The code `sendError` answered this reply with, if it did: what metrics count a refusal by. */
export function sentErrorCode(reply: FastifyReply): ErrorCode | undefined {
  return sentCodes.get(reply);
}

/** The methods the not-found handler asks the route table about, to tell a 405 from a 404. */
const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** What a route that could not read or write the store answers: the outage is not the caller's, and it passes. */
const STORE_UNAVAILABLE_MESSAGE = "the store cannot be reached right now (the database is down, restarting, locked or full): retry once it is back";

/**
 * Which listener the handlers answer for: its body limit, and on the webhook listener its
 * path. A refused body is explained in that listener's terms — GitHub's payloads on the
 * webhook, the admin API's own limit and JSON on the admin listener.
 */
export type ListenerKind = { kind: "webhook"; bodyLimit: number; path: string } | { kind: "admin"; bodyLimit: number };

/** What a 413 says on each listener. */
function tooLargeMessage(listener: ListenerKind): string {
  if (listener.kind === "webhook") {
    return `the body is too large (this server takes at most ${listener.bodyLimit} bytes: server.bodyLimit); GitHub caps payloads at 25 MiB`;
  }
  return `the body is too large: the admin API takes at most ${listener.bodyLimit} bytes, and none of its endpoints reads a body: send none`;
}

/** What a 415 says on each listener; the webhook route answers its own before Fastify could, so this is the table's fix there. */
function unsupportedTypeMessage(listener: ListenerKind, contentType: string | undefined): string | undefined {
  if (listener.kind === "webhook") return undefined;
  return `content type ${contentType ?? "(none)"} is not taken by the admin API: none of its endpoints reads a body, so send none (or JSON, application/json)`;
}

/**
 * Every error leaves as `{error:{code, message}}` from the table in src/errors.ts, and no
 * stack trace ever reaches a client: a store that cannot be reached is answered 503,
 * unexpected errors are logged and answered 500.
 */
export function installErrorHandlers(app: FastifyInstance, listener: ListenerKind): void {
  const webhookPath = listener.kind === "webhook" ? listener.path : undefined;
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // What a handler refuses as the caller's to fix (a replay of a delivery whose body was
    // pruned): the reason, as a 400, never a 500.
    if (error instanceof UsageError) return sendError(reply, "SWY_E_BAD_REQUEST", error.message);
    if (error instanceof BodyBudgetExceeded) return refuseForBudget(reply, error.message);
    // The admin API's reads of a SQLite store wait for its read thread (read-offload.ts).
    if (error instanceof ReadDropped) return sendError(reply, "SWY_E_SHUTTING_DOWN", error.message);
    if (error instanceof ReadsRefused) {
      if (error.why === "closing") return sendError(reply, "SWY_E_SHUTTING_DOWN", error.message);
      reply.header("retry-after", "1");
      return sendError(reply, "SWY_E_BUSY", error.message);
    }
    const status = error.statusCode ?? 500;
    if (status === 413) return sendError(reply, "SWY_E_BODY_TOO_LARGE", tooLargeMessage(listener));
    if (status === 415) return sendError(reply, "SWY_E_UNSUPPORTED_MEDIA_TYPE", unsupportedTypeMessage(listener, request.headers["content-type"]));
    if (status >= 400 && status < 500) return sendError(reply, "SWY_E_BAD_REQUEST", `bad request: ${error.message}`);
    if (isStoreUnavailable(error)) {
      // An outage, not a bug: one line per request without a stack, which would only repeat
      // the driver's internals; /readyz and the worker's logs tell when it is over.
      request.log.warn({ reason: error.message, route: request.routeOptions.url }, "the store cannot be reached: answered 503");
      return sendError(reply, "SWY_E_STORE_UNAVAILABLE", STORE_UNAVAILABLE_MESSAGE);
    }
    request.log.error({ err: error }, "unexpected error");
    return sendError(reply, "SWY_E_INTERNAL");
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    // Methods Fastify has no route table for (TRACE, PROPFIND, …) land here, on the webhook path too.
    if (webhookPath !== undefined && path === webhookPath) {
      reply.header("allow", "POST");
      return sendError(reply, "SWY_E_METHOD_NOT_ALLOWED", `${request.method} is not allowed here: GitHub POSTs deliveries to ${webhookPath}`);
    }
    // A path that exists for other methods: say which (`POST /api/tasks/replay-dead` fetched with GET).
    const allowed = ROUTE_METHODS.filter((method) => app.findRoute({ method, url: path ?? "" }) !== null);
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendError(reply, "SWY_E_METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}: use ${allowed.join(" or ")}`);
    }
    // On the webhook listener the one path there is: a payload URL with a slash too many or a typo.
    const hint = webhookPath === undefined ? "" : `: this listener takes webhooks at POST ${webhookPath} (server.path); check the webhook's payload URL`;
    return sendError(reply, "SWY_E_NOT_FOUND", `nothing at ${request.method} ${path}${hint}`);
  });
}

/** How long a pending answer may keep a connection whose next bytes were malformed: the request timeout. */
const PENDING_ANSWER_MS = 60_000;
/** Connections whose next bytes were malformed while an answer was pending: closed once it is sent. */
const closingAfterAnswer = new WeakSet<Socket>();

/** What Node's HTTP server reports on a connection before any request exists, and how it is answered. */
function clientErrorAnswer(error: NodeJS.ErrnoException): { code: ErrorCode; message: string } {
  if (error.code === "HPE_HEADER_OVERFLOW") {
    return { code: "SWY_E_HEADERS_TOO_LARGE", message: "the request's headers are too large (Node's limit is 16 KiB): check what the proxy or client in between adds" };
  }
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return { code: "SWY_E_REQUEST_TIMEOUT", message: "the request took too long to arrive: a request must arrive in full within 60 s" };
  }
  return { code: "SWY_E_BAD_REQUEST", message: "malformed HTTP request (a header with control characters, a bad request line or framing)" };
}

/**
 * Fastify options that keep its own answers in switchyard's error shape: a URL that cannot be
 * decoded, and what Node's HTTP server refuses before any route runs (a header with control
 * characters, a malformed request line, headers over its size limit, a request that does not
 * arrive within `requestTimeout`).
 */
export const ERROR_SHAPED_OPTIONS = {
  frameworkErrors: (error: FastifyError, _request: unknown, reply: FastifyReply) => {
    // The one route parameter that long is an id no delivery or task has: say that, not Fastify's words.
    const message =
      error.code === "FST_ERR_MAX_PARAM_LENGTH" ? `an id in the path is longer than ${MAX_DELIVERY_ID_LENGTH} characters, which no delivery or task id is: check the id` : `bad request: ${error.message}`;
    void sendError(reply, "SWY_E_BAD_REQUEST", message);
  },
  // Node leaves the socket to this handler: it must be closed here, or a client that never
  // closes its side keeps it (and a graceful shutdown waiting on it) open for ever. There is
  // no reply object yet, so the response is written by hand, its status still from the table.
  clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    // Bad bytes after a request whose answer is still pending (pipelined on one connection):
    // an error written now would arrive first, and the client would read it as the answer to
    // that request — a 400 for a delivery that is being stored. The pending answer goes out
    // alone, then the connection closes; nothing more is read from it.
    // Node reports every later chunk of a connection whose parser failed again: once is enough.
    if (closingAfterAnswer.has(socket)) return;
    const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    // A request not yet in full (a stalled body, framing broken inside it) is the one the error is about: answered below.
    if (pending && !pending.writableFinished && pending.req.complete) {
      closingAfterAnswer.add(socket);
      // What else the client sends is not read meanwhile.
      socket.pause();
      pending.shouldKeepAlive = false;
      // An answer that never comes (a stalled store) does not hold the socket for ever.
      const deadline = setTimeout(() => socket.destroy(), PENDING_ANSWER_MS).unref();
      pending.once("close", () => {
        clearTimeout(deadline);
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      });
      return;
    }
    const { code, message } = clientErrorAnswer(error);
    const { status } = ERRORS[code];
    const body = JSON.stringify(errorBody(code, message));
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => socket.destroy());
    // A peer that does not read what is left to send must not hold the socket either.
    setTimeout(() => socket.destroy(), 1000).unref();
  },
};

/**
 * Why a query is refused, or null: a parameter the route does not take (`?event=push` on a
 * route that would otherwise answer as if it were not there), or one given more than once
 * (`?agent=a&agent=b`: the admin API takes one value per parameter, and an array must never
 * reach a store query). Answered with `SWY_E_BAD_REQUEST`.
 *
 * @example queryProblem({ stauts: "dead" }, ["limit", "status"]) // 'unknown query parameter stauts: this route takes limit, status; did you mean status?'
 */
export function queryProblem(query: Record<string, unknown>, takes: readonly string[]): string | null {
  const unknown = Object.keys(query).find((key) => !takes.includes(key));
  if (unknown !== undefined) {
    const hint = suggestName(unknown, takes);
    return `unknown query parameter ${unknown}: this route takes ${takes.length === 0 ? "none" : takes.join(", ")}${hint === null ? "" : `; did you mean ${hint}?`}`;
  }
  const name = Object.keys(query).find((key) => Array.isArray(query[key]));
  return name === undefined ? null : `query parameter ${name} is given more than once: give it once`;
}
