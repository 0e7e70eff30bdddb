import { Socket } from "node:net";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { ErrorCode } from "../errors.js";
import { ERROR_SHAPED_OPTIONS, installErrorHandlers, sendError, sentErrorCode } from "./http-errors.js";
import { lingerClose } from "./linger-close.js";
import { registerWebhookRoute, type WebhookDeps } from "./webhook-route.js";

/** How long a request may take to arrive in full. */
export const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Node's HTTP options for both listeners. The request timeout: Node looks for overdue
 * requests every 30 s by default, so a stalled sender held its connection (and the body
 * buffered so far) for 60–90 s; looking every 5 s makes it 60–65. An HTTP/1.1 request
 * without Host is left to switchyard's own checks (the health endpoints answer probes that
 * send none, the admin API refuses it 403 in its error shape): Node's own refusal is a bare
 * 400 with no body.
 */
export const TIMEOUT_OPTIONS = { requestTimeout: REQUEST_TIMEOUT_MS, http: { connectionsCheckingInterval: 5_000, requireHostHeader: false } };

/**
 * The public listener: only the webhook path. Bodies are kept as raw Buffers whatever the
 * content type, because the HMAC covers the exact bytes and the store keeps them.
 */
/**
 * Refusals not logged per request here: those the route logs itself (a bad signature, the
 * store), and those that come in floods, where a line each would be a flood of lines (the
 * rate limit, a full body budget, a shutdown). Metrics count them all.
 */
const SELF_LOGGED: ReadonlySet<ErrorCode> = new Set(["SWY_E_BAD_SIGNATURE", "SWY_E_STORE_UNAVAILABLE", "SWY_E_INTERNAL", "SWY_E_RATE_LIMITED", "SWY_E_BUSY", "SWY_E_SHUTTING_DOWN"]);

export function createWebhookServer(deps: WebhookDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.server.bodyLimit,
    // Requests behind a proxy: the allowlist reads X-Forwarded-For itself when trustProxy is set.
    trustProxy: false,
    // Answered by the hook below instead, in switchyard's error shape.
    return503OnClosing: false,
    // A sender that stops half-way (a slow or hostile client) does not hold a connection
    // for ever; GitHub gives up on a delivery after 10 s anyway.
    ...TIMEOUT_OPTIONS,
    ...ERROR_SHAPED_OPTIONS,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  installErrorHandlers(app, { kind: "webhook", bodyLimit: deps.config.server.bodyLimit, path: deps.config.server.path });
  app.addHook("onRequest", async (_request, reply) => {
    if (!deps.isClosing?.()) return;
    reply.header("connection", "close");
    return sendError(reply, "SWY_E_SHUTTING_DOWN", "switchyard is shutting down and stored nothing: redeliver this delivery once it is back");
  });
  // An answer sent before the request's body has all arrived (a 413, or a refusal made
  // before the body is read) closes the connection lingeringly: without it, the client that
  // is still sending gets a reset instead of the answer (src/http/linger-close.ts).
  app.addHook("onSend", async (request, reply, payload) => {
    const socket = request.raw.socket;
    if (!request.raw.complete && socket instanceof Socket) {
      reply.header("connection", "close");
      lingerClose(socket);
    }
    return payload;
  });
  // A refusal the route does not log itself (a bad signature and the rate limit are warned
  // of, a store failure too): one info line, so that someone sending a first delivery by
  // hand sees in the server's terminal why it was refused, not only in the answer.
  app.addHook("onResponse", async (request, reply) => {
    const code = sentErrorCode(reply);
    if (code === undefined || SELF_LOGGED.has(code)) return;
    // The delivery id as claimed (unverified): what ties the line to GitHub's delivery log.
    const delivery = request.headers["x-github-delivery"];
    const claimed = typeof delivery === "string" ? { delivery: delivery.slice(0, 200) } : {};
    request.log.info({ status: reply.statusCode, code, method: request.method, url: request.url.slice(0, 200), ip: request.ip, ...claimed }, `webhook request refused: ${reply.statusCode} ${code}`);
  });
  registerWebhookRoute(app, deps);
  return app;
}
