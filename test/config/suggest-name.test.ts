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
    ["Review", "ReviewAgent"],
    ["X", null],
    ["TriageBot", null],
  ])("%s → %s", (value, expected) => {
    expect(suggestName(value, agents)).toBe(expected);
  });

  it("prefers the nearest of several near names", () => {
    expect(suggestName("opend", ["opened", "edited", "reopened"])).toBe("opened");
  });

  it("a name typed short is the one candidate that extends it, however many edits away", () => {
    const retry = ["maxRetries", "initialDelayMs", "maxDelayMs", "multiplier"];
    expect(suggestName("initial", retry)).toBe("initialDelayMs");
    expect(suggestName("INITIALDELAY", retry)).toBe("initialDelayMs");
    // Several extend it: no guess from the prefix; the nearest spelling decides, or nothing.
    expect(suggestName("max", retry)).toBe(null);
    expect(suggestName("issue", ["issue_comment", "issues", "issue_dependencies"])).toBe("issues");
    expect(suggestName("Issue", ["IssueAgent", "ReviewAgent", "IssueAgent"])).toBe("IssueAgent");
    // Two letters say too little.
    expect(suggestName("in", retry)).toBe(null);
  });

  it("didYouMean says nothing when nothing is near", () => {
    expect(didYouMean("issue", ["issues", "push"])).toBe(" did you mean issues?");
    expect(didYouMean("zzz", ["issues", "push"])).toBe("");
  });
});
