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
/** The `data` of DISCUSSION_QUERY. */
export interface DiscussionQueryData {
  repository: {
    discussion: (Omit<DiscussionState, "labels" | "comments"> & {
      labels: Nodes<{ name: string }> | null;
      comments: Nodes<CommentJson & { replies: Nodes<CommentJson> | null }>;
    }) | null;
  } | null;
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
    comments: present(d.comments).flatMap((c) => [
      { id: c.id, body: c.body, url: c.url, replyToId: null, user: authorLogin(c.author) },
      ...present(c.replies).map((r) => ({ id: r.id, body: r.body, url: r.url, replyToId: c.id, user: authorLogin(r.author) })),
    ]),
  };
}
