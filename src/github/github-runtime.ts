import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { ACTIONS_IDENTITY } from "../routing/decide.js";
import type { GithubActionRecord } from "../store/store.js";
import { createOctokitFactory } from "./create-octokit-factory.js";
import { createGithubClient, repoRef, type GithubClient } from "./github-client.js";
import { answerShape, NotGithubApiError } from "./json-answers.js";
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

/** How long after a lookup starts tasks wait for it, in all (one deadline, not one per task). */
const IDENTITY_WAIT_MS = 10_000;
/** A lookup request's options: bounded like the tasks' wait for it, so a hung one does not keep the next try away. */
const bounded = () => ({ request: { signal: AbortSignal.timeout(IDENTITY_WAIT_MS) } });
/** How soon after a failed lookup a task starts another: a blip at start-up must not last until a restart. */
const IDENTITY_RETRY_MS = 60_000;

/**
 * `actions`: the runtime of `switchyard route`, where switchyard writes with the job's
 * token, so `github-actions[bot]` is one of its own logins. Under `serve` it is not: any
 * workflow in the repository writes as it, and its comments must not count as switchyard's.
 */
export function createGithubRuntime(config: Config, logger: Logger, options: { actions?: boolean } = {}): GithubRuntime {
  const factory = createOctokitFactory(config.github, logger);
  const dryRun = isDryRun(config.github, factory.mode);
  const pace = createWritePacer(config.github.writeIntervalMs);
  const logins = new Set<string>(options.actions ? [ACTIONS_IDENTITY] : []);
  const installations = new Map<string, number>();
  let lookup: Promise<void> | null = null;
  let lookupStarted = 0;
  let known = false;
  const startLookup = (): Promise<void> => {
    lookupStarted = Date.now();
    return (lookup = lookupIdentity());
  };

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
      if (!lookup || known) return;
      // A lookup that failed is tried again now and then, by the task that finds it stale.
      if (Date.now() - lookupStarted >= IDENTITY_RETRY_MS) void startLookup();
      const left = lookupStarted + IDENTITY_WAIT_MS - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
        timer.unref();
      });
      await Promise.race([lookup, bound]).finally(() => clearTimeout(timer));
    },
    resolveIdentity: startLookup,
  };

  async function lookupIdentity(): Promise<void> {
    try {
      if (factory.mode === "token") {
        logins.add(await tokenLogin(factory.forInstallation(null)!));
      } else if (factory.mode === "app") {
        const { data } = await factory.appClient()!.request("GET /app", bounded());
        logins.add(`${answerShape<{ slug: string }>("GET /app", data, { slug: "string" }).slug}[bot]`);
      }
      known = true;
    } catch (error) {
      // The job's token will not learn to name itself within the run: no lookup again a minute later.
      if (isJobTokenRefusal(factory.mode, error, options.actions === true)) known = true;
      logIdentityFailure(logger, factory.mode, error, options.actions === true);
    }
  }
}

/**
 * The login a token writes as. `GET /user` answers for a person's token; an App's
 * installation token (what `actions/create-github-app-token` mints) gets 403 there, and
 * GraphQL's `viewer` names it instead (`<app-slug>[bot]`).
 */
async function tokenLogin(octokit: NonNullable<ReturnType<ReturnType<typeof createOctokitFactory>["forInstallation"]>>): Promise<string> {
  try {
    const { data } = await octokit.request("GET /user", bounded());
    // An answer without a login would add `undefined` as a login and say nothing.
    return answerShape<{ login: string }>("GET /user", data, { login: "string" }).login;
  } catch (error) {
    if ((error as { status?: unknown } | null)?.status !== 403) throw error;
    const { data } = await octokit.request("POST /graphql", { query: "query { viewer { login } }", ...bounded() });
    const login = (data as { data?: { viewer?: { login?: unknown } } } | null)?.data?.viewer?.login;
    if (typeof login !== "string" || login === "") throw error;
    return login;
  }
}

/**
 * In Actions mode a 403 is the job's own GITHUB_TOKEN, which neither `GET /user` nor
 * GraphQL's `viewer` answers: its login, github-actions[bot], is already switchyard's.
 * (A token that can name itself, a person's or an App's passed as GITHUB_TOKEN, answers.)
 */
function isJobTokenRefusal(mode: AuthMode, error: unknown, actions: boolean): boolean {
  return actions && mode === "token" && (error as { status?: unknown } | null)?.status === 403;
}

/**
 * The identity lookup is the first call switchyard makes with its credentials, so its
 * failure is where a wrong token shows first: said plainly (and without a stack), since
 * every agent's GitHub write will fail the same way until the credentials are fixed. The
 * job's own token in Actions mode (isJobTokenRefusal) is said at debug level only: every run
 * would warn of nothing.
 */
function logIdentityFailure(logger: Logger, mode: AuthMode, error: unknown, actions: boolean): void {
  const reason = classifyError(error, Date.now()).reason;
  const status = (error as { status?: unknown } | null)?.status;
  if (isJobTokenRefusal(mode, error, actions)) {
    logger.debug({ reason }, `the token's own login is not readable (${reason}), as with the job's GITHUB_TOKEN: switchyard counts github-actions[bot] as its own`);
    return;
  }
  const credentials = mode === "app" ? "the GitHub App's credentials (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)" : "GITHUB_TOKEN";
  if (error instanceof NotGithubApiError) {
    logger.error({ reason }, `GitHub's API did not answer like GitHub (${reason}): every GitHub call an agent makes will fail until github.apiUrl is fixed`);
    return;
  }
  if (status === 401) {
    logger.error({ reason }, `GitHub rejected ${credentials} (${reason}): every GitHub write an agent makes will fail until they are fixed`);
    return;
  }
  const fallback = actions
    ? "it counts the comments of github-actions[bot] (the job's token) as its own"
    : "it cannot tell its comments from anyone else's, so it posts new comments instead of editing its earlier ones until a later lookup succeeds (tried again every minute)";
  logger.warn({ reason }, `could not look up switchyard's own GitHub identity (${reason}); its own comments are still never acted on (their marker), but ${fallback}`);
}
