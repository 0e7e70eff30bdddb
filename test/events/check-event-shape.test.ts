import { describe, expect, it } from "vitest";
import { foreignEventOf, missingEventKeys } from "../../src/events/check-event-shape.js";
import { allExamples, asJson, exampleOf } from "../support/examples.js";

describe("missingEventKeys", () => {
  it("finds nothing missing in any of GitHub's example payloads for their own event", () => {
    const found: string[] = [];
    const examples = allExamples();
    for (const example of examples) {
      const missing = missingEventKeys(example.event, asJson(example.payload));
      if (missing !== null) found.push(`${example.event}: ${missing.join(", ")}`);
    }
    expect(examples.length).toBeGreaterThan(300);
    expect(found).toEqual([]);
  });

  it("names what a payload labelled as another event lacks", () => {
    expect(missingEventKeys("push", { action: "opened", issue: {} })).toEqual(["ref"]);
    expect(missingEventKeys("issue_comment", { issue: { number: 1 } })).toEqual(["comment"]);
    expect(missingEventKeys("pull_request_review", {})).toEqual(["pull_request", "review"]);
  });

  it("takes a key whose value is not what GitHub sends there as missing: an issue that is a string, an array or has no number, a ref that is not a string", () => {
    for (const issue of ["x", [], {}, { number: "1" }, null]) expect(missingEventKeys("issues", { issue }), JSON.stringify(issue)).toEqual(["issue"]);
    expect(missingEventKeys("issues", { issue: { number: 7 } })).toBeNull();
    expect(missingEventKeys("push", { ref: 1 })).toEqual(["ref"]);
    expect(missingEventKeys("workflow_run", { workflow_run: [] })).toEqual(["workflow_run"]);
  });

  it("finds no foreign key in any of GitHub's example payloads, and names the event a neighbour's payload looks like", () => {
    const found: string[] = [];
    for (const example of allExamples()) {
      const foreign = foreignEventOf(example.event, asJson(example.payload));
      if (foreign !== null) found.push(`${example.event}: ${foreign.key}`);
    }
    expect(found).toEqual([]);
    expect(foreignEventOf("issues", asJson(exampleOf("issue_comment", "created")))).toEqual({ key: "comment", event: "issue_comment" });
    expect(foreignEventOf("pull_request", asJson(exampleOf("pull_request_review", "submitted")))).toEqual({ key: "review", event: "pull_request_review" });
    expect(foreignEventOf("star", { comment: {} })).toBeNull();
  });

  it("checks nothing for events it has no table row for, Object's own names included", () => {
    for (const name of ["star", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(missingEventKeys(name, {})).toBeNull();
    }
  });
});
