import type { EventPayload } from "./event-payload.js";

/**
 * Why a workflow run is on none of the repository's branches, or null when it may be on one.
 * A run for a fork's pull request carries the fork's branch as its head branch, usually
 * `main`: routing explains with this why no branch condition holds, and Guardian why it
 * reports nothing.
 *
 * @example forkRunReason(normalizeEvent("workflow_run", forkPrRun)) // "the workflow run is from attacker/r, not octo-org/r: its branch main is not this repository's"
 */
export function forkRunReason(event: EventPayload): string | null {
  const run = event.workflow;
  if (!run?.fromFork) return null;
  const from = run.headRepository === null ? "a head repository the payload does not name" : run.headRepository;
  return `the workflow run is from ${from}, not ${event.repository ?? "the repository"}: its branch ${run.headBranch ?? "(none)"} is not this repository's`;
}
