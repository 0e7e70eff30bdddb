import { fieldsOf, requiredString, validationFailed } from "../http-error.js";
import { renderComment, renderReaction } from "../render.js";
import { numberParam, paginate, repoRoute } from "../router.js";
import type { RepoRouteContext, Reply, Route } from "../router.js";
import { timestamp } from "../state.js";
import type { FakeComment, FakeReaction } from "../types.js";

const REACTIONS = new Set(["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]);

/** 201 for a new reaction; 200 with the existing one when this user already reacted so. */
function react(ctx: RepoRouteContext, subject: FakeReaction["subject"], subjectId: number): Reply {
  const content = requiredString(fieldsOf(ctx.body), "content", "Reaction");
  if (!REACTIONS.has(content)) throw validationFailed("Reaction", "content", "invalid");
  const same = (r: FakeReaction) => r.subject === subject && r.subject_id === subjectId && r.content === content && r.user === ctx.actor.login;
  const existing = ctx.repo.reactions.find(same);
  if (existing) return { status: 200, body: renderReaction(ctx.world, existing) };
  const reaction: FakeReaction = { id: ctx.world.nextId(), subject, subject_id: subjectId, content, user: ctx.actor.login, created_at: timestamp() };
  ctx.repo.reactions.push(reaction);
  return { status: 201, body: renderReaction(ctx.world, reaction) };
}

function listReactions(ctx: RepoRouteContext, subject: FakeReaction["subject"], subjectId: number): Reply {
  const content = ctx.query.get("content");
  const reactions = ctx.repo.reactions.filter((r) => r.subject === subject && r.subject_id === subjectId && (content === null || r.content === content));
  return paginate(ctx, reactions.map((r) => renderReaction(ctx.world, r)));
}

export const commentRoutes: Route[] = [
  repoRoute("GET", "/issues/:number/comments", (ctx) => {
    const number = ctx.repo.issue(numberParam(ctx, "number")).number;
    const comments = ctx.repo.comments.filter((c) => c.issue_number === number).sort((a, b) => a.id - b.id);
    return paginate(ctx, comments.map((c) => renderComment(ctx.repo, c)));
  }),

  repoRoute("POST", "/issues/:number/comments", (ctx) => {
    const issue = ctx.repo.issue(numberParam(ctx, "number"));
    const now = timestamp();
    const body = requiredString(fieldsOf(ctx.body), "body", "IssueComment");
    const comment: FakeComment = { id: ctx.world.nextId(), issue_number: issue.number, body, user: ctx.actor.login, created_at: now, updated_at: now };
    ctx.repo.comments.push(comment);
    return { status: 201, body: renderComment(ctx.repo, comment) };
  }),

  repoRoute("GET", "/issues/comments/:id", (ctx) => ({ status: 200, body: renderComment(ctx.repo, ctx.repo.comment(numberParam(ctx, "id"))) })),

  repoRoute("PATCH", "/issues/comments/:id", (ctx) => {
    const comment = ctx.repo.comment(numberParam(ctx, "id"));
    comment.body = requiredString(fieldsOf(ctx.body), "body", "IssueComment");
    comment.updated_at = timestamp();
    return { status: 200, body: renderComment(ctx.repo, comment) };
  }),

  repoRoute("DELETE", "/issues/comments/:id", (ctx) => {
    const comment = ctx.repo.comment(numberParam(ctx, "id"));
    ctx.repo.comments.splice(ctx.repo.comments.indexOf(comment), 1);
    return { status: 204 };
  }),

  repoRoute("GET", "/issues/comments/:id/reactions", (ctx) => listReactions(ctx, "comment", ctx.repo.comment(numberParam(ctx, "id")).id)),
  repoRoute("POST", "/issues/comments/:id/reactions", (ctx) => react(ctx, "comment", ctx.repo.comment(numberParam(ctx, "id")).id)),
  repoRoute("GET", "/issues/:number/reactions", (ctx) => listReactions(ctx, "issue", ctx.repo.issue(numberParam(ctx, "number")).number)),
  repoRoute("POST", "/issues/:number/reactions", (ctx) => react(ctx, "issue", ctx.repo.issue(numberParam(ctx, "number")).number)),
];
