import { describe, expect, it } from "vitest";
import { findOwnComment, isOwnComment } from "../../src/agents/own-comment.js";
import { discussionFrom } from "../../src/github/discussion-queries.js";

describe("switchyard's own comments", () => {
  const own = ["github-actions[bot]", "Switchyard-Bot"];

  it("are the ones its logins wrote (case-insensitive), never one that only carries the marker", () => {
    expect(isOwnComment({ user: "switchyard-bot" }, own)).toBe(true);
    expect(isOwnComment({ user: "github-actions[bot]" }, own)).toBe(true);
    expect(isOwnComment({ user: "mallory" }, own)).toBe(false);
    expect(isOwnComment({ user: null }, own)).toBe(false);
    const comments = [
      { id: 1, user: "mallory", body: "<!-- switchyard -->\n<!-- switchyard:routing -->" },
      { id: 2, user: "switchyard-bot", body: "<!-- switchyard -->\n<!-- switchyard:routing -->" },
    ];
    expect(findOwnComment(comments, own, (b) => b.includes("switchyard:routing"))?.id).toBe(2);
  });

  it("with switchyard's identity unknown, no one else's comment counts: a new comment is posted instead", () => {
    expect(findOwnComment([{ user: "mallory", body: "<!-- switchyard:routing -->" }], [], () => true)).toBeUndefined();
  });

  it("a discussion comment's Bot author is spelled as REST does, so a user named like the App's slug is not the App", () => {
    const state = discussionFrom({
      repository: {
        discussion: {
          id: "D_1", number: 1, title: "t", body: "b", url: "u", labels: null,
          comments: { nodes: [
            { id: "DC_1", body: "x", url: null, author: { __typename: "Bot", login: "switchyard" }, replies: { nodes: [{ id: "DC_2", body: "y", url: null, author: { __typename: "User", login: "switchyard" } }] } },
          ] },
        },
      },
    });
    expect(state!.comments.map((c) => c.user)).toEqual(["switchyard[bot]", "switchyard"]);
    expect(state!.comments.map((c) => isOwnComment(c, ["switchyard[bot]"]))).toEqual([true, false]);
  });
});
