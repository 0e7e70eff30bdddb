import type { RuleWhen } from "../config/schema.js";

/** One entry under `on:` in the generated webhook-handler.yml. */
export interface WorkflowTrigger {
  event: string;
  /** Activity types; null when some rule takes every type (no action, or a pattern). */
  types: string[] | null;
  /** push only: the branches; null when some rule takes every branch. */
  branches?: string[] | null;
  /** workflow_run only: the workflows (by name) whose runs are watched. */
  workflows?: string[];
}

export interface TriggerFacts {
  /** The rules in force, as compileRules made them (Guardian's workflows already folded in). */
  rules: readonly { id: string; when: RuleWhen }[];
  /** routing.deployBranches; [] means the default branch. */
  deployBranches: readonly string[];
  defaultBranch: string;
  /** The names of the repository's other workflows, for workflow_run when no rule names any. */
  existingWorkflows: readonly string[];
}

export interface DerivedTriggers {
  triggers: WorkflowTrigger[];
  /** Why some rule has no trigger: shown to the user and written into the workflow. */
  notes: string[];
}

/**
 * The events GitHub Actions can start a workflow on (docs.github.com, "Events that trigger
 * workflows"). App-only events (installation, ping, …) reach switchyard only through `serve`.
 */
export const ACTIONS_EVENTS: ReadonlySet<string> = new Set([
  "branch_protection_rule", "check_run", "check_suite", "create", "delete", "deployment", "deployment_status",
  "discussion", "discussion_comment", "fork", "gollum", "issue_comment", "issues", "label", "merge_group",
  "milestone", "page_build", "public", "pull_request", "pull_request_review", "pull_request_review_comment",
  "pull_request_target", "push", "registry_package", "release", "repository_dispatch", "status", "watch", "workflow_run",
]);

const PATTERN = /^\/.+\/[a-z]*$/;

/** Plain values of a condition; null when it holds a /pattern/ (no finite list of values). */
function plainValues(spec: string | string[]): string[] | null {
  const values = Array.isArray(spec) ? spec : [spec];
  return values.some((v) => PATTERN.test(v)) ? null : values;
}

/** Union of lists where null ("everything") absorbs the rest. */
function merge(a: string[] | null | undefined, b: string[] | null): string[] | null {
  if (a === null || b === null) return null;
  return [...new Set([...(a ?? []), ...b])];
}

/**
 * The `on:` triggers that make GitHub run the workflow for exactly the events some rule can
 * match (docs/routing.md): each rule's event with its actions as `types`, push limited
 * to the branches the rules deploy from, workflow_run limited to the watched workflows (it
 * requires a list). Pure: the repository facts are parameters.
 *
 * @example deriveTriggers({ rules: DEFAULT_RULES, deployBranches: [], defaultBranch: "main", existingWorkflows: ["CI"] }).triggers[0] // {event: "issues", types: ["labeled", "opened", "assigned", "closed"]}
 */
export function deriveTriggers(facts: TriggerFacts): DerivedTriggers {
  const byEvent = new Map<string, WorkflowTrigger>();
  const notes: string[] = [];
  // Rules that watch every workflow (Guardian by default) get the ones the repository has today.
  const watchingAll: string[] = [];
  for (const { id, when } of facts.rules) {
    const event = when.event;
    if (PATTERN.test(event)) {
      notes.push(`rule ${id} matches events by the pattern ${event}: add the events it should run on under on: yourself`);
      continue;
    }
    if (!ACTIONS_EVENTS.has(event)) {
      notes.push(`rule ${id}: ${event} events cannot start a GitHub Actions workflow; only switchyard serve receives them`);
      continue;
    }
    const trigger = byEvent.get(event) ?? { event, types: [] };
    trigger.types = merge(trigger.types, when.action === undefined ? null : plainValues(when.action));
    if (event === "push") trigger.branches = merge(trigger.branches, pushBranches(when, facts));
    if (event === "workflow_run") {
      const named = when.workflow === undefined ? null : plainValues(when.workflow);
      if (named === null) watchingAll.push(id);
      trigger.workflows = [...new Set([...(trigger.workflows ?? []), ...(named ?? facts.existingWorkflows)])];
    }
    byEvent.set(event, trigger);
  }
  const triggers: WorkflowTrigger[] = [];
  for (const trigger of byEvent.values()) {
    if (trigger.event === "workflow_run" && trigger.workflows!.length === 0) {
      notes.push("workflow_run is left out: GitHub requires the names of the workflows to watch, and guardian.workflows is empty and the repository has no other workflow yet; set guardian.workflows and run switchyard init --force");
      continue;
    }
    if (trigger.event === "workflow_run" && watchingAll.length > 0) {
      const rules = watchingAll.length === 1 ? `rule ${watchingAll[0]} watches` : `rules ${watchingAll.join(", ")} watch`;
      notes.push(
        `${rules} every workflow, and GitHub needs their names: workflow_run lists ${trigger.workflows!.join(", ")}, so a workflow added later is watched only after switchyard init --force (or name the workflows: guardian.workflows for Guardian, when.workflow for a rule of yours)`,
      );
    }
    triggers.push(trigger);
  }
  return { triggers, notes };
}

/** The branches a push rule can match: its deploy branches, its named branches, or all. */
function pushBranches(when: RuleWhen, facts: TriggerFacts): string[] | null {
  // A tag push has no branch: a branch filter would hide it from a rule that wants tags.
  if (when.tag === true) return null;
  if (when.deployBranch === true) return facts.deployBranches.length > 0 ? [...facts.deployBranches] : [facts.defaultBranch];
  if (when.defaultBranch === true) return [facts.defaultBranch];
  if (when.branch !== undefined) return plainValues(when.branch);
  return null;
}
