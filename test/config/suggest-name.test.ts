import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, suggestName } from "../../src/config/suggest-name.js";

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["", "abc", 3],
    ["issue", "issues", 1],
    ["opend", "opened", 1],
    ["IsseuAgent", "IssueAgent", 1],
    ["ab", "ba", 1],
    ["kitten", "sitting", 3],
    ["Guardain", "Guardian", 1],
  ])("%s → %s is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe("suggestName", () => {
  const agents = ["IssueAgent", "ReviewAgent", "DeploymentAgent", "CoordinatorAgent", "Guardian"];

  it.each([
    ["IsueAgent", "IssueAgent"],
    ["issueagent", "IssueAgent"],
    ["Reviewer", null],
    ["DeployAgent", "DeploymentAgent"],
    ["X", null],
    ["TriageBot", null],
  ])("%s → %s", (value, expected) => {
    expect(suggestName(value, agents)).toBe(expected);
  });

  it("prefers the nearest of several near names", () => {
    expect(suggestName("opend", ["opened", "edited", "reopened"])).toBe("opened");
  });

  it("didYouMean says nothing when nothing is near", () => {
    expect(didYouMean("issue", ["issues", "push"])).toBe(" did you mean issues?");
    expect(didYouMean("zzz", ["issues", "push"])).toBe("");
  });
});
