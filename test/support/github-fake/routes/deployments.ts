import { HttpError, fieldsOf, namesOf, requiredString, stringField, unprocessable, validationFailed } from "../http-error.js";
import { renderDeployment, renderDeploymentStatus } from "../render.js";
import { numberParam, paginate, repoRoute } from "../router.js";
import type { RepoState } from "../state.js";
import { timestamp } from "../state.js";
import type { FakeDeployment, FakeDeploymentStatus } from "../types.js";
import type { Route } from "../router.js";
import { latestStatuses } from "./statuses.js";

const STATES = new Set(["error", "failure", "inactive", "in_progress", "queued", "pending", "success"]);

/**
 * GitHub refuses a deployment whose commit statuses are not all successful, unless
 * `required_contexts` narrows them (`[]` skips the check): 409.
 * https://docs.github.com/rest/deployments/deployments#create-a-deployment
 */
function checkContexts(repo: RepoState, sha: string, ref: string, required: unknown): void {
  const latest = latestStatuses(repo, sha);
  const contexts = Array.isArray(required) ? namesOf(required) : latest.map((s) => s.context);
  const failed = contexts.filter((c) => latest.find((s) => s.context === c)?.state !== "success");
  if (failed.length > 0) {
    throw new HttpError(409, { message: `Conflict: Commit status checks failed for ${ref}.`, errors: [{ contexts: failed, resource: "Deployment", field: "required_contexts", code: "invalid" }] });
  }
}

/** GitHub accepts the payload as an object or as a JSON string, and returns it parsed. */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text || "{}") as unknown;
  } catch {
    throw validationFailed("Deployment", "payload", "invalid");
  }
}

/** Adds a status; a success with auto_inactive (default) retires earlier successful non-production deployments of the environment. */
export function addDeploymentStatus(repo: RepoState, deployment: FakeDeployment, fields: Partial<FakeDeploymentStatus> & { state: string }, autoInactive = true): FakeDeploymentStatus {
  const status: FakeDeploymentStatus = {
    id: repo.world.nextId(), deployment_id: deployment.id, description: "", environment: deployment.environment,
    log_url: "", environment_url: "", creator: deployment.creator, created_at: timestamp(), ...fields,
  };
  if (status.state === "success" && autoInactive) {
    for (const earlier of repo.deployments) {
      const latest = repo.deploymentStatuses.filter((s) => s.deployment_id === earlier.id).at(-1);
      const retire = earlier.id < deployment.id && earlier.environment === deployment.environment && !earlier.transient_environment && !earlier.production_environment;
      if (retire && latest?.state === "success") addDeploymentStatus(repo, earlier, { state: "inactive", creator: status.creator });
    }
  }
  repo.deploymentStatuses.push(status);
  return status;
}

export const deploymentRoutes: Route[] = [
  // Newest first; filters sha, ref, task, environment.
  repoRoute("GET", "/deployments", (ctx) => {
    const filters = (["sha", "ref", "task", "environment"] as const).filter((key) => ctx.query.has(key));
    const matches = ctx.repo.deployments.filter((d) => filters.every((key) => d[key] === ctx.query.get(key)));
    return paginate(ctx, [...matches].reverse().map((d) => renderDeployment(ctx.repo, d)));
  }),

  repoRoute("POST", "/deployments", (ctx) => {
    const fields = fieldsOf(ctx.body);
    const ref = requiredString(fields, "ref", "Deployment");
    const sha = ctx.repo.resolveRef(ref);
    if (!sha) throw unprocessable(`No ref found for: ${ref}`);
    checkContexts(ctx.repo, sha, ref, fields.required_contexts);
    const environment = stringField(fields, "environment", "Deployment") ?? "production";
    const payload = typeof fields.payload === "string" ? parsePayload(fields.payload) : (fields.payload ?? {});
    const deployment: FakeDeployment = {
      id: ctx.world.nextId(), sha, ref, environment, payload,
      task: stringField(fields, "task", "Deployment") ?? "deploy",
      description: stringField(fields, "description", "Deployment") ?? null,
      creator: ctx.actor.login, created_at: timestamp(),
      transient_environment: fields.transient_environment === true,
      production_environment: typeof fields.production_environment === "boolean" ? fields.production_environment : environment === "production",
    };
    ctx.repo.deployments.push(deployment);
    return { status: 201, body: renderDeployment(ctx.repo, deployment) };
  }),

  repoRoute("GET", "/deployments/:id", (ctx) => ({ status: 200, body: renderDeployment(ctx.repo, ctx.repo.deployment(numberParam(ctx, "id"))) })),

  repoRoute("GET", "/deployments/:id/statuses", (ctx) => {
    const id = ctx.repo.deployment(numberParam(ctx, "id")).id;
    const statuses = ctx.repo.deploymentStatuses.filter((s) => s.deployment_id === id).reverse();
    return paginate(ctx, statuses.map((s) => renderDeploymentStatus(ctx.repo, s)));
  }),

  repoRoute("POST", "/deployments/:id/statuses", (ctx) => {
    const deployment = ctx.repo.deployment(numberParam(ctx, "id"));
    const fields = fieldsOf(ctx.body);
    const state = requiredString(fields, "state", "DeploymentStatus");
    if (!STATES.has(state)) throw validationFailed("DeploymentStatus", "state", "invalid");
    const text = (key: string) => stringField(fields, key, "DeploymentStatus");
    const status = addDeploymentStatus(ctx.repo, deployment, {
      state, creator: ctx.actor.login, description: text("description") ?? "", environment: text("environment") ?? deployment.environment,
      log_url: text("log_url") ?? text("target_url") ?? "", environment_url: text("environment_url") ?? "",
    }, fields.auto_inactive !== false);
    return { status: 201, body: renderDeploymentStatus(ctx.repo, status) };
  }),
];
