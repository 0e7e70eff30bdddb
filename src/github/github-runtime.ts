import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { ACTIONS_IDENTITY } from "../routing/decide.js";
import type { GithubActionRecord } from "../store/store.js";
import { createOctokitFactory } from "./create-octokit-factory.js";
import { createGithubClient, repoRef, type GithubClient } from "./github-client.js";
import { createWritePacer } from "./write-pacer.js";
import { isDryRun, type AuthMode } from "./write-mode.js";
import { classifyError } from "../queue/classify-error.js";

export interface GithubRuntime {
  mode: AuthMode;
  /** Writes are recorded, not sent: `github.dryRun`, or `auto` without credentials. */
  dryRun: boolean;
  /** A client for one task: each write is handed to `record` under the task's agent and id. */
  forTask: (task: { id: string; agent: string; installation: number | null }, logger: Logger, record: (action: GithubActionRecord) => void, signal?: AbortSignal) => GithubClient;
  /**
   * A client for work that is not a task (the security-incident reporter): writes recorded
   * under `agent` with no task, paced with everything else. App auth looks up the
   * repository's installation (`GET /repos/{owner}/{repo}/installation`) once.
   */
  forRepository: (repo: string, agent: string, logger: Logger, record: (action: GithubActionRecord) => void) => Promise<GithubClient>;
  /** switchyard's own logins: its comments and labels never trigger anything. */
  ownLogins: () => readonly string[];
  /** Looks up the identity (GET /user, or GET /app for an App); failures are logged, not thrown. */
  resolveIdentity: () => Promise<void>;
  /**
   * Settles once the identity lookup has answered or failed (at most IDENTITY_WAIT_MS): a
   * task waits for it, since only comments by switchyard's own logins are edited or trusted,
   * and one started before the lookup answers would post a second comment.
   */
  whenIdentityKnown?: () => Promise<void>;
}

/** How long a task waits for the identity lookup before it goes on without it. */
const IDENTITY_WAIT_MS = 10_000;


export function createGithubRuntime(config: Config, logger: Logger): GithubRuntime {
  const factory = createOctokitFactory(config.github, logger);
  const dryRun = isDryRun(config.github, factory.mode);
  const pace = createWritePacer(config.github.writeIntervalMs);
  const logins = new Set<string>([ACTIONS_IDENTITY]);
  const installations = new Map<string, number>();
  let lookup: Promise<void> | null = null;

  return {
    mode: factory.mode,
    dryRun,
    forTask: (task, log, record, signal) =>
      createGithubClient({
        signal,
        octokit: factory.forInstallation(task.installation),
        dryRun,
        record,
        logger: log,
        pace,
        paceKey: factory.paceKey(task.installation),
        agent: task.agent,
        task: task.id,
      }),
    forRepository: async (repo, agent, log, record) => {
      let installation = installations.get(repo) ?? null;
      if (factory.mode === "app" && installation === null) {
        const { data } = await factory.appClient()!.request("GET /repos/{owner}/{repo}/installation", { ...repoRef(repo) });
        installation = data.id;
        installations.set(repo, installation);
      }
      return createGithubClient({ octokit: factory.forInstallation(installation), dryRun, record, logger: log, pace, paceKey: factory.paceKey(installation), agent, task: null });
    },
    ownLogins: () => [...logins],
    whenIdentityKnown: async () => {
      if (!lookup) return;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, IDENTITY_WAIT_MS);
        timer.unref();
      });
      await Promise.race([lookup, bound]).finally(() => clearTimeout(timer));
    },
    resolveIdentity: () => (lookup = lookupIdentity()),
  };

  async function lookupIdentity(): Promise<void> {
    try {
      if (factory.mode === "token") {
        const { data } = await factory.forInstallation(null)!.request("GET /user");
        logins.add(data.login);
      } else if (factory.mode === "app") {
        const { data } = await factory.appClient()!.request("GET /app");
        if (data?.slug) logins.add(`${data.slug}[bot]`);
      }
    } catch (error) {
      logIdentityFailure(logger, factory.mode, error);
    }
  }
}

/**
 * The identity lookup is the first call switchyard makes with its credentials, so its
 * failure is where a wrong token shows first: said plainly (and without a stack), since
 * every agent's GitHub write will fail the same way until the credentials are fixed.
 */
function logIdentityFailure(logger: Logger, mode: AuthMode, error: unknown): void {
  const reason = classifyError(error, Date.now()).reason;
  const status = (error as { status?: unknown } | null)?.status;
  const credentials = mode === "app" ? "the GitHub App's credentials (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)" : "GITHUB_TOKEN";
  if (status === 401) {
    logger.error({ reason }, `GitHub rejected ${credentials} (${reason}): every GitHub write an agent makes will fail until they are fixed`);
    return;
  }
  logger.warn({ reason }, `could not look up switchyard's own GitHub identity (${reason}); its own comments are still never acted on (their marker), but it cannot tell them from anyone else's, so it posts new comments instead of editing its earlier ones`);
}
