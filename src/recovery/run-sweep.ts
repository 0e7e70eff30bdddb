import type { Octokit } from "@octokit/rest";
import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import type { RedeliveryHistory } from "../store/redelivery-records.js";
import { requiredPermission, type HookTarget } from "./hook-target.js";
import { failedGuids, planRedeliveries } from "./plan-redeliveries.js";
import { askRedelivery, readHookLog } from "./read-hook-log.js";
import { describeGithubError, withoutRetryNote, type SweepError } from "./sweep-error.js";

/** GitHub is asked for one delivery at most this often, across every sweep. */
export const MAX_ASKS = 3;
/** An ask younger than this is left to arrive (GitHub redelivers within seconds). */
export const ASK_COOLDOWN_MS = 5 * 60_000;
/** Ids looked up in the store per query. */
const LOOKUP_CHUNK = 500;

/** What one sweep did to one hook. */
export interface HookSweep {
  hook: string;
  /** Log entries read within the lookback. */
  scanned: number;
  /** Guids with no 2xx entry. */
  failed: number;
  /** Of those, the ones the store does not hold. */
  missing: number;
  /** Asked for in this sweep (0 in a dry run). */
  redelivered: number;
  /** Missing guids asked for as often as allowed, left alone. */
  givenUp: number;
  /** Those guids, oldest event first: redeliver them by hand, or look up why in the `redeliveries` table. */
  givenUpGuids: string[];
  /** Missing guids asked for within the last ASK_COOLDOWN_MS: their redelivery may still be on its way. */
  waiting: number;
  /** The guids asked for or, in a dry run, that would be. */
  guids: string[];
  /** Asks GitHub refused for that one delivery (a 4xx such as 422: too old, or gone): the sweep went on with the others. */
  refused: { guid: string; message: string }[];
  errors: SweepError[];
}

export interface SweepSummary {
  dryRun: boolean;
  hooks: HookSweep[];
  redelivered: number;
}

/** Thrown by `clientFor` when a hook cannot be read with the credentials at hand. */
export class SweepFailure extends Error {
  constructor(readonly error: SweepError) {
    super(error.message);
    this.name = "SweepFailure";
  }
}

export interface SweepDeps {
  store: Store;
  hooks: readonly HookTarget[];
  /** The client that may read and redeliver this hook; throws SweepFailure when there is none. */
  clientFor: (target: HookTarget) => Promise<Octokit>;
  /** Spaces out GitHub writes (the redelivery requests). */
  pace: <T>(write: () => Promise<T>) => Promise<T>;
  /** For messages: where GitHub is. */
  apiUrl: string;
  logger: Logger;
  now?: () => number;
  /** Told of each redelivery GitHub took (metrics). */
  onAsked?: (guid: string) => void;
  /** True once the process is shutting down: the sweep asks nothing more. */
  stopping?: () => boolean;
}

export interface SweepOptions {
  /** How far back to read the hook logs. */
  lookbackMs: number;
  /** Read and decide, ask nothing, record nothing. */
  dryRun: boolean;
}

async function inChunks<T>(items: readonly string[], read: (chunk: string[]) => Promise<Iterable<T>>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += LOOKUP_CHUNK) out.push(...(await read(items.slice(i, i + LOOKUP_CHUNK))));
  return out;
}

/** The store methods a sweep needs; the memory store (Actions mode) has none. */
function recoveryStore(store: Store) {
  const { knownDeliveries, readRedeliveries, reserveRedelivery, recordRedeliveryAnswer } = store;
  if (!knownDeliveries || !readRedeliveries || !reserveRedelivery || !recordRedeliveryAnswer) {
    throw new Error(`the ${store.kind} store keeps no redeliveries: the sweep needs switchyard serve's store (SQLite or PostgreSQL)`);
  }
  return {
    known: (ids: readonly string[]) => knownDeliveries.call(store, ids),
    history: (guids: readonly string[]) => readRedeliveries.call(store, guids),
    reserve: reserveRedelivery.bind(store),
    answer: recordRedeliveryAnswer.bind(store),
  };
}

/**
 * The missed-delivery sweep: for each hook, reads its delivery log back to the lookback,
 * finds the deliveries that failed and that the store does not hold, and asks GitHub to
 * redeliver each once (GitHub never retries a failed delivery by itself; its log keeps
 * them 3 days). What was asked is recorded in the store before the request is sent, and a
 * guid is asked for at most MAX_ASKS times across sweeps and never twice in one. On
 * PostgreSQL one instance sweeps a hook at a time. A hook that fails is reported and the
 * others are still swept.
 *
 * @example
 * const summary = await runSweep({ store, hooks, clientFor, pace, apiUrl, logger }, { lookbackMs: 72 * 3_600_000, dryRun: false });
 */
export async function runSweep(deps: SweepDeps, options: SweepOptions): Promise<SweepSummary> {
  const now = deps.now ?? Date.now;
  const store = recoveryStore(deps.store);
  const askedThisSweep = new Set<string>();
  const hooks: HookSweep[] = [];
  for (const target of deps.hooks) {
    const result: HookSweep = { hook: target.name, scanned: 0, failed: 0, missing: 0, redelivered: 0, givenUp: 0, givenUpGuids: [], waiting: 0, guids: [], refused: [], errors: [] };
    hooks.push(result);
    // PostgreSQL: one instance per hook. SQLite: this process holds the database alone.
    const release = deps.store.lockRecoveryHook ? await deps.store.lockRecoveryHook(target.name) : async () => {};
    if (release === null) {
      result.errors.push({ kind: "busy", message: `hook ${target.name}: another switchyard instance is sweeping it right now` });
      continue;
    }
    try {
      await sweepHook(deps, store, target, options, result, askedThisSweep, now);
    } catch (error) {
      result.errors.push(error instanceof SweepFailure ? error.error : describeGithubError(error, target, deps.apiUrl));
    } finally {
      await release();
    }
    if (result.errors.length > 0) deps.logger.warn({ hook: target.name, errors: result.errors.map((e) => e.message) }, "the missed-delivery sweep of a hook stopped early");
  }
  return { dryRun: options.dryRun, hooks, redelivered: hooks.reduce((sum, h) => sum + h.redelivered, 0) };
}

async function sweepHook(
  deps: SweepDeps,
  store: ReturnType<typeof recoveryStore>,
  target: HookTarget,
  options: SweepOptions,
  result: HookSweep,
  askedThisSweep: Set<string>,
  now: () => number,
): Promise<void> {
  const octokit = await deps.clientFor(target);
  const since = now() - options.lookbackMs;
  const entries = await readHookLog(octokit, target, since);
  const failed = failedGuids(entries, since);
  const known = new Set(await inChunks(failed, async (chunk) => store.known(chunk)));
  const missing = failed.filter((guid) => !known.has(guid));
  const history = new Map<string, RedeliveryHistory>(await inChunks(missing, async (chunk) => store.history(chunk)));
  const plan = planRedeliveries({ entries, since, known, history, askedThisSweep, now: now(), maxAsks: MAX_ASKS, cooldownMs: ASK_COOLDOWN_MS });
  Object.assign(result, { scanned: plan.scanned, failed: plan.failed, missing: plan.missing, givenUp: plan.givenUp.length, givenUpGuids: [...plan.givenUp], waiting: plan.waiting.length });
  if (options.dryRun) {
    result.guids = plan.asks.map((a) => a.guid);
    return;
  }
  // 404s before GitHub answered any ask of this sweep otherwise (took it, or refused it as
  // too old): a hook deleted since its log was read, or a token that reads the log but may
  // not redeliver, answers every ask so.
  let notFound = 0;
  let answered = 0;
  for (const { guid, entry } of plan.asks) {
    if (deps.stopping?.()) return;
    askedThisSweep.add(guid);
    const n = await store.reserve({ guid, hook: target.name, hookDeliveryId: entry.id, askedAt: now() }, MAX_ASKS);
    // Another instance asked at this very moment, or the limit was reached meanwhile.
    if (n === null) continue;
    // Which of the guid's counted asks this is (`n` numbers its rows, an outage's uncounted ones too).
    const counted = (history.get(guid)?.asks ?? 0) + 1;
    let status: number;
    try {
      status = await deps.pace(() => askRedelivery(octokit, target, entry.id));
    } catch (error) {
      const described = describeGithubError(error, target, deps.apiUrl);
      const code = (error as { status?: number }).status;
      // GitHub refused this one delivery (422: too old; 404: gone from the log the sweep just
      // read, so the hook itself is there): that ask counts, and the others go on. Anything
      // else (a rate limit, the credentials, an outage) is no answer about the delivery: the
      // ask is recorded without a status, so it does not count toward its limit, and the sweep stops.
      if (described.kind === "not_found") notFound += 1;
      // A second 404 with no other answer yet says more of the hook than of the deliveries: the sweep stops, as for a 404 on the log, and that ask does not count.
      const hookWide = described.kind === "not_found" && notFound >= 2 && answered === 0;
      const refusal = !hookWide && code !== undefined && code >= 400 && code < 500 && (described.kind === "github_error" || described.kind === "not_found");
      if (refusal && described.kind === "github_error") answered += 1;
      // A refusal counts toward the delivery's asks: say whether another comes.
      const next = counted >= MAX_ASKS ? `: that was ask ${counted} of ${MAX_ASKS}, the last: redeliver it by hand from the webhook's Recent Deliveries if it still matters` : `: the next sweep asks again (this was ask ${counted} of ${MAX_ASKS})`;
      const message =
        refusal && described.kind === "not_found"
          ? `hook ${target.name}: GitHub answers 404 to the redelivery of this delivery: it is no longer in the hook's log`
          : refusal
            ? `${withoutRetryNote(described.message)}${next}`
            : described.message;
      await store.answer(guid, n, { status: refusal ? code : null, error: message });
      if (refusal) {
        result.refused.push({ guid, message });
        deps.logger.warn({ hook: target.name, delivery: guid, status: code, error: message }, "GitHub refused to redeliver a missed delivery");
        continue;
      }
      throw new SweepFailure(
        hookWide
          ? {
              kind: "not_found",
              message: `hook ${target.name}: GitHub answers 404 to every redelivery asked of this hook while its log reads: it was deleted meanwhile, or the token may read its deliveries but not redeliver them (redelivering needs ${requiredPermission(target)})`,
            }
          : described,
      );
    }
    answered += 1;
    await store.answer(guid, n, { status, error: null });
    result.redelivered += 1;
    result.guids.push(guid);
    deps.onAsked?.(guid);
    deps.logger.info({ hook: target.name, delivery: guid, event: entry.event, ask: counted }, "asked GitHub to redeliver a missed delivery");
  }
}
