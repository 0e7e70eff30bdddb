import type { FastifyError, FastifyInstance } from "fastify";
import { errorBody } from "../errors.js";

/**
 * Every error leaves as `{error:{code, message}}` from the table in src/errors.ts, and no
 * stack trace ever reaches a client: unexpected errors are logged and answered 500.
 */
export function installErrorHandlers(app: FastifyInstance, bodyLimit?: number): void {
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
    reply.code(404).send(errorBody("SWY_E_NOT_FOUND", `nothing at ${request.method} ${request.url.split("?")[0]}`));
  });
}
