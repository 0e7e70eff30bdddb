/** A deployment of one environment with the state of its latest status (null: none yet). */
export interface DeploymentWithState {
  id: number;
  sha: string;
  state: string | null;
}

export interface RollbackChoice<D extends DeploymentWithState> {
  /** What runs now: the newest deployment whose latest status is `success`. */
  current: D | null;
  /** What to redeploy: the newest older deployment that once succeeded, of another sha. */
  target: D | null;
}

/**
 * States that say a deployment once ran successfully. GitHub marks earlier successful
 * deployments of a non-production environment `inactive` when a newer one succeeds, and
 * only successful ones: so `inactive` means "ran, then was replaced".
 * https://docs.github.com/rest/deployments/statuses#create-a-deployment-status (auto_inactive)
 */
const ONCE_SUCCEEDED = new Set(["success", "inactive"]);

/**
 * Picks the sha to roll back to from an environment's deployments, newest first: the
 * current one is the newest whose latest status is `success` (an in-flight or failed newer
 * deployment does not count); the target is the newest older one that succeeded with a
 * different sha, so repeated deployments of the current sha are skipped. Rolling back a
 * rollback therefore returns to the sha it replaced, like `cd -`.
 *
 * The answer for a prefix of the list never changes as more of it is read, so a caller
 * may read statuses one deployment at a time and stop once `target` is found.
 *
 * @example
 * chooseRollbackTarget([
 *   { id: 3, sha: "c", state: "failure" },
 *   { id: 2, sha: "b", state: "success" },
 *   { id: 1, sha: "a", state: "success" },
 * ]); // { current: {id: 2, sha: "b", …}, target: {id: 1, sha: "a", …} }
 */
export function chooseRollbackTarget<D extends DeploymentWithState>(newestFirst: readonly D[]): RollbackChoice<D> {
  const at = newestFirst.findIndex((d) => d.state === "success");
  if (at === -1) return { current: null, target: null };
  const current = newestFirst[at]!;
  const target = newestFirst.slice(at + 1).find((d) => d.sha !== current.sha && d.state !== null && ONCE_SUCCEEDED.has(d.state)) ?? null;
  return { current, target };
}
