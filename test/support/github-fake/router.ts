import { notFound } from "./http-error.js";
import type { RepoState, World } from "./state.js";
import type { FakeUser } from "./types.js";

/** What a route handler gets: the parsed request and the world it acts on. */
export interface RouteContext {
  world: World;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  authorization: string | undefined;
  /** Who the request acts as (the token's user, or `<app>[bot]` for installation tokens). */
  actor: FakeUser;
  /** The request's own URL, absolute, for building `Link` headers. */
  url: URL;
}

export interface RepoRouteContext extends RouteContext {
  repo: RepoState;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handle(ctx: RouteContext): Reply;
}

/** `/repos/:owner/:repo/issues/:number` → a route whose params are the decoded segments. */
export function route(method: string, path: string, handle: (ctx: RouteContext) => Reply): Route {
  const keys: string[] = [];
  const source = path.replace(/:(\w+)/g, (_, key: string) => {
    keys.push(key);
    return "([^/]+)";
  });
  return { method, pattern: new RegExp(`^${source}/?$`), keys, handle };
}

/** A route under `/repos/:owner/:repo` that 404s, as GitHub does, when the repository is unknown. */
export function repoRoute(method: string, path: string, handle: (ctx: RepoRouteContext) => Reply): Route {
  return route(method, `/repos/:owner/:repo${path}`, (ctx) => {
    const repo = ctx.world.repo(ctx.params.owner ?? "", ctx.params.repo ?? "");
    if (!repo) throw notFound();
    return handle({ ...ctx, repo });
  });
}

export function matchRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(pathname);
    if (!match) continue;
    const params = Object.fromEntries(candidate.keys.map((key, i) => [key, decodeURIComponent(match[i + 1] ?? "")]));
    return { route: candidate, params };
  }
  return undefined;
}

/** A numeric path parameter; anything else is a 404, as GitHub answers `/issues/abc`. */
export function numberParam(ctx: RouteContext, key: string): number {
  const value = Number(ctx.params[key]);
  if (!Number.isInteger(value) || value <= 0) throw notFound();
  return value;
}

/**
 * One page of a list, with GitHub's `Link` header: `per_page` (default 30, max 100) and
 * `page`. Octokit's paginate follows rel="next" until it is absent.
 * https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api
 */
export function paginate<T>(ctx: RouteContext, items: readonly T[], wrap?: (page: T[]) => unknown): Reply {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(ctx.query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (n: number, rel: string) => {
    const url = new URL(ctx.url);
    url.searchParams.set("page", String(n));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, "prev"), link(1, "first")] : []),
    ...(page < last ? [link(page + 1, "next"), link(last, "last")] : []),
  ];
  return { status: 200, body: wrap ? wrap(slice) : slice, headers: links.length > 0 ? { link: links.join(", ") } : {} };
}
