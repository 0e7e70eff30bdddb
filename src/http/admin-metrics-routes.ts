import type { FastifyInstance } from "fastify";
import type { Metrics } from "../observability/create-metrics.js";
import { DEFAULT_KPI_SINCE, parseSince } from "../observability/parse-since.js";
import { presentKpiReport } from "../observability/present-kpis.js";
import { readKpiReport } from "../observability/read-kpi-report.js";
import type { Store } from "../store/store.js";
import { isStoreUnavailable } from "../store/store-unavailable.js";
import { ReadDropped, ReadsRefused } from "../store/sqlite/read-offload.js";
import { queryProblem, sendError } from "./http-errors.js";

export interface MetricsRouteDeps {
  store: Store;
  /** Where the queue gauges are read when `store` (an admin view) has too many reads waiting: the store itself. */
  servingStore?: Store;
  metrics: Metrics;
  now?: () => number;
}

/**
 * `GET /metrics` (Prometheus text) and `GET /api/kpi?since=24h` on the admin listener,
 * behind its bearer token like every admin route but the health checks.
 */
export function registerMetricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): void {
  const { store, metrics } = deps;
  const now = deps.now ?? Date.now;

  // Whether the last scrape found the store unavailable: a scraper asks every 15 s or so,
  // and an outage is said once when it starts and once when it ends, not at every scrape.
  let storeDown = false;

  app.get("/metrics", async (request, reply) => {
    try {
      // A scrape is small and periodic: when the admin reads queue is full it reads on the
      // serving connection rather than lose its gauges (an absent series reads as an outage).
      await metrics.readQueue(store, now()).catch((error: unknown) => {
        if (error instanceof ReadsRefused && error.why === "busy" && deps.servingStore) return metrics.readQueue(deps.servingStore, now());
        throw error;
      });
      if (storeDown) {
        storeDown = false;
        request.log.info("the store answers again: /metrics has its queue gauges again");
      }
    } catch (error) {
      // The counters are this process's and still worth scraping; the gauges are left out.
      // An outage is no bug: one line with the driver's message, no stack. Anything else
      // keeps its stack, every time, since it is something to fix.
      // A scraper that hung up (its read was dropped) is no trouble to log.
      if (error instanceof ReadDropped) request.log.debug("a scraper hung up before its queue gauges were read");
      else if (!isStoreUnavailable(error)) request.log.warn({ err: error }, "could not read the queue gauges from the store: scraped without them");
      else if (!storeDown) {
        storeDown = true;
        request.log.warn(
          { reason: (error as Error).message },
          "the store cannot be reached: /metrics is scraped without the queue gauges until it answers (said once per outage; /readyz tells when it is back)",
        );
      }
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/api/kpi", async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const problem = queryProblem(query, ["since"]);
    if (problem) return sendError(reply, "SWY_E_BAD_REQUEST", problem);
    const sinceMs = parseSince(typeof query.since === "string" ? query.since : DEFAULT_KPI_SINCE);
    if (typeof sinceMs === "string") return sendError(reply, "SWY_E_BAD_REQUEST", sinceMs);
    return presentKpiReport(await readKpiReport(store, { now: now(), sinceMs }));
  });
}
