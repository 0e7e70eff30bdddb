import type { PlanStep } from "../../builtin/coordinator/build-plan.js";
import { codeBlock, escapeMarkdown } from "../../../summary/escape-markdown.js";

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
 * run's summary. Rewritten on every run of the issue, so it describes the latest one. The
 * steps are the issue author's words and the summary is what the agent printed: switchyard
 * publishes both, so a step is escaped (no mention, link, image, HTML or control character)
 * and the summary sits in a fence nothing inside can close.
 *
 * @example renderPullBody({ issue: 12, plan: [], task: "41", attempt: 1, summary: "done" })
 */
export function renderPullBody(input: PullBodyInput): string {
  const plan = input.plan.map((s) => `- [${s.done ? "x" : " "}] ${escapeMarkdown(s.text)}`).join("\n");
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
    input.summary.trim() ? codeBlock(input.summary) : "_The agent printed nothing._",
    "",
    "_Opened by switchyard's workspace executor: a coding agent ran on this branch; review it as you would any contribution._",
  ].join("\n");
}
