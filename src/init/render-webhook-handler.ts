import { CHECKOUT, SWITCHYARD, usesLine, type ActionPin } from "./action-pins.js";
import type { DerivedTriggers, WorkflowTrigger } from "./derive-triggers.js";
import { SCOPES, type PlannedJob } from "./plan-jobs.js";
import { yamlList, yamlString } from "./yaml-text.js";

/** Where `switchyard init` writes the workflow that routes events in Actions mode. */
export const WEBHOOK_HANDLER_FILE = ".github/workflows/webhook-handler.yml";

/** The config file the jobs check out and the action reads. */
const CONFIG_FILE = "switchyard.config.yaml";

/** Text for a `#` comment: a line break in a name from the config must not end the comment. */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, " ");
}

function renderTrigger(trigger: WorkflowTrigger): string[] {
  const fields: string[] = [];
  if (trigger.types !== null && trigger.types.length > 0) fields.push(`    types: ${yamlList(trigger.types)}`);
  if (trigger.branches) fields.push(`    branches: ${yamlList(trigger.branches)}`);
  if (trigger.workflows) fields.push(`    workflows: ${yamlList(trigger.workflows)}`);
  // `push:` with nothing under it is null in YAML, which Actions reads as "every push".
  return fields.length === 0 ? [`  ${yamlString(trigger.event)}:`] : [`  ${yamlString(trigger.event)}:`, ...fields];
}

function renderPermissions(job: PlannedJob): string[] {
  const lines = SCOPES.flatMap((scope) => {
    const grant = job.permissions[scope];
    return grant ? [[`${scope}: ${grant.level}`, grant.reasons.join("; ")] as const] : [];
  });
  const width = Math.max(...lines.map(([line]) => line.length));
  return lines.map(([line, why]) => `      ${line.padEnd(width)}  # ${why}`);
}

/** The steps every job runs: the config from a trusted ref, then switchyard's action. */
function renderSteps(job: PlannedJob, action: ActionPin): string[] {
  return [
    "    steps:",
    `      - uses: ${usesLine(CHECKOUT)}`,
    "        with:",
    ...(job.configFromDefaultBranch
      ? [
          "          # The config (which can name programs to run) comes from the default branch,",
          "          # never from the pull request: its head is whatever its author pushed.",
          "          ref: ${{ github.event.repository.default_branch }}",
        ]
      : []),
    ...renderSparseCheckout(job),
    "          persist-credentials: false",
    "      # The event reaches switchyard only as the file GITHUB_EVENT_PATH names.",
    `      - uses: ${usesLine(action)}`,
    "        env:",
    "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    ...renderSecrets(job),
  ];
}

/** The config alone, or with the exec agents' programs: files of the same trusted ref, nothing else. */
function renderSparseCheckout(job: PlannedJob): string[] {
  const { checkout, wholeRepository } = job.setup;
  // A workspace agent's worktree is made from this checkout: a sparse one would hand it an
  // empty tree (git carries the sparse patterns into the worktree).
  if (wholeRepository) return ["          # The whole repository (of the same trusted ref as the config): a workspace agent works in", "          # a worktree made from it. No token left behind in .git/config."];
  if (checkout.length === 0) return ["          # Only the config file, and no token left behind in .git/config.", `          sparse-checkout: ${CONFIG_FILE}`, "          sparse-checkout-cone-mode: false"];
  return [
    "          # Only the config file and what its exec agents run (a program's directory; a file",
    "          # at the root alone), from the same ref as the config; no token left in .git/config.",
    "          sparse-checkout: |",
    `            ${CONFIG_FILE}`,
    ...checkout.map((pattern) => `            ${pattern}`),
    "          sparse-checkout-cone-mode: false",
  ];
}

/** GitHub's longest job on its hosted runners: 6 hours. */
const MAX_JOB_MINUTES = 360;

/**
 * Long enough for the job's slowest agent to run out its timeout on every attempt its retry
 * policy allows, plus 5 minutes for the rest of the job; never under 15 minutes, nor over
 * what GitHub allows a job.
 */
function timeoutMinutes(job: PlannedJob): number {
  return Math.min(MAX_JOB_MINUTES, Math.max(15, Math.ceil(job.setup.longestRunMs / 60_000) + 5));
}

/** The variables the agents list under `env:`, from repository secrets: one line each, saying whose. */
function renderSecrets(job: PlannedJob): string[] {
  const { secrets } = job.setup;
  if (secrets.length === 0) return [];
  return [
    "          # What the agents list under env:, from repository secrets (switchyard passes each",
    "          # only to the agents that list it; a secret not created arrives empty, as unset).",
    ...secrets.map(({ name, agents }) => `          ${name}: \${{ secrets.${name} }}  # ${oneLine(agents.join(", "))}`),
  ];
}

function renderJob(job: PlannedJob, action: ActionPin): string[] {
  return [
    `  ${job.id}:`,
    `    # ${job.agents.length > 0 ? oneLine(job.agents.join(", ")) : "no agent"}`,
    ...[...job.notes, ...job.setup.notes].map((note) => `    # Note: ${oneLine(note)}`),
    `    if: github.event_name == '${job.event}'`,
    "    runs-on: ubuntu-latest",
    `    timeout-minutes: ${timeoutMinutes(job)}`,
    "    permissions:",
    ...renderPermissions(job),
    ...renderSteps(job, action),
  ];
}

/** With no trigger, a manual run at least shows the workflow works. */
const MANUAL_JOB: PlannedJob = {
  id: "route",
  event: "workflow_dispatch",
  agents: [],
  permissions: { contents: { level: "read", reasons: ["check out switchyard.config.yaml"] } },
  configFromDefaultBranch: false,
  notes: [],
  setup: { checkout: [], secrets: [], notes: [], wholeRepository: false, longestRunMs: 0 },
};

/**
 * The text of webhook-handler.yml: the derived triggers, one job per triggering event with
 * the permissions of that event's agents (the workflow itself grants none), one run at a
 * time per issue or pull request, and switchyard's own action, pinned by commit like every
 * action here. No `run:` step at all, so no expression can become a shell command. Each job
 * checks out the config and what its exec agents run (on pull-request events from the
 * default branch), and passes the secrets its agents' `env:` names to switchyard's step.
 *
 * @example writeFileSync(WEBHOOK_HANDLER_FILE, renderWebhookHandler(derived, planJobs(derived.triggers, rules, config)))
 */
export function renderWebhookHandler({ triggers, notes }: DerivedTriggers, jobs: readonly PlannedJob[], action: ActionPin = SWITCHYARD): string {
  const noteLines = notes.map((note) => `  # Note: ${note}`);
  const rendered = triggers.length === 0 ? [MANUAL_JOB] : jobs;
  return [
    "# Generated by `switchyard init`. Runs switchyard's GitHub Action for the events its",
    "# routing rules handle. The triggers and each job's permissions are derived from those",
    "# rules: after changing them (switchyard.config.yaml), run `switchyard init --force`.",
    "# The job summary of each run shows the decision, each task's outcome and the GitHub",
    "# writes made. Every action is pinned by commit, its tag in the comment.",
    "name: switchyard",
    "",
    "on:",
    ...triggers.flatMap(renderTrigger),
    // `on:` must name some event; a manual run at least shows the workflow works.
    ...(triggers.length === 0 ? ["  # No routing rule can start a workflow: only a manual run does.", "  workflow_dispatch:"] : []),
    ...noteLines,
    "",
    "# Nothing here: each job below grants exactly what its agents need.",
    "permissions: {}",
    "",
    "# One run at a time per issue or pull request (other events: per ref), so two events",
    "# about one issue never edit its labels and routing comment at once. A merged pull",
    "# request queues with the pushes to its base branch: the merge and the push of one sha",
    "# run one after the other, and the second finds the deployment. Runs wait rather",
    "# than cancel each other; `queue: max` lets up to 100 wait, where GitHub otherwise keeps",
    "# one waiting run per group and cancels the rest (their events would never be handled).",
    "# On a GitHub Enterprise Server without `queue`, delete that line.",
    "concurrency:",
    "  group: switchyard-${{ (github.event.pull_request.merged && format('refs/heads/{0}', github.event.pull_request.base.ref)) || github.event.issue.number || github.event.pull_request.number || github.ref }}",
    "  cancel-in-progress: false",
    "  queue: max",
    "",
    "jobs:",
    ...rendered.flatMap((job, i) => (i === 0 ? renderJob(job, action) : ["", ...renderJob(job, action)])),
    "",
  ].join("\n");
}
