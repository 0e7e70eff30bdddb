import type { AgentContext } from "../../../src/agents/agent.js";
import { coordinatorAgent } from "../../../src/agents/builtin/coordinator/coordinator-agent.js";
import type { Config } from "../../../src/config/schema.js";
import { normalizeEvent } from "../../../src/events/normalize-event.js";
import { createGithubClient } from "../../../src/github/github-client.js";
import { createWritePacer } from "../../../src/github/write-pacer.js";
import { createLogger } from "../../../src/observability/logger.js";
import type { ClaimedTask, GithubActionRecord } from "../../../src/store/store.js";

/** The store an agent sees, with nothing in it: a test replaces what it needs. */
const EMPTY_STORE: AgentContext["store"] = {
  enqueue: async () => {
    throw new Error("unused");
  },
  deliveryTasks: async () => [],
  history: async () => [],
  githubWrites: async () => [],
  subjectWrites: async () => [],
};

/**
 * Runs CoordinatorAgent on an issue_comment payload as the task of rule comment-command, in
 * dry-run without credentials: its output, and the GitHub writes it recorded, in order (into
 * `writes` when given, so a test's store can look at them as the agent goes).
 */
export async function runCoordinator(
  payload: Record<string, unknown>,
  config: Config,
  { store = {}, writes = [], replays = 0 }: { store?: Partial<AgentContext["store"]>; writes?: GithubActionRecord[]; replays?: number } = {},
) {
  const logger = createLogger("silent");
  const github = createGithubClient({ octokit: null, dryRun: true, record: (a) => writes.push(a), logger, pace: createWritePacer(0), paceKey: "token", agent: "CoordinatorAgent", task: "1" });
  const ctx: AgentContext = {
    task: { id: "1", delivery: "d-1", rule: "comment-command", replays } as ClaimedTask,
    event: normalizeEvent("issue_comment", payload),
    payload,
    logger,
    store: { ...EMPTY_STORE, ...store },
    signal: new AbortController().signal,
    github,
    config,
    ownLogins: [],
    mode: "server",
  };
  const result = await coordinatorAgent.handle(ctx);
  return { output: result?.output, writes };
}
