import type { PlanStep } from "../../builtin/coordinator/build-plan.js";

/** Marks switchyard's pull requests, as OWN_MARKER marks its comments. */
export const PULL_MARKER = "<!-- switchyard:workspace-pr -->";

export interface PullBodyInput {
  issue: number;
  plan: readonly PlanStep[];
  task: string;
  attempt: number;
  /** The tail of the agent's output, secrets already masked. */
  summary: string;
}

/**
 * The pull request's description: closes the issue, carries the plan as a checklist and the
 * run's summary. Rewritten on every run of the issue, so it describes the latest one.
 *
 * @example renderPullBody({ issue: 12, plan: [], task: "41", attempt: 1, summary: "done" })
 */
export function renderPullBody(input: PullBodyInput): string {
  const plan = input.plan.map((s) => `- [${s.done ? "x" : " "}] ${s.text.replace(/\n/g, " ")}`).join("\n");
  const fence = input.summary.includes("```") ? "~~~~" : "```";
  return [
    PULL_MARKER,
    `Closes #${input.issue}`,
    "",
    "### Plan",
    "",
    plan || `_#${input.issue} has no task list._`,
    "",
    `### Run summary (task ${input.task}, attempt ${input.attempt})`,
    "",
    input.summary.trim() ? `${fence}\n${input.summary}\n${fence}` : "_The agent printed nothing._",
    "",
    "_Opened by switchyard's workspace executor: a coding agent ran on this branch; review it as you would any contribution._",
  ].join("\n");
}
