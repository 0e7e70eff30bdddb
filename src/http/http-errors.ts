import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { errorBody } from "../errors.js";

/**
 * Every error leaves as `{error:{code, message}}` from the table in src/errors.ts, and no
 * stack trace ever reaches a client: unexpected errors are logged and answered 500.
 */
export function installErrorHandlers(app: FastifyInstance, bodyLimit?: number, webhookPath?: string): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) {
      const limit = bodyLimit === undefined ? "" : ` (this server takes at most ${bodyLimit} bytes: server.bodyLimit)`;
      return reply.code(413).send(errorBody("SWY_E_BODY_TOO_LARGE", `the body is too large${limit}; GitHub caps payloads at 25 MiB`));
    }
    if (status === 415) {
      return reply.code(415).send(errorBody("SWY_E_UNSUPPORTED_MEDIA_TYPE"));
    }
    if (status >= 400 && status < 500) {
      return reply.code(400).send(errorBody("SWY_E_BAD_REQUEST", `bad request: ${error.message}`));
    }
    request.log.error({ err: error }, "unexpected error");
    return reply.code(500).send(errorBody("SWY_E_INTERNAL"));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    // Methods Fastify has no route table for (TRACE, PROPFIND, …) land here, on the webhook path too.
    if (webhookPath !== undefined && path === webhookPath) {
      reply.header("allow", "POST");
      return reply.code(405).send(errorBody("SWY_E_METHOD_NOT_ALLOWED", `${request.method} is not allowed here: GitHub POSTs deliveries to ${webhookPath}`));
    }
    return reply.code(404).send(errorBody("SWY_E_NOT_FOUND", `nothing at ${request.method} ${path}`));
  });
}

/**
 * Fastify options that keep its own answers in switchyard's error shape: a URL that cannot be
 * decoded, and what Node's HTTP parser refuses before any route runs (a header with control
 * characters, a malformed request line).
 */
export const ERROR_SHAPED_OPTIONS = {
  frameworkErrors: (error: FastifyError, _request: unknown, reply: FastifyReply) => {
    void reply.code(400).send(errorBody("SWY_E_BAD_REQUEST", `bad request: ${error.message}`));
  },
  // Node leaves the socket to this handler: it must be closed here, or a client that never
  // closes its side keeps it (and a graceful shutdown waiting on it) open for ever.
  clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const reason = status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request";
    const body = JSON.stringify(errorBody("SWY_E_BAD_REQUEST", status === 408 ? "the request took too long to arrive" : "malformed HTTP request (a header with control characters, a bad request line or framing)"));
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => socket.destroy());
    // A peer that does not read what is left to send must not hold the socket either.
    setTimeout(() => socket.destroy(), 1000).unref();
  },
};

/**
 * The 400 for a query parameter given more than once (`?agent=a&agent=b`), or null: the
 * admin API takes one value per parameter, and an array must never reach a store query.
 */
export function repeatedParameter(query: Record<string, unknown>): ReturnType<typeof errorBody> | null {
  const name = Object.keys(query).find((key) => Array.isArray(query[key]));
  return name === undefined ? null : errorBody("SWY_E_BAD_REQUEST", `query parameter ${name} is given more than once: give it once`);
}
