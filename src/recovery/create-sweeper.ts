import type { Octokit } from "@octokit/rest";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { createOctokitFactory } from "../github/create-octokit-factory.js";
import { createWritePacer } from "../github/write-pacer.js";
import type { Store } from "../store/store.js";
import { hookTarget, requiredPermission, type HookTarget } from "./hook-target.js";
import { runSweep, SweepFailure, type SweepSummary } from "./run-sweep.js";

export interface SweeperOptions {
  config: Config;
  store: Store;
  logger: Logger;
  /** Counts redeliveries asked for and recovered (serve's metrics). */
  observe?: { asked: () => void; recovered: () => void };
  now?: () => number;
}

export interface Sweeper {
  /** The hooks configured (recovery.hooks): none means there is nothing to sweep. */
  readonly hooks: readonly HookTarget[];
  /** The longest look back a sweep may take: store.retention.rows (beyondRetention). */
  readonly maxLookbackMs: number;
  /** Runs a sweep now; waits for one already running in this process to end first. */
  sweep: (options?: { lookbackMs?: number; dryRun?: boolean }) => Promise<SweepSummary>;
  /** serve: sweeps at once, then every recovery.interval (nothing when it is 0 or no hook is configured). */
  start: () => void;
  /** Stops the timer and waits for a sweep under way. */
  stop: () => Promise<void>;
  /**
   * A delivery this process just stored: counted as recovered at once when it is one the
   * sweep asked for. One that arrives at another instance is counted at the next sweep.
   */
  arrived: (delivery: string) => void;
}

/**
 * The client that may read a hook's deliveries: the App's JWT for its own hook; for
 * repository and organization hooks the token, or with App auth the installation token of
 * the App's installation on that repository or organization.
 */
function createClientFor(config: Config, logger: Logger, stop: AbortSignal): (target: HookTarget) => Promise<Octokit> {
  const factory = createOctokitFactory(config.github, logger);
  const client = async (target: HookTarget) => bounded(await unbounded(target), stop);
  const installations = new Map<string, number>();
  const noCredentials = (target: HookTarget) =>
    new SweepFailure({
      kind: "no_credentials",
      message: `hook ${target.name}: no GitHub credentials are set: the sweep needs ${requiredPermission(target)}; set ${target.kind === "app" ? "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY" : "GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"} (an Actions GITHUB_TOKEN cannot read webhooks)`,
    });
  const unbounded = async (target: HookTarget): Promise<Octokit> => {
    if (factory.mode === "none") throw noCredentials(target);
    if (target.kind === "app") {
      const app = factory.appClient();
      if (app === null && factory.mode === "token") {
        throw new SweepFailure({
          kind: "no_credentials",
          message: `hook ${target.name}: the App's own webhook is read with the App's credentials, and only GITHUB_TOKEN is set: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, or list the repository or organization hooks instead ({repository: owner/name, id: N})`,
        });
      }
      if (app === null) throw noCredentials(target);
      return app;
    }
    if (factory.mode === "token") return factory.forInstallation(null)!;
    const app = bounded(factory.appClient()!, stop);
    let installation = installations.get(target.name);
    if (installation === undefined) {
      const { data } =
        target.kind === "repository"
          ? await app.request("GET /repos/{owner}/{repo}/installation", { owner: target.owner, repo: target.repo })
          : await app.request("GET /orgs/{org}/installation", { org: target.org });
      installation = data.id;
      installations.set(target.name, installation);
    }
    return factory.forInstallation(installation)!;
  };
  return client;
}

/** How long one of the sweep's GitHub requests may take: one that never answers must not hold a sweep, or a shutdown waiting for it. */
const REQUEST_TIMEOUT_MS = 30_000;
const boundedClients = new WeakSet<Octokit>();

/** The client with each request ended after REQUEST_TIMEOUT_MS, or at once when the sweeper stops. */
function bounded(octokit: Octokit, stop: AbortSignal): Octokit {
  if (boundedClients.has(octokit)) return octokit;
  boundedClients.add(octokit);
  octokit.hook.before("request", (options) => {
    const signals = [AbortSignal.timeout(REQUEST_TIMEOUT_MS), stop, options.request?.signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
    options.request = { ...options.request, signal: AbortSignal.any(signals) };
  });
  return octokit;
}

/**
 * The missed-delivery sweep of one process: the clients and the pacing for it, one sweep
 * at a time, and in `serve` a timer that sweeps every `recovery.interval`. A sweep asked for
 * while one runs waits for it, then runs: it finds what the first asked for already asked.
 *
 * @example
 * const sweeper = createSweeper({ config, store, logger });
 * sweeper.start();
 * const summary = await sweeper.sweep({ dryRun: true });
 */
export function createSweeper(options: SweeperOptions): Sweeper {
  const { config, store, logger } = options;
  const hooks = config.recovery.hooks.map(hookTarget);
  // Ends the requests of a sweep under way when the process stops: a shutdown never waits on GitHub.
  const stopRequests = new AbortController();
  const clientFor = createClientFor(config, logger, stopRequests.signal);
  // The sweep's writes are paced as agents' are: GitHub's guidance, one mutating request at a time, a second apart.
  const paceWrites = createWritePacer(config.github.writeIntervalMs);
  const pace = <T>(write: () => Promise<T>) => paceWrites("recovery", write);
  // Guids this process asked for and has not yet seen in the store: counted once when they arrive.
  const awaited = new Set<string>();
  let tail: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  /** Counts the guids asked for earlier that the store now holds, once each. */
  const countArrivals = async () => {
    if (awaited.size === 0 || !store.knownDeliveries) return;
    // One that arrived at this process meanwhile was counted then (arrived): not twice.
    for (const guid of await store.knownDeliveries([...awaited])) if (awaited.delete(guid)) options.observe?.recovered();
  };

  const arrived: Sweeper["arrived"] = (delivery) => {
    if (awaited.delete(delivery)) options.observe?.recovered();
  };

  const sweep: Sweeper["sweep"] = (request = {}) => {
    const run = tail.catch(() => undefined).then(async () => {
      await countArrivals();
      return runSweep(
        {
          store,
          hooks,
          clientFor,
          pace,
          apiUrl: config.github.apiUrl,
          logger,
          now: options.now,
          stopping: () => stopped,
          onAsked: (guid) => {
            awaited.add(guid);
            options.observe?.asked();
          },
        },
        // github.dryRun: true records GitHub writes instead of sending them; a sweep then only lists.
        { lookbackMs: request.lookbackMs ?? config.recovery.lookback, dryRun: request.dryRun === true || config.github.dryRun === true },
      );
    });
    tail = run;
    return run;
  };

  const tick = () => {
    timer = null;
    if (stopped) return;
    void sweep()
      .then((summary) => {
        if (summary.redelivered > 0) logger.info({ redelivered: summary.redelivered }, "the missed-delivery sweep asked GitHub to redeliver deliveries it missed");
      })
      .catch((error: unknown) => logger.warn({ err: error }, "the missed-delivery sweep failed; the next one tries again"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, config.recovery.interval).unref();
      });
  };

  return {
    hooks,
    maxLookbackMs: config.store.retention.rows,
    sweep,
    arrived,
    start() {
      if (config.recovery.interval <= 0 || hooks.length === 0 || timer !== null || stopped) return;
      // Soon after start-up: what was missed while this process was down is found at once.
      timer = setTimeout(tick, Math.min(1000, config.recovery.interval)).unref();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      stopRequests.abort(new Error("switchyard is stopping"));
      await tail.catch(() => undefined);
    },
  };
}
