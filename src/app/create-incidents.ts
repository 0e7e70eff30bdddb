import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { GithubRuntime } from "../github/github-runtime.js";
import { createIncidentReporter, type IncidentReporter } from "../security/incidents/create-incident-reporter.js";
import { createMemoryLedger, createStoreLedger } from "../security/incidents/incident-ledger.js";
import type { Store } from "../store/store.js";

/** The name the reporter's GitHub writes are recorded under (`github_actions.agent`). */
export const INCIDENT_AGENT = "security-incidents";

/**
 * The security-incident reporter of a process with a webhook listener, or null when
 * `security.incidents` is off. Shared through the store where instances share one
 * (PostgreSQL), in memory otherwise. Its GitHub writes go through the GitHub runtime and
 * are recorded in `github_actions` with no task (in dry-run: only recorded).
 *
 * @example
 * const incidents = createIncidents(config, store, github, logger);
 * createWebhookServer({ ...deps, onVerificationFailure: incidents?.record });
 */
export function createIncidents(config: Config, store: Store, github: GithubRuntime, logger: Logger, now: () => number = Date.now): IncidentReporter | null {
  const incidents = config.security.incidents;
  if (!incidents) return null;
  const log = logger.child({ component: INCIDENT_AGENT });
  const record = (action: Parameters<Store["recordGithubAction"]>[0]) =>
    void store.recordGithubAction(action).catch((error: unknown) => log.warn({ err: error }, "could not record a security-incident write"));
  const ledger = store.exchangeIncidentState ? createStoreLedger(store.exchangeIncidentState.bind(store), now) : createMemoryLedger();
  return createIncidentReporter({
    settings: { threshold: incidents.threshold, windowMs: incidents.window, quietMs: incidents.quiet },
    repository: incidents.repository,
    ledger,
    // Like a task, it waits for the identity lookup: an issue it opened before a restart is
    // known as its own by its author, and one looked for too early would be missed.
    github: async () => {
      await github.whenIdentityKnown?.();
      return github.forRepository(incidents.repository, INCIDENT_AGENT, log, record);
    },
    ownLogins: github.ownLogins,
    logger: log,
    now,
  });
}
