import { unprocessable } from "../http-error.js";
import { renderIssue } from "../render.js";
import { paginate, route } from "../router.js";
import type { RepoState, World } from "../state.js";
import type { Route } from "../router.js";
import type { FakeIssue } from "../types.js";

interface Query {
  repos: string[];
  /** Every other qualifier, e.g. `is:open`, `label:x`, `-label:y`, `author:z`, `in:title`. */
  qualifiers: { negated: boolean; key: string; value: string }[];
  /** Words and "quoted phrases", each of which must appear (case-insensitive substring). */
  terms: string[];
}

/** `repo:o/r is:issue is:open label:"guardian:escalation" in:title "CI failed"` → its parts. */
export function parseSearchQuery(q: string): Query {
  const query: Query = { repos: [], qualifiers: [], terms: [] };
  for (const m of q.matchAll(/(-?)([a-z-]+):("[^"]*"|\S+)|"([^"]*)"|(\S+)/gi)) {
    if (m[2] !== undefined && m[3] !== undefined) {
      const value = m[3].replace(/^"|"$/g, "");
      if (m[2].toLowerCase() === "repo") query.repos.push(value.toLowerCase());
      else query.qualifiers.push({ negated: m[1] === "-", key: m[2].toLowerCase(), value });
    } else query.terms.push((m[4] ?? m[5] ?? "").toLowerCase());
  }
  return query;
}

function matches(repo: RepoState, issue: FakeIssue, query: Query): boolean {
  const where = query.qualifiers.filter((q) => q.key === "in").map((q) => q.value.toLowerCase());
  const fields = where.length > 0 ? where : ["title", "body", "comments"];
  const text = [
    fields.includes("title") ? issue.title : "",
    fields.includes("body") ? (issue.body ?? "") : "",
    ...(fields.includes("comments") ? repo.comments.filter((c) => c.issue_number === issue.number).map((c) => c.body) : []),
  ].join("\n").toLowerCase();
  const holds = ({ key, value }: { key: string; value: string }): boolean => {
    const v = value.toLowerCase();
    if (key === "is" || key === "type" || key === "state") {
      if (v === "issue") return !issue.pull_request;
      if (v === "pr" || v === "pull-request") return issue.pull_request;
      return issue.state === v;
    }
    if (key === "label") return issue.labels.some((l) => l.toLowerCase() === v);
    if (key === "author") return issue.user.toLowerCase() === v;
    if (key === "assignee") return issue.assignees.some((a) => a.toLowerCase() === v);
    return true; // in:, sort:, and qualifiers the fake does not model
  };
  return query.terms.every((t) => text.includes(t)) && query.qualifiers.every((q) => holds(q) !== q.negated);
}

function search(world: World, q: string): { repo: RepoState; issue: FakeIssue }[] {
  const query = parseSearchQuery(q);
  // Since 2025 GitHub refuses issue searches that do not say which kind they want.
  const kinds = query.qualifiers.filter((x) => (x.key === "is" || x.key === "type") && /^(issue|pr|pull-request)$/i.test(x.value));
  if (kinds.length === 0) throw unprocessable("Query must include 'is:issue' or 'is:pull-request'");
  const repos = query.repos.length === 0 ? [...world.repos.values()] : query.repos.map((name) => world.repos.get(name));
  if (repos.some((r) => r === undefined)) {
    throw unprocessable("The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.");
  }
  return (repos as RepoState[]).flatMap((repo) => [...repo.issues.values()].filter((issue) => matches(repo, issue, query)).map((issue) => ({ repo, issue })));
}

export const searchRoutes: Route[] = [
  // Newest first ("best match" has no meaning here); `order=asc` reverses. Unlike GitHub,
  // the index is never stale: a just-created issue is found at once.
  route("GET", "/search/issues", (ctx) => {
    const hits = search(ctx.world, ctx.query.get("q") ?? "");
    const key = ctx.query.get("sort") === "updated" ? "updated_at" : "created_at";
    hits.sort((a, b) => b.issue[key].localeCompare(a.issue[key]) || b.issue.number - a.issue.number);
    if (ctx.query.get("order") === "asc") hits.reverse();
    const items = hits.map(({ repo, issue }) => ({ ...renderIssue(repo, issue), score: 1 }));
    return paginate(ctx, items, (page) => ({ total_count: items.length, incomplete_results: false, items: page }));
  }),
];
