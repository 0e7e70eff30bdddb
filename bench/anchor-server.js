// The anchor of the benchmark: @octokit/webhooks' own Node middleware with a no-op handler
// on a plain node:http server. It verifies the HMAC and parses the JSON exactly as a Probot
// or Octokit app would, and stores nothing: the cost of receiving a webhook, and no more.
//
// Env: WEBHOOK_SECRET (required), PORT (default 0: a free port). Prints its URL on stderr
// in the same words `switchyard serve` uses, so the bench reads both the same way.
import { createServer } from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error("anchor: WEBHOOK_SECRET is required");
  process.exit(2);
}

const webhooks = new Webhooks({ secret });
webhooks.onAny(() => {});
const middleware = createNodeMiddleware(webhooks, { path: "/webhooks/github" });

const server = createServer((request, response) => {
  // Without `next`, the middleware leaves other paths unanswered.
  void middleware(request, response, () => {
    response.writeHead(404).end();
  });
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address();
  console.error(`anchor: receiving webhooks at http://127.0.0.1:${port}/webhooks/github`);
});

process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
});
