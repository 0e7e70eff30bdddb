import { PermanentError } from "../../../queue/agent-errors.js";
import { classifyError } from "../../../queue/classify-error.js";
import type { Agent, AgentContext } from "../../agent.js";
import { chooseRollbackTarget, type DeploymentWithState } from "./choose-rollback-target.js";
import { deployTargetOf, type DeployTarget } from "./deploy-target-of.js";
import { DEPLOYER_HINT, hasDeployer } from "./has-deployer.js";
import { readOwnWrites, type OwnWrites } from "./read-own-writes.js";

export type { DeployTarget } from "./deploy-target-of.js";

/**
 * - `created`: a new deployment; `resumed`: an earlier attempt of this task created it and
 *   this one finished its statuses / dispatch;
 * - `exists`: the sha already had a deployment in the environment, nothing was done;
 * - `nothing-to-roll-back`: no earlier successful deployment of another sha;
 * - `unreadable`: no credentials, so GitHub's deployments could not be read (rollback only).
 */
export type DeployOutcome = "created" | "resumed" | "exists" | "nothing-to-roll-back" | "unreadable";

/** What `deploy` and `rollback` did, for a task's output or a command's reply (`summary`). */
export interface DeployResult {
  outcome: DeployOutcome;
  environment: string;
  /** The sha deployed (or found deployed); null when nothing was chosen. */
  sha: string | null;
  /** The branch deployed from; the deploy workflow is dispatched on it. */
  ref: string | null;
  /** null in dry-run (the deployment was recorded, not created) and when nothing was created. */
  deploymentId: number | null;
  /** The status switchyard left: always `queued`; the deploy workflow or an external deployer reports the rest. */
  status: "queued" | null;
  dispatched: boolean;
  /** For a rollback: the sha that was running before it. */
  rolledBackFrom: string | null;
  summary: string;
}

/** Rollback reads at most this many deployments' statuses (one request each), newest first. */
const ROLLBACK_SCAN_LIMIT = 50;
/** GitHub refuses deployment status descriptions over 140 characters. */
const MAX_DESCRIPTION = 140;

const short = (sha: string): string => sha.slice(0, 7);

function repositoryOf(ctx: AgentContext): string {
  if (!ctx.event.repository) throw new PermanentError(`${ctx.event.type} names no repository to deploy`);
  return ctx.event.repository;
}

interface Job {
  repo: string;
  environment: string;
  target: DeployTarget;
  rolledBackFrom: string | null;
}

function resultOf(job: Job, fields: Partial<DeployResult> & Pick<DeployResult, "outcome" | "summary">): DeployResult {
  return { environment: job.environment, sha: job.target.sha, ref: job.target.ref, deploymentId: null, status: null, dispatched: false, rolledBackFrom: job.rolledBackFrom, ...fields };
}

async function createDeployment(ctx: AgentContext, job: Job): Promise<number | null> {
  const { target, rolledBackFrom } = job;
  return ctx.github.createDeployment(job.repo, {
    // The sha, not the branch: GitHub's create-deployment takes no sha, and a branch ref
    // deploys whatever the branch points at when the request lands — a later push, for a
    // task that waited in the queue — which would also break "one deployment per sha".
    ref: target.sha,
    environment: job.environment,
    description: rolledBackFrom ? `rollback to ${short(target.sha)} (from ${short(rolledBackFrom)})` : `${target.ref} at ${short(target.sha)}, by switchyard`,
    payload: { switchyard: { delivery: ctx.task.delivery, task: ctx.task.id, event: ctx.event.type, branch: target.ref, ...(rolledBackFrom ? { rollbackFrom: rolledBackFrom } : {}) } },
  });
}

/**
 * Leaves the deployment in a state someone owns, and never claims a deploy that did not
 * happen. With a deploy workflow it is `queued`, and the workflow, given `deployment_id`,
 * reports in_progress / success / failure itself. Without one switchyard deploys nothing,
 * so the deployment stays `queued` for an external deployer, as in GitHub's own model: a
 * platform listening to the `deployment` event, or a human, reports its outcome
 * (https://docs.github.com/en/rest/deployments/deployments). Each step is skipped when an
 * earlier attempt of this task already did it.
 */
async function finish(ctx: AgentContext, job: Job, id: number | null, outcome: "created" | "resumed", own: OwnWrites): Promise<DeployResult> {
  const { repo, environment, target } = job;
  const workflow = ctx.config.deploy.workflow;
  const what = `${short(target.sha)} (${target.ref}) to ${environment}`;
  const subject = job.rolledBackFrom ? `rollback of ${environment} from ${short(job.rolledBackFrom)} to ${short(target.sha)} (${target.ref})` : `deployment of ${what}`;
  const nobody = hasDeployer(ctx.config) ? "" : `: no deployer is configured (${DEPLOYER_HINT})`;
  if (id === null) {
    const next = workflow === null ? `leave it queued for an external deployer${nobody}` : `mark it queued and dispatch workflow ${workflow} on ${target.ref}`;
    return resultOf(job, { outcome, summary: `dry-run: recorded a ${subject}; would ${next}` });
  }
  const status = async (state: "queued" | "error", description: string): Promise<void> => {
    if (!own.hasStatus(id, state)) await ctx.github.createDeploymentStatus(repo, id, { state, description: description.slice(0, MAX_DESCRIPTION) });
  };
  if (workflow === null) {
    await status("queued", nobody ? "waiting for an external deployer: switchyard has no deployer configured" : "waiting for a deployer");
    return resultOf(job, { outcome, deploymentId: id, status: "queued", summary: `${subject}: deployment ${id} created and left queued for an external deployer${nobody}` });
  }
  await status("queued", `waiting for workflow ${workflow}`);
  if (!own.hasDispatch(id)) {
    try {
      await ctx.github.dispatchWorkflow(repo, workflow, target.ref, { deployment_id: String(id), sha: target.sha, environment });
    } catch (error) {
      // A refused dispatch (undeclared inputs, no workflow_dispatch trigger) will not pass on
      // retry: say so on the deployment instead of leaving it queued forever.
      if (classifyError(error, Date.now()).kind === "permanent") await status("error", `could not dispatch workflow ${workflow}: ${(error as Error).message}`);
      throw error;
    }
  }
  return resultOf(job, { outcome, deploymentId: id, status: "queued", dispatched: true, summary: `${subject}: deployment ${id} queued; workflow ${workflow} dispatched on ${target.ref} reports the outcome` });
}

/**
 * Creates one GitHub Deployment of `target.sha` in `config.deploy.environment`, unless
 * that sha already has one there (GitHub's state is the only memory Actions mode has, and
 * it catches what the task idempotency key cannot: another process, a replay). Then leaves
 * it `queued` (see `finish`) and optionally dispatches `config.deploy.workflow` on `target.ref`
 * with inputs `deployment_id`, `sha`, `environment`. Without credentials the existing
 * deployments cannot be checked: the deployment is only recorded (dry-run) and the
 * summary says so.
 *
 * @example
 * const result = await deploy(ctx, { sha: event.sha, ref: "main" });
 * result.outcome; // "created" | "resumed" | "exists"
 */
export async function deploy(ctx: AgentContext, target: DeployTarget): Promise<DeployResult> {
  const job: Job = { repo: repositoryOf(ctx), environment: ctx.config.deploy.environment, target, rolledBackFrom: null };
  const own = await readOwnWrites(ctx, job.repo);
  if (!ctx.github.canRead) {
    const result = await finish(ctx, job, await createDeployment(ctx, job), "created", own);
    return { ...result, summary: `could not check GitHub for an existing deployment (no credentials); ${result.summary}` };
  }
  const [existing] = (await ctx.github.listDeployments(job.repo, { sha: target.sha, environment: job.environment })) ?? [];
  if (existing) {
    if (own.deployedSha(job.environment) === target.sha) return finish(ctx, job, existing.id, "resumed", own);
    return resultOf(job, {
      outcome: "exists",
      deploymentId: existing.id,
      summary: `deployment ${existing.id} of ${short(target.sha)} to ${job.environment} exists already (created ${existing.createdAt}): one deployment per sha and environment, nothing done`,
    });
  }
  return finish(ctx, job, await createDeployment(ctx, job), "created", own);
}

/**
 * `/agent deploy`: deploys the head of the repository's default branch, as `deploy` does.
 *
 * @example
 * const { summary } = await deployDefaultBranch(ctx); // "deployed 1a2b3c4 (main) to production: …"
 */
export async function deployDefaultBranch(ctx: AgentContext): Promise<DeployResult> {
  const repo = repositoryOf(ctx);
  const branch = ctx.event.defaultBranch;
  if (!branch) throw new PermanentError(`the ${ctx.event.type} payload does not say which branch is ${repo}'s default`);
  const environment = ctx.config.deploy.environment;
  const sha = await ctx.github.getRefSha(repo, branch);
  if (sha === null) {
    return { outcome: "unreadable", environment, sha: null, ref: branch, deploymentId: null, status: null, dispatched: false, rolledBackFrom: null, summary: `cannot read the head of ${branch} without GitHub credentials: nothing deployed` };
  }
  return deploy(ctx, { sha, ref: branch });
}

/**
 * `/agent rollback`: redeploys the previous successful sha of the environment (see
 * `chooseRollbackTarget`) as a new deployment described "rollback to …". This is the one
 * deliberate exception to "one deployment per sha": the old sha has deployments already,
 * and a rollback is an explicit, permission-checked request to run it again. A retried
 * rollback task finishes the deployment its earlier attempt created instead of choosing
 * again (by then that deployment may be the "current" one). The deploy workflow, if any,
 * is dispatched on `options.ref`, default the repository's default branch.
 *
 * @example
 * const result = await rollback(ctx);
 * if (result.outcome === "nothing-to-roll-back") return { output: result.summary };
 */
export async function rollback(ctx: AgentContext, options: { ref?: string } = {}): Promise<DeployResult> {
  const repo = repositoryOf(ctx);
  const environment = ctx.config.deploy.environment;
  const ref = options.ref ?? ctx.event.defaultBranch;
  if (!ref) throw new PermanentError(`the ${ctx.event.type} payload does not say which branch is ${repo}'s default, to run the rollback on`);
  const none = (outcome: DeployOutcome, summary: string): DeployResult => ({ outcome, environment, sha: null, ref, deploymentId: null, status: null, dispatched: false, rolledBackFrom: null, summary });
  if (!ctx.github.canRead) return none("unreadable", `cannot roll back without GitHub credentials: the previous sha comes from ${environment}'s deployments, which cannot be read`);

  const own = await readOwnWrites(ctx, repo);
  const earlier = own.deployedSha(environment);
  if (earlier) {
    const [mine] = (await ctx.github.listDeployments(repo, { sha: earlier, environment })) ?? [];
    if (mine) return finish(ctx, { repo, environment, target: { sha: earlier, ref }, rolledBackFrom: null }, mine.id, "resumed", own);
  }

  const seen: DeploymentWithState[] = [];
  let choice = chooseRollbackTarget(seen);
  for (const d of ((await ctx.github.listDeployments(repo, { environment })) ?? []).slice(0, ROLLBACK_SCAN_LIMIT)) {
    seen.push({ id: d.id, sha: d.sha, state: await ctx.github.latestDeploymentStatus(repo, d.id) });
    choice = chooseRollbackTarget(seen);
    if (choice.target) break;
  }
  if (!choice.current) return none("nothing-to-roll-back", `nothing to roll back: no deployment to ${environment} has succeeded`);
  if (!choice.target) {
    return none("nothing-to-roll-back", `nothing to roll back to: ${short(choice.current.sha)} is the only sha that has succeeded in ${environment} (of the last ${seen.length} deployments)`);
  }
  const job: Job = { repo, environment, target: { sha: choice.target.sha, ref }, rolledBackFrom: choice.current.sha };
  return finish(ctx, job, await createDeployment(ctx, job), "created", own);
}

/**
 * DeploymentAgent: a merge into, or a push to, a deploy branch → one GitHub Deployment of
 * that sha (see `deploy`), never marked `success` by switchyard (see `finish`). `deployDefaultBranch` and `rollback` serve the coordinator's
 * `/agent deploy` and `/agent rollback`.
 */
export const deploymentAgent: Agent = {
  name: "DeploymentAgent",
  help: "Creates one GitHub Deployment per merged or pushed sha on a deploy branch, left queued for the deploy workflow it dispatches (deploy.workflow) or for an external deployer; `/agent deploy` deploys the default branch, `/agent rollback` redeploys the previous successful sha.",
  handle: async (ctx) => {
    const target = deployTargetOf(ctx.event);
    if ("skip" in target) return { output: `nothing deployed: ${target.skip}` };
    return { output: (await deploy(ctx, target)).summary };
  },
};
