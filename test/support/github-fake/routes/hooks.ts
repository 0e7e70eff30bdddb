import { HttpError, notFound } from "../http-error.js";
import { hookState, type FakeHookDelivery, type HookState } from "../hooks.js";
import { route } from "../router.js";
import type { Reply, Route, RouteContext } from "../router.js";

/**
 * Hook delivery logs: list (newest first, cursor pagination as GitHub's: `per_page` up to
 * 100, `cursor` from the Link header's rel="next"), one delivery, and redelivery
 * (`POST …/attempts`: 202 now, the stored request re-sent in the background).
 * https://docs.github.com/rest/repos/webhooks#list-deliveries-for-a-repository-webhook
 */

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function renderItem(d: FakeHookDelivery) {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: iso(d.deliveredAt),
    redelivery: d.redelivery,
    duration: 0.01,
    status: d.status,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: d.installationId,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
}

function isJwt(authorization: string | undefined): boolean {
  return /^bearer\s+[\w-]+\.[\w-]+\.[\w-]+$/i.test(authorization ?? "");
}

/** The hook a route names; 404 when unknown, 401 without credentials (the App's hook: without its JWT). */
function hookOf(ctx: RouteContext, name: string, app: boolean): HookState {
  if (app ? !isJwt(ctx.authorization) : ctx.authorization === undefined) {
    throw new HttpError(401, { message: app ? "A JSON web token could not be decoded" : "Requires authentication" });
  }
  const hook = hookState(ctx.world, name);
  if (!hook) throw notFound();
  return hook;
}

function list(ctx: RouteContext, hook: HookState): Reply {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? 30) || 30));
  const newestFirst = [...hook.deliveries].sort((a, b) => b.deliveredAt - a.deliveredAt || b.id - a.id);
  const cursor = ctx.query.get("cursor");
  let start = 0;
  if (cursor !== null) {
    const after = Number(/^v1_(\d+)$/.exec(cursor)?.[1]);
    if (!Number.isInteger(after)) throw new HttpError(400, { message: "Invalid cursor" });
    start = newestFirst.findIndex((d) => d.id === after) + 1;
  }
  const page = newestFirst.slice(start, start + perPage);
  const headers: Record<string, string> = {};
  if (start + perPage < newestFirst.length && page.length > 0) {
    const next = new URL(ctx.url);
    next.searchParams.set("per_page", String(perPage));
    next.searchParams.set("cursor", `v1_${page.at(-1)!.id}`);
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  return { status: 200, body: page.map(renderItem), headers };
}

function one(ctx: RouteContext, hook: HookState): Reply {
  const d = hook.entry(Number(ctx.params.delivery_id));
  if (!d) throw notFound();
  return {
    status: 200,
    body: { ...renderItem(d), url: hook.url, request: { headers: d.request.headers, payload: JSON.parse(d.request.body) as unknown }, response: { headers: d.response.headers, payload: d.response.body } },
  };
}

function attempt(ctx: RouteContext, hook: HookState): Reply {
  const d = hook.entry(Number(ctx.params.delivery_id));
  if (!d) throw notFound();
  hook.redeliver(d);
  return { status: 202, body: {} };
}

const repoName = (ctx: RouteContext) => `repo:${ctx.params.owner}/${ctx.params.repo}`.toLowerCase() + `#${ctx.params.hook_id}`;
const orgName = (ctx: RouteContext) => `org:${ctx.params.org}`.toLowerCase() + `#${ctx.params.hook_id}`;

export const hookRoutes: Route[] = [
  route("GET", "/repos/:owner/:repo/hooks/:hook_id/deliveries", (ctx) => list(ctx, hookOf(ctx, repoName(ctx), false))),
  route("GET", "/repos/:owner/:repo/hooks/:hook_id/deliveries/:delivery_id", (ctx) => one(ctx, hookOf(ctx, repoName(ctx), false))),
  route("POST", "/repos/:owner/:repo/hooks/:hook_id/deliveries/:delivery_id/attempts", (ctx) => attempt(ctx, hookOf(ctx, repoName(ctx), false))),
  route("GET", "/orgs/:org/hooks/:hook_id/deliveries", (ctx) => list(ctx, hookOf(ctx, orgName(ctx), false))),
  route("GET", "/orgs/:org/hooks/:hook_id/deliveries/:delivery_id", (ctx) => one(ctx, hookOf(ctx, orgName(ctx), false))),
  route("POST", "/orgs/:org/hooks/:hook_id/deliveries/:delivery_id/attempts", (ctx) => attempt(ctx, hookOf(ctx, orgName(ctx), false))),
  route("GET", "/app/hook/deliveries", (ctx) => list(ctx, hookOf(ctx, "app", true))),
  route("GET", "/app/hook/deliveries/:delivery_id", (ctx) => one(ctx, hookOf(ctx, "app", true))),
  route("POST", "/app/hook/deliveries/:delivery_id/attempts", (ctx) => attempt(ctx, hookOf(ctx, "app", true))),
  // Where the App is installed: what an installation token for a repository's or organization's hook is minted for.
  route("GET", "/repos/:owner/:repo/installation", (ctx) => {
    if (!isJwt(ctx.authorization)) throw new HttpError(401, { message: "A JSON web token could not be decoded" });
    return { status: 200, body: { id: 1, app_id: ctx.world.app.id, account: { login: ctx.params.owner } } };
  }),
  route("GET", "/orgs/:org/installation", (ctx) => {
    if (!isJwt(ctx.authorization)) throw new HttpError(401, { message: "A JSON web token could not be decoded" });
    return { status: 200, body: { id: 1, app_id: ctx.world.app.id, account: { login: ctx.params.org } } };
  }),
];
