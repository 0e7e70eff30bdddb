import { describe, expect, it } from "vitest";
import { deployTargetOf } from "../../../src/agents/builtin/deployment-agent/deploy-target-of.js";
import { normalizeEvent } from "../../../src/events/normalize-event.js";
import { asJson, exampleOf } from "../../support/examples.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

function push(ref: string, deleted = false): Payload {
  const payload = exampleOf("push") as unknown as Payload;
  payload.ref = ref;
  payload.deleted = deleted;
  return payload;
}

function closedPull(merged: boolean): Payload {
  const payload = exampleOf("pull_request", "closed") as unknown as Payload;
  payload.pull_request.merged = merged;
  return payload;
}

describe("deployTargetOf", () => {
  it("deploys a push's after sha on its branch", () => {
    const payload = push("refs/heads/main");
    expect(deployTargetOf(normalizeEvent("push", asJson(payload)))).toEqual({ sha: payload.after, ref: "main" });
  });

  it("deploys a merged pull request's merge commit on its base branch, not its head", () => {
    const payload = closedPull(true);
    const target = deployTargetOf(normalizeEvent("pull_request", asJson(payload)));
    expect(target).toEqual({ sha: payload.pull_request.merge_commit_sha, ref: payload.pull_request.base.ref });
    expect(target).not.toMatchObject({ sha: payload.pull_request.head.sha });
  });

  const skipped: [string, string, Payload, RegExp][] = [
    ["a tag push", "push", push("refs/tags/v1.0.0"), /tag/],
    ["a branch deletion", "push", push("refs/heads/main", true), /deleted/],
    ["a pull request closed unmerged", "pull_request", closedPull(false), /without merging/],
    ["another event", "issues", exampleOf("issues", "opened") as unknown as Payload, /do not deploy/],
  ];
  for (const [name, event, payload, reason] of skipped) {
    it(`deploys nothing for ${name}`, () => {
      const target = deployTargetOf(normalizeEvent(event, asJson(payload)));
      expect(target).toHaveProperty("skip");
      expect((target as { skip: string }).skip).toMatch(reason);
    });
  }
});
