import { discussionsOf, type FakeDiscussion, type FakeDiscussionComment } from "../discussions.js";
import { fieldsOf } from "../http-error.js";
import type { Reply, Route } from "../router.js";
import { route } from "../router.js";
import type { RepoState, World } from "../state.js";
import { timestamp } from "../state.js";

type Vars = Record<string, unknown>;

/** GraphQL reports errors with a 200 and an `errors` list, never an HTTP status. */
function errors(...messages: string[]): Reply {
  return { status: 200, body: { data: null, errors: messages.map((message) => ({ message })) } };
}

function commentUrl(repo: RepoState, discussion: FakeDiscussion, comment: FakeDiscussionComment): string {
  return `https://github.com/${repo.fullName}/discussions/${discussion.number}#discussioncomment-${comment.databaseId}`;
}

/** The repository and discussion a node id belongs to. */
function findDiscussion(world: World, id: unknown): { repo: RepoState; discussion: FakeDiscussion } | undefined {
  for (const repo of world.repos.values()) {
    const discussion = discussionsOf(repo).discussions.find((d) => d.id === id);
    if (discussion) return { repo, discussion };
  }
  return undefined;
}

function findComment(world: World, id: unknown): { repo: RepoState; comment: FakeDiscussionComment } | undefined {
  for (const repo of world.repos.values()) {
    const comment = discussionsOf(repo).comments.find((c) => c.id === id);
    if (comment) return { repo, comment };
  }
  return undefined;
}

/** A connection's page as GitHub cuts it: `first: n` or `last: n` of the list (the query's own argument for that field). */
function page<T>(list: T[], query: string, field: "comments" | "replies", which = 0): T[] {
  const args = [...query.matchAll(new RegExp(`\\b${field}\\((first|last):\\s*(\\d+)\\)`, "g"))][which];
  if (!args) return list;
  const n = Number(args[2]);
  return args[1] === "first" ? list.slice(0, n) : list.slice(Math.max(0, list.length - n));
}

function discussionQuery(world: World, vars: Vars, query: string): Reply {
  const repo = world.repo(String(vars.owner ?? ""), String(vars.name ?? ""));
  if (!repo) return errors(`Could not resolve to a Repository with the name '${String(vars.owner)}/${String(vars.name)}'.`);
  const store = discussionsOf(repo);
  const discussion = store.discussions.find((d) => d.number === vars.number);
  if (!discussion) return errors(`Could not resolve to a Discussion with the number of ${String(vars.number)}.`);
  const mine = store.comments.filter((c) => c.discussionId === discussion.id);
  // GraphQL names a Bot by its slug, without REST's `[bot]`.
  const author = (login: string) => (world.user(login).type === "Bot" ? { __typename: "Bot", login: login.replace(/\[bot\]$/, "") } : { __typename: "User", login });
  const node = (c: FakeDiscussionComment) => ({ id: c.id, body: c.body, url: commentUrl(repo, discussion, c), author: author(c.user) });
  // The page sizes the query asks for, as GitHub applies them: the `replies(...)` arguments in
  // the order the query writes them (the comments', `latest`'s when asked, the thread's).
  const repliesOf = (c: FakeDiscussionComment, which: number) => page(mine.filter((r) => r.replyToId === c.id), query, "replies", which).map(node);
  const withLatest = /\blatest:\s*comments\(/.test(query);
  const shift = withLatest ? 1 : 0;
  // `thread: node(id: $comment)`: the asking comment, its own replies, and its thread when it is a reply.
  let thread: unknown;
  if (/\bthread:\s*node\(/.test(query)) {
    const asked = mine.find((c) => c.id === vars.comment);
    const parent = asked?.replyToId ? mine.find((c) => c.id === asked.replyToId) : undefined;
    thread = asked ? { ...node(asked), replies: { nodes: repliesOf(asked, 1 + shift) }, replyTo: parent ? { ...node(parent), replies: { nodes: repliesOf(parent, 2 + shift) } } : null } : null;
  }
  return {
    status: 200,
    body: {
      data: {
        repository: {
          discussion: {
            id: discussion.id, number: discussion.number, title: discussion.title, body: discussion.body,
            url: `https://github.com/${repo.fullName}/discussions/${discussion.number}`,
            labels: { nodes: discussion.labels.map((name) => ({ name })) },
            comments: {
              nodes: page(mine.filter((c) => c.replyToId === null), query, "comments").map((c) => ({ ...node(c), replies: { nodes: repliesOf(c, 0) } })),
            },
            ...(withLatest ? { latest: { nodes: page(mine.filter((c) => c.replyToId === null), query, "comments", 1).map((c) => ({ ...node(c), replies: { nodes: repliesOf(c, 1) } })) } } : {}),
          },
        },
        ...(thread === undefined ? {} : { thread }),
      },
    },
  };
}

function addDiscussionComment(world: World, actor: string, vars: Vars): Reply {
  const found = findDiscussion(world, vars.discussionId);
  if (!found) return errors(`Could not resolve to a node with the global id of '${String(vars.discussionId)}'`);
  const { repo, discussion } = found;
  const replyToId = typeof vars.replyToId === "string" ? vars.replyToId : null;
  if (replyToId !== null) {
    const parent = discussionsOf(repo).comments.find((c) => c.id === replyToId && c.discussionId === discussion.id);
    if (!parent) return errors(`Could not resolve to a node with the global id of '${replyToId}'`);
    // GitHub threads are one level deep.
    if (parent.replyToId !== null) return errors("Parent comment is already in a thread, cannot reply to it");
  }
  if (typeof vars.body !== "string" || vars.body === "") return errors("Body can't be blank");
  const now = timestamp();
  const databaseId = world.nextId();
  const comment: FakeDiscussionComment = { id: `DC_${databaseId}`, databaseId, discussionId: discussion.id, body: vars.body, user: actor, replyToId, created_at: now, updated_at: now };
  discussionsOf(repo).comments.push(comment);
  return { status: 200, body: { data: { addDiscussionComment: { comment: { id: comment.id, url: commentUrl(repo, discussion, comment) } } } } };
}

function updateDiscussionComment(world: World, vars: Vars): Reply {
  const found = findComment(world, vars.commentId);
  if (!found) return errors(`Could not resolve to a node with the global id of '${String(vars.commentId)}'`);
  if (typeof vars.body !== "string" || vars.body === "") return errors("Body can't be blank");
  found.comment.body = vars.body;
  found.comment.updated_at = timestamp();
  return { status: 200, body: { data: { updateDiscussionComment: { comment: { id: found.comment.id } } } } };
}

/** Whether a logged request is a GraphQL mutation (a write), not a query. */
export function isGraphqlMutation(body: unknown): boolean {
  const query = fieldsOf(body).query;
  return typeof query === "string" && /^\s*mutation\b/.test(query);
}

/**
 * `POST /graphql`: the operations switchyard sends, recognised by their root field. Any
 * other document is answered with a GraphQL error naming it, so a test sees what is missing.
 */
export const graphqlRoutes: Route[] = [
  route("POST", "/graphql", (ctx) => {
    const { query, variables } = fieldsOf(ctx.body);
    if (typeof query !== "string") return errors("A query attribute must be specified and must be a string.");
    const vars = (typeof variables === "object" && variables !== null ? variables : {}) as Vars;
    if (/^\s*mutation\b[\s\S]*\baddDiscussionComment\s*\(/.test(query)) return addDiscussionComment(ctx.world, ctx.actor.login, vars);
    if (/^\s*mutation\b[\s\S]*\bupdateDiscussionComment\s*\(/.test(query)) return updateDiscussionComment(ctx.world, vars);
    if (/^\s*query\b[\s\S]*\bdiscussion\s*\(\s*number:/.test(query)) return discussionQuery(ctx.world, vars, query);
    // Who the token is: for an App's installation token, `<slug>[bot]` (GET /user answers it 403).
    if (/^\s*query\s*\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$/.test(query)) return { status: 200, body: { data: { viewer: { login: ctx.actor.login } } } };
    return errors(`github-fake: this GraphQL operation is not modelled: ${query.slice(0, 80)}`);
  }),
];
