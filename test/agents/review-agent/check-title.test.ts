import { describe, expect, it } from "vitest";
import { checkTitle, isConventionalTitle } from "../../../src/agents/builtin/review-agent/check-title.js";

describe("isConventionalTitle", () => {
  it.each([
    "feat: add a size label",
    "fix(parser): handle empty input",
    "feat(api)!: drop v1",
    "refactor!: rename the store",
    "docs: fix typo",
    "style: format",
    "perf(queue): batch claims",
    "test: cover replay",
    "build(deps): bump zod to 4.1",
    "ci: cache npm",
    "chore: release 1.2.0",
    "revert: feat: add x",
    "Feat: capitalised type (types are case-insensitive)",
    "fix(web ui): scope with a space",
    'Revert "feat: add a size label"',
  ])("valid: %s", (title) => {
    expect(isConventionalTitle(title)).toBe(true);
  });

  it.each([
    "Add a size label",
    "feature: not a type",
    "feat:missing space",
    "feat: ",
    "feat :space before colon",
    "feat(): empty scope",
    "feat(a(b)): nested parentheses",
    "fix(parser) missing colon",
    "WIP fix: later",
    "",
  ])("invalid: %j", (title) => {
    expect(isConventionalTitle(title)).toBe(false);
  });

  it("warns with the expected form, passes a good title", () => {
    expect(checkTitle("fix: x").level).toBe("pass");
    const v = checkTitle("Fix stuff");
    expect(v.level).toBe("warning");
    expect(v.details.join()).toContain("`type(scope)!: subject`");
  });
});
