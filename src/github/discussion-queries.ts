/**
 * The GraphQL documents switchyard sends for Discussions, which have no REST API:
 * https://docs.github.com/graphql/guides/using-the-graphql-api-for-discussions
 */

/** One comment or reply of a discussion, as the agents see it. */
export interface DiscussionCommentState {
  /** The node id (`DC_…`). */
  id: string;
  body: string;
  url: string | null;
  /** The top-level comment this one replies to; null for a top-level comment. */
  replyToId: string | null;
  /** Its author's login as REST spells it (an App's `slug[bot]`); null for a deleted account. */
  user: string | null;
}

/** A discussion with its labels and comments (replies flattened after their comment). */
export interface DiscussionState {
  id: string;
  number: number;
  title: string;
  body: string;
  url: string;
  labels: string[];
  comments: DiscussionCommentState[];
}

/**
 * The discussion, its labels and its first 100 comments with their first 100 replies
 * each: GitHub threads are one level deep, so that is every reply of those comments.
 */
export const DISCUSSION_QUERY = `query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    discussion(number: $number) {
      id number title body url
      labels(first: 100) { nodes { name } }
      comments(first: 100) { nodes { id body url author { __typename login } replies(first: 100) { nodes { id body url author { __typename login } } } } }
    }
  }
}`;

const COMMENT_FIELDS = "id body url author { __typename login }";

/**
 * DISCUSSION_QUERY, the last 100 comments too (`latest`: a long discussion's recent
 * threads), and the thread of one comment (`$comment`, its node id): the comment, the
 * top-level comment it replies to, and that thread's last 100 replies, wherever the thread
 * is in a discussion of any length. What a command's answer needs: where to reply, the reply
 * an earlier try of the same task posted there, and switchyard's recent replies elsewhere.
 */
export const DISCUSSION_AROUND_COMMENT_QUERY = `query($owner: String!, $name: String!, $number: Int!, $comment: ID!) {
  repository(owner: $owner, name: $name) {
    discussion(number: $number) {
      id number title body url
      labels(first: 100) { nodes { name } }
      comments(first: 100) { nodes { ${COMMENT_FIELDS} replies(first: 100) { nodes { ${COMMENT_FIELDS} } } } }
      latest: comments(last: 100) { nodes { ${COMMENT_FIELDS} replies(last: 100) { nodes { ${COMMENT_FIELDS} } } } }
    }
  }
  thread: node(id: $comment) {
    ... on DiscussionComment {
      ${COMMENT_FIELDS}
      replies(last: 100) { nodes { ${COMMENT_FIELDS} } }
      replyTo { ${COMMENT_FIELDS} replies(last: 100) { nodes { ${COMMENT_FIELDS} } } }
    }
  }
}`;

/** A comment in a discussion; with `replyToId`, a reply in that comment's thread. */
export const ADD_DISCUSSION_COMMENT = `mutation($discussionId: ID!, $body: String!, $replyToId: ID) {
  addDiscussionComment(input: { discussionId: $discussionId, body: $body, replyToId: $replyToId }) {
    comment { id url }
  }
}`;

export const UPDATE_DISCUSSION_COMMENT = `mutation($commentId: ID!, $body: String!) {
  updateDiscussionComment(input: { commentId: $commentId, body: $body }) {
    comment { id }
  }
}`;

interface Nodes<T> {
  nodes: (T | null)[] | null;
}
interface CommentJson {
  id: string;
  body: string;
  url: string | null;
  author?: { __typename?: string; login: string } | null;
}

/**
 * GraphQL names a Bot author by its slug alone (`switchyard`); REST, and switchyard's own
 * logins, by `switchyard[bot]`. Spelled as REST does, so a user named like an App's slug is
 * never taken for the App.
 */
function authorLogin(author: CommentJson["author"]): string | null {
  if (!author?.login) return null;
  return author.__typename === "Bot" && !author.login.endsWith("[bot]") ? `${author.login}[bot]` : author.login;
}
type ThreadJson = CommentJson & { replies: Nodes<CommentJson> | null };

/** The `data` of DISCUSSION_QUERY (and DISCUSSION_AROUND_COMMENT_QUERY, with `thread`). */
export interface DiscussionQueryData {
  repository: {
    discussion: (Omit<DiscussionState, "labels" | "comments"> & {
      labels: Nodes<{ name: string }> | null;
      comments: Nodes<ThreadJson>;
      /** DISCUSSION_AROUND_COMMENT_QUERY's last 100 comments. */
      latest?: Nodes<ThreadJson> | null;
    }) | null;
  } | null;
  /** The asking comment: its own replies when top-level, its thread (`replyTo`) when a reply. */
  thread?: (ThreadJson & { replyTo?: ThreadJson | null }) | null;
}

/** DISCUSSION_QUERY's answer as a DiscussionState; null when there is no such discussion. */
export function discussionFrom(data: DiscussionQueryData | null): DiscussionState | null {
  const d = data?.repository?.discussion;
  if (!d) return null;
  const present = <T>(list: Nodes<T> | null | undefined): T[] => (list?.nodes ?? []).filter((n): n is T => n !== null);
  return {
    id: d.id,
    number: d.number,
    title: d.title,
    body: d.body ?? "",
    url: d.url,
    labels: present(d.labels).map((l) => l.name),
    comments: withThread(withLatest(present(d.comments).flatMap((c) => threadComments(c, present)), present(d.latest).flatMap((c) => threadComments(c, present))), data?.thread ?? null, present),
  };
}

/** A top-level comment and its replies, flattened, each reply naming the comment it is in. */
function threadComments(root: ThreadJson, present: <T>(list: Nodes<T> | null | undefined) => T[]): DiscussionCommentState[] {
  return [
    { id: root.id, body: root.body, url: root.url, replyToId: null, user: authorLogin(root.author) },
    ...present(root.replies).map((r) => ({ id: r.id, body: r.body, url: r.url, replyToId: root.id, user: authorLogin(r.author) })),
  ];
}

/** The first page's comments, and those of the last page it does not hold (a discussion of more than 100 comments). */
function withLatest(comments: DiscussionCommentState[], latest: DiscussionCommentState[]): DiscussionCommentState[] {
  const seen = new Set(comments.map((c) => c.id));
  return [...comments, ...latest.filter((c) => !seen.has(c.id))];
}

/**
 * The comments with the asking comment's thread added where the first page missed it (a
 * discussion of more than 100 comments, or a thread of more than 100 replies): no comment
 * twice. A reply names its thread's comment as `replyTo`; a top-level comment is its own.
 */
function withThread(
  comments: DiscussionCommentState[],
  thread: (ThreadJson & { replyTo?: ThreadJson | null }) | null,
  present: <T>(list: Nodes<T> | null | undefined) => T[],
): DiscussionCommentState[] {
  if (!thread?.id) return comments;
  const root = thread.replyTo ?? thread;
  const seen = new Set(comments.map((c) => c.id));
  const added = threadComments(root, present).filter((c) => !seen.has(c.id));
  // The asking comment itself, when the thread's last 100 replies no longer hold it.
  if (thread.replyTo && !seen.has(thread.id) && !added.some((c) => c.id === thread.id)) {
    added.push({ id: thread.id, body: thread.body, url: thread.url, replyToId: thread.replyTo.id, user: authorLogin(thread.author) });
  }
  return [...comments, ...added];
}
