import { fieldsOf, namesOf, requiredString, stringField, validationFailed } from "../http-error.js";
import { renderIssue, renderRepo } from "../render.js";
import { numberParam, paginate, repoRoute } from "../router.js";
import type { RepoRouteContext, Route } from "../router.js";
import { timestamp } from "../state.js";
import type { FakeIssue } from "../types.js";

/** Title, body, state, labels and assignees, as both create and update accept them. */
function applyFields(ctx: RepoRouteContext, issue: FakeIssue, fields: Record<string, unknown>): void {
  issue.title = stringField(fields, "title", "Issue") ?? issue.title;
  if ("body" in fields) issue.body = stringField(fields, "body", "Issue") ?? null;
  const state = stringField(fields, "state", "Issue");
  if (state !== undefined) {
    if (state !== "open" && state !== "closed") throw validationFailed("Issue", "state", "invalid");
    if (state !== issue.state) issue.closed_at = state === "closed" ? timestamp() : null;
    issue.state = state;
    issue.state_reason = state === "closed" ? (stringField(fields, "state_reason", "Issue") ?? "completed") : null;
  }
  if (Array.isArray(fields.labels)) {
    issue.labels = [];
    ctx.repo.addLabels(issue, namesOf(fields.labels));
  }
  if (Array.isArray(fields.assignees)) issue.assignees = namesOf(fields.assignees);
  issue.updated_at = timestamp();
}

/** `GET /repos/{o}/{r}/issues` filters: state (default open), labels (all of them), creator, assignee. */
function listFilter(query: URLSearchParams): (issue: FakeIssue) => boolean {
  const state = query.get("state") ?? "open";
  const labels = (query.get("labels") ?? "").split(",").map((l) => l.trim().toLowerCase()).filter(Boolean);
  const creator = query.get("creator")?.toLowerCase();
  const assignee = query.get("assignee")?.toLowerCase();
  return (issue) =>
    (state === "all" || issue.state === state) &&
    labels.every((l) => issue.labels.some((name) => name.toLowerCase() === l)) &&
    (creator === undefined || issue.user.toLowerCase() === creator) &&
    (assignee === undefined || assignee === "*" || issue.assignees.some((a) => a.toLowerCase() === assignee));
}

export const issueRoutes: Route[] = [
  repoRoute("GET", "", (ctx) => ({ status: 200, body: renderRepo(ctx.repo) })),

  repoRoute("GET", "/issues", (ctx) => {
    const issues = [...ctx.repo.issues.values()].filter(listFilter(ctx.query));
    const ascending = ctx.query.get("direction") === "asc";
    issues.sort((a, b) => (ascending ? a.number - b.number : b.number - a.number));
    return paginate(ctx, issues.map((issue) => renderIssue(ctx.repo, issue)));
  }),

  repoRoute("POST", "/issues", (ctx) => {
    const fields = fieldsOf(ctx.body);
    const now = timestamp();
    const issue: FakeIssue = {
      number: ctx.repo.nextNumber(),
      title: requiredString(fields, "title", "Issue"),
      body: null, state: "open", state_reason: null, labels: [], assignees: [],
      user: ctx.actor.login, pull_request: false, created_at: now, updated_at: now, closed_at: null,
    };
    applyFields(ctx, issue, fields);
    ctx.repo.issues.set(issue.number, issue);
    return { status: 201, body: renderIssue(ctx.repo, issue) };
  }),

  repoRoute("GET", "/issues/:number", (ctx) => ({ status: 200, body: renderIssue(ctx.repo, ctx.repo.issue(numberParam(ctx, "number"))) })),

  repoRoute("PATCH", "/issues/:number", (ctx) => {
    const issue = ctx.repo.issue(numberParam(ctx, "number"));
    applyFields(ctx, issue, fieldsOf(ctx.body));
    return { status: 200, body: renderIssue(ctx.repo, issue) };
  }),
];
