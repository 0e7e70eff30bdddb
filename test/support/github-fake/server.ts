import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Faults } from "./faults.js";
import { HttpError } from "./http-error.js";
import { matchRoute } from "./router.js";
import type { Reply, Route } from "./router.js";
import { actionRoutes } from "./routes/actions.js";
import { commentRoutes } from "./routes/comments.js";
import { deploymentRoutes } from "./routes/deployments.js";
import { graphqlRoutes } from "./routes/graphql.js";
import { hookRoutes } from "./routes/hooks.js";
import { identityRoutes } from "./routes/identity.js";
import { issueRoutes } from "./routes/issues.js";
import { labelRoutes } from "./routes/labels.js";
import { pullRoutes } from "./routes/pulls.js";
import { searchRoutes } from "./routes/search.js";
import { statusRoutes } from "./routes/statuses.js";
import type { World } from "./state.js";
import type { LoggedRequest } from "./types.js";

const routes: Route[] = [...issueRoutes, ...labelRoutes, ...commentRoutes, ...pullRoutes, ...statusRoutes, ...deploymentRoutes, ...actionRoutes, ...searchRoutes, ...identityRoutes, ...graphqlRoutes, ...hookRoutes];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The JSON body, or the raw text when it does not parse (answered 400 by a matching route). */
function parseBody(text: string): { json: boolean; value: unknown } {
  if (text === "") return { json: true, value: undefined };
  try {
    return { json: true, value: JSON.parse(text) as unknown };
  } catch {
    return { json: false, value: text };
  }
}

function answer(world: World, faults: Faults, entry: LoggedRequest, json: boolean, url: URL): Reply {
  const fault = faults.take(entry.method, entry.path);
  if (fault) {
    entry.fault = true;
    return fault;
  }
  const matched = matchRoute(routes, entry.method, entry.path);
  if (!matched) {
    entry.unknown = true;
    return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
  }
  if (!json) return { status: 400, body: { message: "Problems parsing JSON" } };
  if (entry.method !== "GET" && entry.authorization === undefined) return { status: 401, body: { message: "Requires authentication" } };
  try {
    const { authorization, body } = entry;
    return matched.route.handle({ world, params: matched.params, query: url.searchParams, body, authorization, actor: world.actor(authorization), url });
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, body: error.body, headers: error.headers };
    // A bug in the fake, not a GitHub behaviour: make it loud in the test's output.
    return { status: 500, body: { message: `github-fake: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` } };
  }
}

/** The HTTP face of the fake: every request is logged, faults answer first, then the routes. */
export function createFakeServer(world: World, faults: Faults, log: LoggedRequest[]): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((text) => {
      const url = new URL(req.url ?? "/", world.baseUrl);
      const { json, value } = parseBody(text);
      const entry: LoggedRequest = {
        method: (req.method ?? "GET").toUpperCase(), path: url.pathname, query: Object.fromEntries(url.searchParams),
        body: value, status: 0, authorization: req.headers.authorization, unknown: false, fault: false,
      };
      log.push(entry);
      const reply = answer(world, faults, entry, json, url);
      entry.status = reply.status;
      const payload = reply.body === undefined || reply.status === 204 ? "" : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        ...(payload === "" ? {} : { "content-type": "application/json; charset=utf-8" }),
        "x-github-request-id": `FAKE:${log.length}`,
        ...reply.headers,
      });
      res.end(payload);
    });
  });
}
