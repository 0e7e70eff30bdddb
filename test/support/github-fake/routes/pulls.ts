import { HttpError, fieldsOf, namesOf, notFound, stringField, unprocessable } from "../http-error.js";
import { renderPull, renderUser } from "../render.js";
import { numberParam, paginate, repoRoute } from "../router.js";
import type { RepoRouteContext, Route } from "../router.js";
import { timestamp } from "../state.js";
import type { FakeReview } from "../types.js";

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
