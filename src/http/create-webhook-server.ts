import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { installErrorHandlers } from "./http-errors.js";
import { registerWebhookRoute, type WebhookDeps } from "./webhook-route.js";

/**
 * The public listener: only the webhook path. Bodies are kept as raw Buffers whatever the
 * content type, because the HMAC covers the exact bytes and the store keeps them.
 */
export function createWebhookServer(deps: WebhookDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.server.bodyLimit,
    // Requests behind a proxy: the allowlist reads X-Forwarded-For itself when trustProxy is set.
    trustProxy: false,
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  installErrorHandlers(app, deps.config.server.bodyLimit);
  registerWebhookRoute(app, deps);
  return app;
}
