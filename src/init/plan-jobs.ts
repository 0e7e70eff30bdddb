import { EXECUTION_AGENT } from "../agents/builtin/coordinator/coordinator-agent.js";
import type { Config, ExecutorConfig, RuleWhen } from "../config/schema.js";
import type { WorkflowTrigger } from "./derive-triggers.js";
import { planAgentSetup, type AgentSetup, type RepositoryFiles } from "./plan-agent-setup.js";

/** The GITHUB_TOKEN scopes the generated workflow grants, in the order it lists them. */
export const SCOPES = ["contents", "issues", "pull-requests", "statuses", "deployments", "actions", "discussions"] as const;
export type Scope = (typeof SCOPES)[number];

/** One scope a job grants, with why (each reason becomes part of the line's comment). */
export interface Grant {
  level: "read" | "write";
  reasons: string[];
}

/** One job of webhook-handler.yml: the events of one trigger and what their agents need. */
export interface PlannedJob {
  /** The job id: the event's name. */
  id: string;
  event: string;
  /** The agents the rules on this event run, in rule order. */
  agents: string[];
  permissions: Partial<Record<Scope, Grant>>;
  /** Pull-request events: read the config from the default branch, never the pull request's head. */
  configFromDefaultBranch: boolean;
  /** Agents whose GitHub needs switchyard cannot know (exec, http): the user widens the job for them. */
  notes: string[];
  /** What the job's exec and workspace agents need on the runner: files beside the config, secrets, notes. */
  setup: AgentSetup;
}

type Need = [Scope, Grant["level"], string];

const REVIEW: Need[] = [
  ["pull-requests", "write", "ReviewAgent: review comment, size labels, reviewers"],
  ["statuses", "write", "ReviewAgent: the switchyard/review commit status"],
  ["contents", "read", "ReviewAgent: the pull request's files"],
];
const DEPLOYMENT: Need[] = [
  ["deployments", "write", "DeploymentAgent: deployments and their statuses"],
  ["contents", "read", "DeploymentAgent: the commit to deploy"],
];

/** What each built-in agent writes (and reads beyond metadata) through GITHUB_TOKEN, from its code. */
const BUILTIN_NEEDS: Record<string, Need[]> = {
  IssueAgent: [["issues", "write", "IssueAgent: labels"]],
  ReviewAgent: REVIEW,
  DeploymentAgent: DEPLOYMENT,
  Guardian: [["issues", "write", "Guardian: escalation issues"]],
  log: [],
};

/**
 * CoordinatorAgent by event: a comment's `/agent` commands (review, deploy, rollback run
 * ReviewAgent's and DeploymentAgent's code, on an issue or a pull request); the
 * agent-execute label on an issue (a reply); a discussion comment's commands (replies in
 * the discussion, and the issue `/convert-to-issue` opens); nothing else reaches it.
 */
function coordinatorNeeds(event: string): Need[] {
  if (event === "issue_comment") {
    return [["issues", "write", "CoordinatorAgent: replies and reactions"], ["pull-requests", "write", "CoordinatorAgent: replies on pull requests"], ...REVIEW, ...DEPLOYMENT];
  }
  if (event === "discussion_comment") {
    return [["discussions", "write", "CoordinatorAgent: replies in discussions"], ["issues", "write", "CoordinatorAgent: /convert-to-issue"]];
  }
  return event === "issues" ? [["issues", "write", "CoordinatorAgent: replies and reactions"]] : [];
}

const PULL_REQUEST_EVENTS = new Set(["pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"]);

/** Events about an issue, a pull request, or either: where the routing comment goes. */
function routingCommentNeeds(event: string): Need[] {
  const reason = "the routing comment";
  if (event === "issues") return [["issues", "write", reason]];
  if (PULL_REQUEST_EVENTS.has(event)) return [["pull-requests", "write", reason]];
  if (event === "issue_comment") return [["issues", "write", reason], ["pull-requests", "write", reason]];
  return [];
}

/** What an agent needs on `event` through its executor, and a note when switchyard cannot know. */
function agentNeeds(agent: string, event: string, config: Config, notes: string[]): Need[] {
  const executor: ExecutorConfig | undefined = config.agents[agent];
  if (executor !== undefined && typeof executor === "object" && !("builtin" in executor)) {
    if ("workflow" in executor) return [["actions", "write", `${agent}: dispatches its workflow`]];
    if ("workspace" in executor) {
      const why = `${agent}: pushes a branch and opens a pull request`;
      return [["contents", "write", why], ["pull-requests", "write", why], ["issues", "write", `${agent}: comments and state labels`]];
    }
    notes.push(`${agent} runs ${"exec" in executor ? "a program" : "an HTTP endpoint"}: grant this job what it does with GITHUB_TOKEN, if anything`);
    return [];
  }
  const builtin = executor === undefined || executor === "builtin" ? agent : executor.builtin;
  const needs = builtin === "CoordinatorAgent" ? coordinatorNeeds(event) : (BUILTIN_NEEDS[builtin] ?? []);
  const deploys = needs.some(([scope]) => scope === "deployments");
  return deploys && config.deploy.workflow !== null ? [...needs, ["actions", "write", `${builtin}: dispatches deploy.workflow`]] : needs;
}

function grant(permissions: PlannedJob["permissions"], [scope, level, reason]: Need): void {
  const current = permissions[scope];
  if (current === undefined) {
    permissions[scope] = { level, reasons: [reason] };
    return;
  }
  if (level === "write") current.level = "write";
  if (!current.reasons.includes(reason)) current.reasons.push(reason);
}

/**
 * The jobs of webhook-handler.yml: one per trigger, running only for its event, granted the
 * union of what the agents of the rules on that event need (and, with `execute`, the
 * ExecutionAgent it hands over to), plus reading the config and, unless `comments: off`,
 * writing the routing comment; and what those agents need on the runner (planAgentSetup).
 * Pure: the rules, the config and the repository's files are parameters.
 *
 * @example planJobs(derived.triggers, rules, config)[0] // { id: "issues", agents: ["CoordinatorAgent", "IssueAgent"], permissions: {contents: read, issues: write}, … }
 */
export function planJobs(triggers: readonly WorkflowTrigger[], rules: readonly { agent: string; when: RuleWhen }[], config: Config, files?: RepositoryFiles): PlannedJob[] {
  return triggers.map(({ event }) => {
    const agents = [...new Set(rules.filter((r) => r.when.event === event).map((r) => r.agent))];
    const notes: string[] = [];
    const permissions: PlannedJob["permissions"] = {};
    // `execute` (a comment, or the agent-execute label on an issue) hands the plan to the ExecutionAgent, in this job.
    const executes = agents.includes("CoordinatorAgent") && (event === "issues" || event === "issue_comment") && config.agents[EXECUTION_AGENT] !== undefined;
    const runs = executes ? [...agents, EXECUTION_AGENT] : agents;
    const setup = planAgentSetup(runs, config, files);
    grant(permissions, ["contents", "read", setup.checkout.length > 0 ? "check out switchyard.config.yaml and its exec agents' programs" : "check out switchyard.config.yaml"]);
    for (const agent of runs) for (const need of agentNeeds(agent, event, config, notes)) grant(permissions, need);
    if (config.comments !== "off") for (const need of routingCommentNeeds(event)) grant(permissions, need);
    return { id: event, event, agents, permissions, configFromDefaultBranch: PULL_REQUEST_EVENTS.has(event), notes, setup };
  });
}
