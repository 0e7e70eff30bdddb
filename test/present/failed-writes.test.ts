import { describe, expect, it } from "vitest";
import { failedWrites } from "../../src/present/records.js";
import { afterTaskNote } from "../../src/queue/after-task-error.js";

describe("failedWrites: the writes GitHub refused, read from the attempts", () => {
  it("takes the agent's failed call from its error and the routing comment's from the note in its output", () => {
    const comment = afterTaskNote("the routing comment on octo/app#1", "POST /repos/octo/app/issues/1/comments: HTTP 403 Resource not accessible by integration");
    const attempts = [
      { n: 1, error: "PATCH /repos/octo/app/issues/1: HTTP 502 Bad Gateway", output: "labelled\n" },
      { n: 2, error: null, output: `done\n${comment}` },
    ];
    expect(failedWrites(attempts)).toEqual([
      { method: "PATCH", route: "/repos/octo/app/issues/1", attempt: 1, see: "error" },
      { method: "POST", route: "/repos/octo/app/issues/1/comments", attempt: 2, see: "output" },
    ]);
  });

  it("leaves out reads (a GraphQL query too), errors that name no call, and output that only looks like a note", () => {
    const attempts = [
      { n: 1, error: "GET /repos/octo/app/issues/1: HTTP 404 Not Found", output: null },
      { n: 1, error: "POST /graphql (a query): HTTP 502 from api.github.com: Bad Gateway", output: null },
      { n: 2, error: "the agent timed out after 30 s", output: "switchyard: POST /repos/octo/app/issues/1/comments: HTTP 403 (an agent's own line)" },
    ];
    expect(failedWrites(attempts)).toEqual([]);
  });
});
