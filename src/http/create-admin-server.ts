import { timingSafeEqual } from "node:crypto";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { DELIVERY_STATUSES, type Store } from "../store/store.js";
import { whileWanted } from "../store/sqlite/read-offload.js";
import { describeMissingDelivery, loadDeliveryDetail } from "../present/load-detail.js";
import { presentDeliverySummary, stringifyDelivery } from "../present/records.js";
import { TIMEOUT_OPTIONS } from "./create-webhook-server.js";
import { registerDashboardRoutes } from "./dashboard-routes.js";
import { MAX_DELIVERY_ID_LENGTH } from "./delivery-id.js";
import { ERROR_SHAPED_OPTIONS, installErrorHandlers, queryProblem, sendError } from "./http-errors.js";
import { parseApiLimit } from "../config/parse-limit.js";
import { parseQueryFlag } from "./query-flag.js";
import { repositoryNameProblem } from "../config/check-names.js";
import { cursorProblem, eventFilterProblem, subjectFilter } from "../store/event-filter.js";
import type { ServerRole } from "../config/schema.js";
import { clientIp } from "../security/client-ip.js";
import { createFailedAuthLimiter } from "../security/failed-auth-limiter.js";
import { limiterKey } from "../security/limiter-key.js";
import { createOncePerWindow } from "../security/once-per-window.js";
import { hostnameOf, isLoopbackHost, originAllowed } from "../security/request-host.js";
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
  /**
   * When set, every request but the health checks and the dashboard's files needs
   * `Authorization: Bearer <token>`. When null, only requests addressed to a loopback name
   * are answered (the health checks excepted).
   */
  token: string | null;
  /** `security.failedAuth`: wrong tokens one address may send within the window before it is answered 429. */
  failedAuth: { max: number; windowMs: number };
  /** What /readyz reads, when not `store`: the store itself, where `store` is its admin view (Store.adminView). */
  probeStore?: Store;
  /** Extra routes (tasks, replays, metrics) registered by later layers. */
  extend?: (app: FastifyInstance) => void;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  // The scheme's name is case-insensitive in HTTP (`bearer` is `Bearer`).
  if (header === undefined || !/^bearer /i.test(header)) return false;
  const given = Buffer.from(header.slice("Bearer ".length));
  const wanted = Buffer.from(token);
  // Compare equal lengths only: timingSafeEqual throws otherwise (the seed's bug).
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The most body an admin request may carry (Fastify's default, made ours): no admin endpoint reads one. */
export const ADMIN_BODY_LIMIT = 1024 * 1024;

/** Open to any Host, and without the token: probes (kubelet, HAProxy, Docker) and CLIs look here, and they hold nothing secret. */
const HEALTH_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz"]);

/** The methods a page on another site may send without changing anything; the admin API's GETs change nothing. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/**
 * Without a token the listener is on loopback (serve refuses anything else) and trusts
 * whoever reaches it. A web page can reach it too, through the browser of someone who can:
 * by DNS rebinding (its own name re-pointed at 127.0.0.1) it would read the API as its own
 * origin. But its requests carry its own name in Host, which is what is refused here. The
 * health checks are left open: they hold nothing, and some probes send no Host at all.
 */
function refuseForeignHost(request: FastifyRequest, reply: FastifyReply, path: string): FastifyReply | undefined {
  if (HEALTH_PATHS.has(path) || isLoopbackHost(request.headers.host)) return undefined;
  const named = hostnameOf(request.headers.host);
  const host = named === null ? "a missing or malformed Host header" : `Host ${named}`;
  // The loopback address and port the request arrived at: the address to use instead.
  const local = request.socket.localAddress ?? "127.0.0.1";
  const here = `http://${local.includes(":") ? `[${local}]` : local}:${request.socket.localPort ?? 9090}/`;
  return sendError(
    reply,
    "SWY_E_FORBIDDEN_HOST",
    `${host} is not a loopback name: without ADMIN_TOKEN the admin listener answers only requests addressed to localhost, 127.0.0.1 or [::1] (a page on another site could otherwise reach it by DNS rebinding): open it as ${here}, or set ADMIN_TOKEN to reach the admin listener under another host name`,
  );
}

/**
 * A request that changes something (a replay, a prune) sent by a page on another site: a
 * browser sends it with that page's Origin, and would send it with no token to a listener
 * that needs none. Clients that are not browsers (the CLI, curl) send no Origin; the
 * dashboard's own requests carry its origin, which is the listener's.
 */
function refuseCrossSite(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const { origin } = request.headers;
  if (SAFE_METHODS.has(request.method) || origin === undefined || originAllowed(origin, request.headers.host)) return undefined;
  return sendError(
    reply,
    "SWY_E_FORBIDDEN_ORIGIN",
    `a ${request.method} from a page at ${JSON.stringify(origin)} is refused: the admin API takes changes only from pages on loopback or on its own host (the dashboard), with an Origin as browsers send it (scheme://host[:port]), or from clients that send no Origin (the CLI); behind a proxy, pass the original Host header through`,
  );
}

/**
 * The bearer check, with failed-auth limiting per source address: past `failedAuth.max`
 * wrong tokens within the window an address is answered 429 with Retry-After, even with
 * the right token (answering that one would tell a guesser when it guessed right), and a
 * warning is logged once per address per window. The socket's address is counted, never
 * X-Forwarded-For: behind a proxy every client shares the proxy's.
 */
function createTokenGuard(deps: AdminDeps, token: string) {
  const { max, windowMs } = deps.failedAuth;
  // Its own instance: wrong admin tokens must not limit GitHub's deliveries, nor the reverse.
  const limiter = createFailedAuthLimiter({ max, windowMs });
  const firstTime = createOncePerWindow(windowMs);
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    // No credentials at all guess nothing: a scrape or a browser without the token is told
    // so, and not counted, or a misconfigured Prometheus on the operator's own host would
    // lock the operator's CLI out of the admin API.
    if (request.headers.authorization === undefined) {
      return sendError(reply, "SWY_E_UNAUTHORIZED", "no admin token was sent: send Authorization: Bearer <ADMIN_TOKEN> (the token this server runs with)");
    }
    const ip = clientIp(request.socket.remoteAddress, undefined, false);
    const key = limiterKey(ip);
    const now = Date.now();
    const limited = limiter.check(key, now);
    if (limited.limited) {
      reply.header("retry-after", String(limited.retryAfterSeconds));
      return sendError(reply, "SWY_E_RATE_LIMITED", `too many wrong admin tokens from ${ip}: retry after ${limited.retryAfterSeconds}s with the right one (ADMIN_TOKEN)`);
    }
    if (tokenMatches(request.headers.authorization, token)) return undefined;
    limiter.recordFailure(key, now);
    const after = limiter.check(key, now);
    if (after.limited && firstTime(key, now)) {
      request.log.warn(
        { source: ip, max, windowMs, retryAfterSeconds: after.retryAfterSeconds },
        "too many wrong admin tokens from this address: its admin requests are answered 429 until its failures leave the window",
      );
    }
    return sendError(reply, "SWY_E_UNAUTHORIZED");
  };
}

/**
 * The admin listener: health, the read API and (later) replays, metrics and the dashboard.
 * Loopback by default; anywhere else it needs a bearer token (docs/security.md, "The admin
 * listener"). Every request passes, in order: the Host check (without a token), the
 * cross-site check (a POST from another site's page), then the token (with one).
 */
export function createAdminServer(deps: AdminDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...TIMEOUT_OPTIONS,
    bodyLimit: ADMIN_BODY_LIMIT,
    // Every delivery id the webhook takes must be readable and replayable by its id.
    routerOptions: { maxParamLength: MAX_DELIVERY_ID_LENGTH },
    ...ERROR_SHAPED_OPTIONS,
  });
  installErrorHandlers(app, { kind: "admin", bodyLimit: ADMIN_BODY_LIMIT });
  const { store, state } = deps;
  // First of all hooks: the store's reads made for a request that its client gave up on
  // (a closed tab, a timed-out curl) are dropped before they run, not queued for no one.
  app.addHook("onRequest", (request, reply, done) => {
    const wanted = new AbortController();
    const socket = request.raw.socket;
    const gone = () => {
      if (!reply.raw.writableFinished) wanted.abort();
    };
    reply.raw.once("close", () => {
      socket.off("close", gone);
      gone();
    });
    // A pipelined request's response is not on the socket yet, and never hears it close.
    socket.once("close", gone);
    whileWanted(wanted.signal, done);
  });
  // The dashboard's static files carry no data: the page itself asks for the token.
  const dashboardPaths = registerDashboardRoutes(app);
  const checkToken = deps.token ? createTokenGuard(deps, deps.token) : null;

  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const refused = (checkToken === null ? refuseForeignHost(request, reply, path) : undefined) ?? refuseCrossSite(request, reply);
    if (refused !== undefined) return refused;
    if (checkToken === null || HEALTH_PATHS.has(path) || dashboardPaths.has(path)) return;
    return checkToken(request, reply);
  });

  const webhookUp = () => state.role === "worker" || state.webhookListening;

  app.get("/healthz", async (_request, reply) => {
    const healthy = webhookUp() && state.adminListening && state.migrated;
    // A header, not a field: the body's shape is a contract that scripts compare.
    void reply.header(STORE_ID_HEADER, deps.storeId);
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? "ok" : state.draining ? "draining" : "starting", ...state });
  });

  app.get("/readyz", async (_request, reply) => {
    const { role } = state;
    if (state.draining) return reply.code(503).send({ status: "draining", role });
    if (!(webhookUp() && state.migrated)) return reply.code(503).send({ status: "starting", role });
    // On the serving connection: a probe must not wait behind a queue of admin reads.
    const probe = deps.probeStore ?? store;
    try {
      await probe.checkWritable?.();
      await probe.listDeliveries({ limit: 1 });
    } catch {
      return reply.code(503).send({ status: "store unavailable", role });
    }
    return reply.code(200).send({ status: "ready", role });
  });

  app.get("/api/deliveries", async (request, reply) => {
    const problem = queryProblem(request.query as Record<string, unknown>, ["limit", "status", "event", "repository", "number", "before"]);
    if (problem) return sendError(reply, "SWY_E_BAD_REQUEST", problem);
    const query = request.query as Record<string, string | undefined>;
    const limit = parseApiLimit(query.limit);
    if (typeof limit === "string") return sendError(reply, "SWY_E_BAD_REQUEST", limit);
    const status = query.status;
    if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
      return sendError(reply, "SWY_E_BAD_REQUEST", `status must be one of ${DELIVERY_STATUSES.join(", ")}, not ${JSON.stringify(status)}`);
    }
    // As `deliveries --event/--repository`: a filter that can match nothing is a typo, not an empty list.
    const filterProblem = (query.repository === undefined ? null : repositoryNameProblem(query.repository)) ?? (query.event === undefined ? null : await eventFilterProblem(store, query.event));
    if (filterProblem !== null) return sendError(reply, "SWY_E_BAD_REQUEST", filterProblem);
    const subject = query.number === undefined ? undefined : subjectFilter(query.number, query.repository, "number");
    if (typeof subject === "string") return sendError(reply, "SWY_E_BAD_REQUEST", subject);
    const beforeProblem = query.before === undefined ? null : await cursorProblem(store, query.before, "before");
    if (beforeProblem !== null) return sendError(reply, "SWY_E_BAD_REQUEST", beforeProblem);
    const options = { limit, status: status as (typeof DELIVERY_STATUSES)[number] | undefined, event: query.event, repository: query.repository, subject, before: query.before };
    return (await store.listDeliveries(options)).map(presentDeliverySummary);
  });

  app.get("/api/deliveries/:id", async (request, reply) => {
    const { id } = request.params as { id: string };
    const problem = queryProblem(request.query as Record<string, unknown>, ["payload"]);
    if (problem) return sendError(reply, "SWY_E_BAD_REQUEST", problem);
    // ?payload=0: everything but the payload (a page refreshing what it has drawn: the body is neither parsed nor sent).
    const rawPayload = (request.query as { payload?: string }).payload;
    const withPayload = rawPayload === undefined ? true : parseQueryFlag("payload", rawPayload);
    if (typeof withPayload === "string") return sendError(reply, "SWY_E_BAD_REQUEST", withPayload);
    const record = await loadDeliveryDetail(store, id, { payload: withPayload });
    if (!record) return sendError(reply, "SWY_E_NOT_FOUND", await describeMissingDelivery(store, id));
    // Sent as text: Fastify's serializer would re-encode the payload, and a deep one overflows it.
    return reply.type("application/json; charset=utf-8").send(stringifyDelivery(record));
  });

  deps.extend?.(app);
  return app;
}
