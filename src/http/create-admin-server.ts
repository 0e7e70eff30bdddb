import { timingSafeEqual } from "node:crypto";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { DELIVERY_STATUSES, type Store } from "../store/store.js";
import { loadDeliveryDetail } from "../present/load-detail.js";
import { presentDeliverySummary, stringifyDelivery } from "../present/records.js";
import { REQUEST_TIMEOUT_MS } from "./create-webhook-server.js";
import { registerDashboardRoutes } from "./dashboard-routes.js";
import { MAX_DELIVERY_ID_LENGTH } from "./delivery-id.js";
import { ERROR_SHAPED_OPTIONS, installErrorHandlers, queryProblem, sendError } from "./http-errors.js";
import { parseLimit } from "../config/parse-limit.js";
import type { ServerRole } from "../config/schema.js";
import { STORE_ID_HEADER } from "../store/store-id.js";

/** What /healthz and /readyz report: flipped by `serve` as it starts and stops. */
export interface ServerState {
  /** What this process runs; a worker has no webhook listener to wait for. */
  role: ServerRole;
  webhookListening: boolean;
  adminListening: boolean;
  migrated: boolean;
  draining: boolean;
}

export interface AdminDeps {
  store: Store;
  state: ServerState;
  logger: Logger;
  /** Which store this server serves (`storeId`): sent on /healthz, so a CLI can tell ours from another project's. */
  storeId: string;
  /** When set, every request but the health checks needs `Authorization: Bearer <token>`. */
  token: string | null;
  /** Extra routes (tasks, replays, metrics) registered by later layers. */
  extend?: (app: FastifyInstance) => void;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice("Bearer ".length));
  const wanted = Buffer.from(token);
  // Compare equal lengths only: timingSafeEqual throws otherwise (the seed's bug).
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The most body an admin request may carry (Fastify's default, made ours): no admin endpoint reads one. */
export const ADMIN_BODY_LIMIT = 1024 * 1024;

/**
 * The admin listener: health, the read API and (later) replays, metrics and the dashboard.
 * Loopback by default; anywhere else it needs a bearer token.
 */
export function createAdminServer(deps: AdminDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: REQUEST_TIMEOUT_MS,
    bodyLimit: ADMIN_BODY_LIMIT,
    // Every delivery id the webhook takes must be readable and replayable by its id.
    routerOptions: { maxParamLength: MAX_DELIVERY_ID_LENGTH },
    ...ERROR_SHAPED_OPTIONS,
  });
  installErrorHandlers(app, { kind: "admin", bodyLimit: ADMIN_BODY_LIMIT });
  const { store, state } = deps;
  // The dashboard's static files carry no data: the page itself asks for the token.
  const dashboardPaths = registerDashboardRoutes(app);

  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0];
    if (!deps.token || path === "/healthz" || path === "/readyz" || dashboardPaths.has(path ?? "")) return;
    if (!tokenMatches(request.headers.authorization, deps.token)) {
      return sendError(reply, "SWY_E_UNAUTHORIZED");
    }
  });

  const webhookUp = () => state.role === "worker" || state.webhookListening;

  app.get("/healthz", async (_request, reply) => {
    const healthy = webhookUp() && state.adminListening && state.migrated;
    // A header, not a field: the body's shape is a contract that scripts compare.
    void reply.header(STORE_ID_HEADER, deps.storeId);
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? "ok" : "starting", ...state });
  });

  app.get("/readyz", async (_request, reply) => {
    const { role } = state;
    if (state.draining) return reply.code(503).send({ status: "draining", role });
    if (!(webhookUp() && state.migrated)) return reply.code(503).send({ status: "starting", role });
    try {
      await store.listDeliveries({ limit: 1 });
    } catch {
      return reply.code(503).send({ status: "store unavailable", role });
    }
    return reply.code(200).send({ status: "ready", role });
  });

  app.get("/api/deliveries", async (request, reply) => {
    const problem = queryProblem(request.query as Record<string, unknown>, ["limit", "status", "event", "repository"]);
    if (problem) return sendError(reply, "SWY_E_BAD_REQUEST", problem);
    const query = request.query as Record<string, string | undefined>;
    const limit = parseLimit(query.limit);
    if (typeof limit === "string") return sendError(reply, "SWY_E_BAD_REQUEST", limit);
    const status = query.status;
    if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
      return sendError(reply, "SWY_E_BAD_REQUEST", `status must be one of ${DELIVERY_STATUSES.join(", ")}`);
    }
    return (await store.listDeliveries({ limit, status: status as (typeof DELIVERY_STATUSES)[number] | undefined, event: query.event, repository: query.repository })).map(presentDeliverySummary);
  });

  app.get("/api/deliveries/:id", async (request, reply) => {
    const { id } = request.params as { id: string };
    const record = await loadDeliveryDetail(store, id);
    if (!record) return sendError(reply, "SWY_E_NOT_FOUND", `no delivery ${id}`);
    // Sent as text: Fastify's serializer would re-encode the payload, and a deep one overflows it.
    return reply.type("application/json; charset=utf-8").send(stringifyDelivery(record));
  });

  deps.extend?.(app);
  return app;
}
