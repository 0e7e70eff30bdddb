import { fieldsOf, notFound, requiredString, stringField, validationFailed } from "../http-error.js";
import { renderStatus } from "../render.js";
import { paginate, repoRoute } from "../router.js";
import type { RepoRouteContext, Route } from "../router.js";
import type { RepoState } from "../state.js";
import { timestamp } from "../state.js";
import type { FakeStatus } from "../types.js";

const STATES = new Set(["error", "failure", "pending", "success"]);

/** The newest status of each context for a sha, as the combined status and deployments see them. */
export function latestStatuses(repo: RepoState, sha: string): FakeStatus[] {
  const latest = new Map<string, FakeStatus>();
  for (const status of repo.statuses) if (status.sha === sha) latest.set(status.context, status);
  return [...latest.values()];
}

function shaOf(ctx: RepoRouteContext): string {
  const sha = ctx.repo.resolveRef(ctx.params.ref ?? "");
  if (!sha) throw notFound("No commit found for SHA: " + (ctx.params.ref ?? ""));
  return sha;
}

export const statusRoutes: Route[] = [
  repoRoute("POST", "/statuses/:sha", (ctx) => {
    const fields = fieldsOf(ctx.body);
    const state = requiredString(fields, "state", "Status");
    if (!STATES.has(state)) throw validationFailed("Status", "state", "custom");
    const status: FakeStatus = {
      id: ctx.world.nextId(), sha: ctx.params.sha ?? "", state: state as FakeStatus["state"],
      context: stringField(fields, "context", "Status") ?? "default",
      description: stringField(fields, "description", "Status") ?? null,
      target_url: stringField(fields, "target_url", "Status") ?? null,
      creator: ctx.actor.login, created_at: timestamp(),
    };
    ctx.repo.statuses.push(status);
    return { status: 201, body: renderStatus(ctx.repo, status) };
  }),

  // Newest first, every status (not only the latest per context).
  repoRoute("GET", "/commits/:ref/statuses", (ctx) => {
    const sha = shaOf(ctx);
    const statuses = ctx.repo.statuses.filter((s) => s.sha === sha).reverse();
    return paginate(ctx, statuses.map((s) => renderStatus(ctx.repo, s)));
  }),

  repoRoute("GET", "/commits/:ref/status", (ctx) => {
    const sha = shaOf(ctx);
    const statuses = latestStatuses(ctx.repo, sha);
    const states = new Set(statuses.map((s) => s.state));
    const state = states.has("error") || states.has("failure") ? "failure" : states.has("pending") || statuses.length === 0 ? "pending" : "success";
    return { status: 200, body: { state, sha, total_count: statuses.length, statuses: statuses.map((s) => renderStatus(ctx.repo, s)) } };
  }),
];
