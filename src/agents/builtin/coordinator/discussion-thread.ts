import { OWN_MARKER } from "../../../commands/parse-commands.js";
import type { DiscussionRef } from "../../../events/event-payload.js";
import type { DiscussionState } from "../../../github/discussion-queries.js";
import type { AgentContext } from "../../agent.js";
import { findOwnComment } from "../../own-comment.js";

/** Where a command's answers go: the discussion, and the thread of the comment that asked. */
export interface DiscussionThread {
  repository: string;
  ref: DiscussionRef & { nodeId: string; number: number };
  /** The discussion as GitHub has it now; null without credentials (dry-run without a token). */
  state: DiscussionState | null;
  /** Posts `text` as a reply to the asking comment, or edits the reply a retried attempt posted before. */
  reply(index: number, text: string): Promise<void>;
}

/** Tags a reply with its delivery and command, so a retried task edits its reply instead of repeating it. */
function replyTag(delivery: string, index: number): string {
  return `<!-- switchyard:reply:${delivery}:${index} -->`;
}

/**
 * GitHub threads discussion comments one level deep: a reply to a reply is refused, so an
 * answer to a comment that is itself a reply goes into its parent's thread.
 * https://docs.github.com/graphql/reference/input-objects#adddiscussioncommentinput
 */
function threadOf(ref: DiscussionRef, state: DiscussionState | null): string | null {
  if (!ref.commentNodeId) return null;
  if (ref.parentCommentId === null) return ref.commentNodeId;
  return state?.comments.find((c) => c.id === ref.commentNodeId)?.replyToId ?? ref.commentNodeId;
}

/**
 * Opens the discussion a task's event is about: reads it once (GraphQL), and answers in the
 * asking comment's thread. Null when the event names no discussion.
 */
export async function openDiscussionThread(ctx: AgentContext): Promise<DiscussionThread | null> {
  const { event, github, task } = ctx;
  const ref = event.discussion;
  if (!event.repository || !ref?.nodeId || ref.number === null) return null;
  const repository = event.repository;
  // With the asking comment's thread, wherever it is: a long discussion's first page may miss it.
  const state = github.canRead ? await github.getDiscussion(repository, ref.number, ref.commentNodeId) : null;
  const replyTo = threadOf(ref, state);
  return {
    repository,
    ref: { ...ref, nodeId: ref.nodeId, number: ref.number },
    state,
    async reply(index, text) {
      const tag = replyTag(task.delivery, index);
      const body = `${OWN_MARKER}\n${tag}\n${text}`;
      // Only switchyard's own reply: a tag copied into someone else's comment must not get it edited.
      const existing = state ? findOwnComment(state.comments, ctx.ownLogins, (body) => body.includes(tag)) : undefined;
      if (existing) await github.updateDiscussionComment(existing.id, body);
      else await github.addDiscussionComment(ref.nodeId!, body, replyTo);
    },
  };
}
