import type { EventPayload } from "../../../events/event-payload.js";

/** What to deploy: a commit, and the branch it was deployed from (the deploy workflow runs on it). */
export interface DeployTarget {
  sha: string;
  ref: string;
}

/**
 * The commit a push or a merged pull request asks to deploy: the push's `after` on its
 * branch, or the merge commit on the pull request's base. Anything else (a tag, a deleted
 * branch, a pull request closed without merging) gives the reason nothing is deployed;
 * the routing rules already exclude these, but a config rule or a replay may send them.
 *
 * @example
 * deployTargetOf(normalizeEvent("push", pushPayload)); // { sha: "6113728f…", ref: "main" }
 */
export function deployTargetOf(event: EventPayload): DeployTarget | { skip: string } {
  if (event.type === "push") {
    if (event.isTag) return { skip: "a tag push: deployments follow branches" };
    if (event.deleted) return { skip: "the branch was deleted: nothing to deploy" };
  } else if (event.type === "pull_request") {
    if (event.merged !== true) return { skip: "the pull request was closed without merging: nothing to deploy" };
  } else {
    return { skip: `${event.type} events do not deploy: only pushes and merged pull requests do` };
  }
  if (!event.sha || !event.branch) return { skip: "the event names no commit or branch to deploy" };
  return { sha: event.sha, ref: event.branch };
}
