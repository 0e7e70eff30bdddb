import { HttpError } from "../http-error.js";
import { renderUser } from "../render.js";
import { repoRoute, route } from "../router.js";
import type { RouteContext, Route } from "../router.js";
import type { Permission } from "../types.js";

const RANK: Permission[] = ["none", "read", "triage", "write", "maintain", "admin"];

/** `permission` carries the legacy base roles: maintain reads as write, triage as read; `role_name` is exact. */
const LEGACY: Record<Permission, string> = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read", none: "none" };

function isJwt(authorization: string | undefined): boolean {
  return /^bearer\s+[\w-]+\.[\w-]+\.[\w-]+$/i.test(authorization ?? "");
}

/** App endpoints take only the app's JWT (any well-formed one: the fake checks no signature). */
function requireJwt(ctx: RouteContext): void {
  if (!isJwt(ctx.authorization)) throw new HttpError(401, { message: "A JSON web token could not be decoded" });
}

export const identityRoutes: Route[] = [
  route("GET", "/user", (ctx) => {
    if (ctx.authorization === undefined) throw new HttpError(401, { message: "Requires authentication" });
    if (ctx.actor.type === "Bot") throw new HttpError(403, { message: "Resource not accessible by integration" });
    return { status: 200, body: renderUser(ctx.world, ctx.actor.login) };
  }),

  route("GET", "/users/:login", (ctx) => {
    const user = ctx.world.users.get((ctx.params.login ?? "").toLowerCase());
    if (!user) throw new HttpError(404, { message: "Not Found" });
    return { status: 200, body: renderUser(ctx.world, user.login) };
  }),

  route("GET", "/app", (ctx) => {
    requireJwt(ctx);
    const { id, slug, name } = ctx.world.app;
    return { status: 200, body: { id, slug, name, node_id: `A_${id}`, owner: renderUser(ctx.world, ctx.world.identity.login), permissions: {}, events: [] } };
  }),

  route("POST", "/app/installations/:id/access_tokens", (ctx) => {
    requireJwt(ctx);
    const token = `ghs_fake${ctx.world.nextId()}`;
    ctx.world.installationTokens.add(token);
    const expires = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    return { status: 201, body: { token, expires_at: expires, permissions: { issues: "write", pull_requests: "write", statuses: "write", deployments: "write", actions: "write" }, repository_selection: "all" } };
  }),

  repoRoute("GET", "/collaborators/:username/permission", (ctx) => {
    const login = ctx.params.username ?? "";
    const role = ctx.repo.permissionOf(login);
    const at = (p: Permission) => RANK.indexOf(role) >= RANK.indexOf(p);
    const permissions = { admin: at("admin"), maintain: at("maintain"), push: at("write"), triage: at("triage"), pull: at("read") };
    return { status: 200, body: { permission: LEGACY[role], role_name: role, user: { ...renderUser(ctx.world, login), permissions, role_name: role } } };
  }),
];
