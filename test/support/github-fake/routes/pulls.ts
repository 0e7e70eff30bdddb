import { HttpError, fieldsOf, namesOf, notFound, requiredString, stringField, unprocessable, validationFailed } from "../http-error.js";
import { renderPull, renderUser } from "../render.js";
import { numberParam, paginate, repoRoute } from "../router.js";
import type { RepoRouteContext, Route } from "../router.js";
import { timestamp } from "../state.js";
import { fakeSha } from "../repo-handle.js";
import type { FakeIssue, FakeReview } from "../types.js";

const REVIEW_STATES = { APPROVE: "APPROVED", REQUEST_CHANGES: "CHANGES_REQUESTED", COMMENT: "COMMENTED" } as const;

function renderReview(ctx: RepoRouteContext, review: FakeReview) {
  const { user, ...fields } = review;
  return { ...fields, node_id: `PRR_${review.id}`, user: renderUser(ctx.world, user), html_url: `https://github.com/${ctx.repo.fullName}/pull/${review.pull_number}#pullrequestreview-${review.id}` };
}

/** GitHub's 422 for review errors: a message plus strings in `errors`. */
function reviewError(error: string): HttpError {
  return new HttpError(422, { message: "Unprocessable Entity", errors: [error], documentation_url: "https://docs.github.com/rest/pulls/reviews" });
}

export const pullRoutes: Route[] = [
  // `head` is `owner:branch`; `state` open (default), closed or all.
  // https://docs.github.com/rest/pulls/pulls#list-pull-requests
  repoRoute("GET", "/pulls", (ctx) => {
    const state = ctx.query.get("state") ?? "open";
    const head = ctx.query.get("head");
    const base = ctx.query.get("base");
    const numbers = [...ctx.repo.pulls.values()]
      .filter((p) => state === "all" || ctx.repo.issue(p.number).state === state)
      .filter((p) => head === null || `${ctx.repo.owner}:${p.head.ref}`.toLowerCase() === head.toLowerCase())
      .filter((p) => base === null || p.base.ref === base)
      .map((p) => p.number)
      .sort((a, b) => b - a);
    return paginate(ctx, numbers.map((n) => renderPull(ctx.repo, n)));
  }),

  // GitHub refuses a second open pull request for the same head and base.
  repoRoute("POST", "/pulls", (ctx) => {
    const fields = fieldsOf(ctx.body);
    const title = requiredString(fields, "title", "PullRequest");
    const head = requiredString(fields, "head", "PullRequest").replace(/^[^:]+:/, "");
    const base = requiredString(fields, "base", "PullRequest");
    const open = [...ctx.repo.pulls.values()].find((p) => p.head.ref === head && p.base.ref === base && ctx.repo.issue(p.number).state === "open");
    if (open) throw new HttpError(422, { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${ctx.repo.owner}:${head}.` }] });
    if (head === base) throw validationFailed("PullRequest", "head", "invalid");
    const now = timestamp();
    const number = ctx.repo.nextNumber();
    const issue: FakeIssue = {
      number, title, body: stringField(fields, "body", "PullRequest") ?? null, state: "open", state_reason: null, labels: [], assignees: [],
      user: ctx.actor.login, pull_request: true, created_at: now, updated_at: now, closed_at: null,
    };
    ctx.repo.issues.set(number, issue);
    ctx.repo.pulls.set(number, {
      number, draft: fields.draft === true, merged: false, files: [], requested_reviewers: [], requested_teams: [],
      head: { ref: head, sha: ctx.repo.resolveRef(head) ?? fakeSha(`${ctx.repo.fullName}:${head}`) },
      base: { ref: base, sha: ctx.repo.resolveRef(base) ?? fakeSha(`${ctx.repo.fullName}:${base}`) },
    });
    return { status: 201, body: renderPull(ctx.repo, number) };
  }),

  repoRoute("PATCH", "/pulls/:number", (ctx) => {
    const number = numberParam(ctx, "number");
    ctx.repo.pull(number);
    const issue = ctx.repo.issue(number);
    const fields = fieldsOf(ctx.body);
    issue.title = stringField(fields, "title", "PullRequest") ?? issue.title;
    issue.body = stringField(fields, "body", "PullRequest") ?? issue.body;
    const state = stringField(fields, "state", "PullRequest");
    if (state === "open" || state === "closed") issue.state = state;
    issue.updated_at = timestamp();
    return { status: 200, body: renderPull(ctx.repo, number) };
  }),

  repoRoute("GET", "/pulls/:number", (ctx) => ({ status: 200, body: renderPull(ctx.repo, numberParam(ctx, "number")) })),

  repoRoute("GET", "/pulls/:number/files", (ctx) => {
    const pull = ctx.repo.pull(numberParam(ctx, "number"));
    return paginate(ctx, pull.files.map((f) => ({ sha: pull.head.sha, blob_url: "", raw_url: "", contents_url: "", ...f })));
  }),

  repoRoute("GET", "/pulls/:number/requested_reviewers", (ctx) => {
    const pull = ctx.repo.pull(numberParam(ctx, "number"));
    return { status: 200, body: { users: pull.requested_reviewers.map((l) => renderUser(ctx.world, l)), teams: pull.requested_teams.map((slug) => ({ slug, name: slug })) } };
  }),

  repoRoute("POST", "/pulls/:number/requested_reviewers", (ctx) => {
    const number = numberParam(ctx, "number");
    const pull = ctx.repo.pull(number);
    const fields = fieldsOf(ctx.body);
    const reviewers = namesOf(fields.reviewers);
    const author = ctx.repo.issue(number).user.toLowerCase();
    if (reviewers.some((r) => r.toLowerCase() === author)) throw unprocessable("Review cannot be requested from pull request author.");
    if (reviewers.some((r) => ctx.repo.permissionOf(r) === "none")) {
      throw unprocessable(`Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${ctx.repo.fullName} repository.`);
    }
    for (const r of reviewers) if (!pull.requested_reviewers.includes(r)) pull.requested_reviewers.push(r);
    for (const t of namesOf(fields.team_reviewers)) if (!pull.requested_teams.includes(t)) pull.requested_teams.push(t);
    return { status: 201, body: renderPull(ctx.repo, number) };
  }),

  repoRoute("GET", "/pulls/:number/reviews", (ctx) => {
    const number = ctx.repo.pull(numberParam(ctx, "number")).number;
    return paginate(ctx, ctx.repo.reviews.filter((r) => r.pull_number === number).map((r) => renderReview(ctx, r)));
  }),

  // Creating a review answers 200, not 201: https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request
  repoRoute("POST", "/pulls/:number/reviews", (ctx) => {
    const number = numberParam(ctx, "number");
    const pull = ctx.repo.pull(number);
    const fields = fieldsOf(ctx.body);
    const event = stringField(fields, "event", "PullRequestReview");
    const body = stringField(fields, "body", "PullRequestReview") ?? "";
    if (event !== undefined && !(event in REVIEW_STATES)) throw unprocessable(`Unexpected event: ${event}`);
    const own = ctx.repo.issue(number).user.toLowerCase() === ctx.actor.login.toLowerCase();
    if (own && event === "APPROVE") throw reviewError("Can not approve your own pull request");
    if (own && event === "REQUEST_CHANGES") throw reviewError("Can not request changes on your own pull request");
    if ((event === "REQUEST_CHANGES" || event === "COMMENT") && body === "") throw reviewError("Body can't be blank");
    const review: FakeReview = {
      id: ctx.world.nextId(), pull_number: number, user: ctx.actor.login, body,
      state: event === undefined ? "PENDING" : REVIEW_STATES[event as keyof typeof REVIEW_STATES],
      commit_id: stringField(fields, "commit_id", "PullRequestReview") ?? pull.head.sha, submitted_at: timestamp(),
    };
    ctx.repo.reviews.push(review);
    return { status: 200, body: renderReview(ctx, review) };
  }),

  repoRoute("PUT", "/pulls/:number/reviews/:id", (ctx) => {
    const review = ctx.repo.reviews.find((r) => r.id === numberParam(ctx, "id") && r.pull_number === numberParam(ctx, "number"));
    if (!review) throw notFound();
    review.body = stringField(fieldsOf(ctx.body), "body", "PullRequestReview") ?? review.body;
    return { status: 200, body: renderReview(ctx, review) };
  }),
];
