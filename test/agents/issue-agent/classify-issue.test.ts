import { describe, expect, it } from "vitest";
import { classifyIssue } from "../../../src/agents/builtin/issue-agent/classify-issue.js";

describe("classifyIssue", () => {
  it.each([
    ["App crashes on login", "", "type:bug", "priority:P2"],
    ["Urgent: checkout is broken", "production down since 9:00", "type:bug", "priority:P0"],
    ["Feature request: dark mode", "It would be nice to have", "type:feature", "priority:P3"],
    ["Fix typo in README", "", "type:docs", "priority:P3"],
    ["Refactor the config loader", "tech debt", "type:refactor", "priority:P2"],
    ["Flaky test in CI", "", "type:test", "priority:P2"],
    ["XSS in the comment form", "a bug, really", "type:security", "priority:P1"],
    ["How do I configure retries?", "", "type:question", "priority:P2"],
    ["Update dependencies", "", null, "priority:P2"],
    ["Something", "**Describe the bug**\nSteps to reproduce: click", "type:bug", "priority:P2"],
  ])("%j / %j → %s, %s", (title, body, type, priority) => {
    const result = classifyIssue(title, body);
    expect(result.type?.label ?? null).toBe(type);
    expect(result.priority.label).toBe(priority);
  });

  it("explains each label with the words that made it", () => {
    const { type, priority } = classifyIssue("Checkout crashes", "critical for the launch");
    expect(type?.reason).toContain('title says "crashes"');
    expect(priority.reason).toContain('body says "critical"');
  });

  it("matches whole words only", () => {
    expect(classifyIssue("Debugger view", "").type).toBeNull();
    expect(classifyIssue("Contest page", "").type).toBeNull();
  });
});
