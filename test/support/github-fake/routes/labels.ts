import { fieldsOf, namesOf, notFound, requiredString, stringField, validationFailed } from "../http-error.js";
import { renderIssueLabels, renderLabel } from "../render.js";
import { numberParam, paginate, repoRoute } from "../router.js";
import type { RepoRouteContext, Reply, Route } from "../router.js";
import { timestamp } from "../state.js";

/** Add/set accept `{labels: [...]}` or a bare array (GitHub recommends the object). */
function requestedLabels(body: unknown): string[] {
  return namesOf(Array.isArray(body) ? body : fieldsOf(body).labels);
}

/** Label writes answer with the issue's whole label list, 200. */
function issueLabels(ctx: RepoRouteContext, change: (names: string[]) => string[]): Reply {
  const issue = ctx.repo.issue(numberParam(ctx, "number"));
  const names = change(issue.labels);
  issue.labels = [];
  ctx.repo.addLabels(issue, names);
  issue.updated_at = timestamp();
  return { status: 200, body: renderIssueLabels(ctx.repo, issue) };
}

export const labelRoutes: Route[] = [
  repoRoute("GET", "/issues/:number/labels", (ctx) => paginate(ctx, renderIssueLabels(ctx.repo, ctx.repo.issue(numberParam(ctx, "number"))))),
  repoRoute("POST", "/issues/:number/labels", (ctx) => issueLabels(ctx, (names) => [...names, ...requestedLabels(ctx.body)])),
  repoRoute("PUT", "/issues/:number/labels", (ctx) => issueLabels(ctx, () => requestedLabels(ctx.body))),
  repoRoute("DELETE", "/issues/:number/labels", (ctx) => ({ ...issueLabels(ctx, () => []), status: 204, body: undefined })),

  // A label that is not on the issue is 404 "Label does not exist", even when the repository has it.
  repoRoute("DELETE", "/issues/:number/labels/:name", (ctx) => {
    const name = (ctx.params.name ?? "").toLowerCase();
    const issue = ctx.repo.issue(numberParam(ctx, "number"));
    if (!issue.labels.some((l) => l.toLowerCase() === name)) throw notFound("Label does not exist");
    return issueLabels(ctx, (names) => names.filter((l) => l.toLowerCase() !== name));
  }),

  repoRoute("GET", "/labels", (ctx) => paginate(ctx, ctx.repo.labels.map((l) => renderLabel(ctx.repo, l)))),

  repoRoute("GET", "/labels/:name", (ctx) => {
    const label = ctx.repo.findLabel(ctx.params.name ?? "");
    if (!label) throw notFound();
    return { status: 200, body: renderLabel(ctx.repo, label) };
  }),

  repoRoute("POST", "/labels", (ctx) => {
    const fields = fieldsOf(ctx.body);
    const name = requiredString(fields, "name", "Label");
    if (ctx.repo.findLabel(name)) throw validationFailed("Label", "name", "already_exists");
    const color = (stringField(fields, "color", "Label") ?? "ededed").replace(/^#/, "");
    if (!/^[0-9a-f]{6}$/i.test(color)) throw validationFailed("Label", "color", "invalid");
    const label = ctx.repo.ensureLabel(name, color, stringField(fields, "description", "Label") ?? null);
    return { status: 201, body: renderLabel(ctx.repo, label) };
  }),
];
