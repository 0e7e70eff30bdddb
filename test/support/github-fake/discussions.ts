import type { RepoState } from "./state.js";
import { timestamp } from "./state.js";

/**
 * Discussions, which GitHub serves over GraphQL only. Kept beside the repository's REST
 * state (one store per repository), with GraphQL node ids as GitHub gives them out.
 */

export interface FakeDiscussion {
  /** GraphQL node id, as webhook payloads carry it (`discussion.node_id`). */
  id: string;
  number: number;
  title: string;
  body: string;
  labels: string[];
  user: string;
  category: string;
}

export interface FakeDiscussionComment {
  id: string;
  /** The database id webhook payloads carry as `comment.id`. */
  databaseId: number;
  discussionId: string;
  body: string;
  user: string;
  /** The top-level comment this is a reply to; null for a top-level comment. */
  replyToId: string | null;
  created_at: string;
  updated_at: string;
}

export interface DiscussionStore {
  discussions: FakeDiscussion[];
  comments: FakeDiscussionComment[];
}

const stores = new WeakMap<RepoState, DiscussionStore>();

/** The discussions of one repository (empty on first use). */
export function discussionsOf(repo: RepoState): DiscussionStore {
  let store = stores.get(repo);
  if (!store) {
    store = { discussions: [], comments: [] };
    stores.set(repo, store);
  }
  return store;
}

export type DiscussionSeed = Partial<FakeDiscussion> & { number: number };
export type DiscussionCommentSeed = Partial<Omit<FakeDiscussionComment, "discussionId">> & { body: string };

/**
 * One repository's discussions, to seed and inspect; getters return copies.
 *
 * @example
 * const d = fake.discussions("octo/app");
 * d.add({ number: 90, title: "Welcome" });
 * // … run the agent …
 * expect(d.comments(90).filter((c) => c.replyToId !== null)).toHaveLength(1);
 */
export interface DiscussionHandle {
  add(seed: DiscussionSeed): FakeDiscussion;
  addComment(discussionNumber: number, seed: DiscussionCommentSeed): FakeDiscussionComment;
  discussion(number: number): FakeDiscussion | undefined;
  /** Comments and replies of a discussion, in creation order. */
  comments(number: number): FakeDiscussionComment[];
}

export function createDiscussionHandle(repo: RepoState): DiscussionHandle {
  const store = discussionsOf(repo);
  const byNumber = (number: number) => store.discussions.find((d) => d.number === number);
  return {
    add(seed) {
      const existing = byNumber(seed.number);
      const discussion: FakeDiscussion = {
        id: `D_${repo.world.nextId()}`, title: "Untitled", body: "", labels: [], user: repo.world.identity.login, category: "General", ...existing, ...seed,
      };
      store.discussions.splice(existing ? store.discussions.indexOf(existing) : store.discussions.length, existing ? 1 : 0, discussion);
      return structuredClone(discussion);
    },
    addComment(number, seed) {
      const discussion = byNumber(number);
      if (!discussion) throw new Error(`github-fake: no discussion #${number} in ${repo.fullName}`);
      const now = timestamp();
      const databaseId = repo.world.nextId(seed.databaseId);
      const comment: FakeDiscussionComment = {
        id: `DC_${databaseId}`, user: repo.world.identity.login, replyToId: null, created_at: now, updated_at: now, ...seed, databaseId, discussionId: discussion.id,
      };
      const at = store.comments.findIndex((c) => c.id === comment.id);
      store.comments.splice(at === -1 ? store.comments.length : at, at === -1 ? 0 : 1, comment);
      return structuredClone(comment);
    },
    discussion: (number) => structuredClone(byNumber(number)),
    comments(number) {
      const discussion = byNumber(number);
      return structuredClone(store.comments.filter((c) => c.discussionId === discussion?.id));
    },
  };
}
