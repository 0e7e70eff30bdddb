import type { FastifyInstance } from "fastify";
import { beyondRetention, parseLookback } from "../recovery/parse-lookback.js";
import { presentSweep } from "../recovery/present-sweep.js";
import type { Sweeper } from "../recovery/create-sweeper.js";
import { presentPrune } from "../store/retention/present-prune.js";
import type { Pruner } from "../store/retention/create-pruner.js";
import { queryProblem, sendError } from "./http-errors.js";
import { parseQueryFlag } from "./query-flag.js";

export interface RecoveryRouteDeps {
  sweeper: Sweeper;
  pruner: Pruner;
}

/**
 * The admin API's maintenance: `POST /api/recovery/sweep` (the missed-delivery sweep now,
 * `?since=72h&dry_run=1`) and `POST /api/prune` (retention now, `?dry_run=1`; `dry_run` is
 * 1/true or 0/false, anything else a 400: query-flag.ts). What
 * `switchyard redeliver` and `switchyard prune` call when a server runs, so the sweep and
 * the prune run in the process that holds the store.
 */
export function registerRecoveryRoutes(app: FastifyInstance, deps: RecoveryRouteDeps): void {
  app.post("/api/recovery/sweep", async (request, reply) => {
    const problem = queryProblem(request.query as Record<string, unknown>, ["since", "dry_run"]);
    if (problem) return sendError(reply, "SWY_E_BAD_REQUEST", problem);
    const query = request.query as Record<string, string | undefined>;
    // Read before anything else is refused: a mistyped flag is the caller's to fix first.
    const dryRun = parseQueryFlag("dry_run", query.dry_run);
    if (typeof dryRun === "string") return sendError(reply, "SWY_E_BAD_REQUEST", dryRun);
    if (deps.sweeper.hooks.length === 0) {
      return sendError(reply, "SWY_E_BAD_REQUEST", "recovery.hooks is empty: add the webhooks that point at this switchyard ({repository: owner/name, id: 123}, {organization: org, id: 456} or {app: true})");
    }
    let lookbackMs: number | undefined;
    if (query.since !== undefined) {
      const since = parseLookback(query.since);
      if (typeof since === "string") return sendError(reply, "SWY_E_BAD_REQUEST", since);
      const beyond = beyondRetention(since, deps.sweeper.maxLookbackMs);
      if (beyond !== null) return sendError(reply, "SWY_E_BAD_REQUEST", `since ${beyond}`);
      lookbackMs = since;
    }
    return presentSweep(await deps.sweeper.sweep({ lookbackMs, dryRun }));
  });

  app.post("/api/prune", async (request, reply) => {
    const problem = queryProblem(request.query as Record<string, unknown>, ["dry_run"]);
    if (problem) return sendError(reply, "SWY_E_BAD_REQUEST", problem);
    const dryRun = parseQueryFlag("dry_run", (request.query as Record<string, string | undefined>).dry_run);
    // Never a real prune for a flag that is not understood: `?dry_run=yes` once ran one.
    if (typeof dryRun === "string") return sendError(reply, "SWY_E_BAD_REQUEST", dryRun);
    return presentPrune(await deps.pruner.prune({ dryRun }));
  });
}
