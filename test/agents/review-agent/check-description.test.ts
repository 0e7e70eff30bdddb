import { describe, expect, it } from "vitest";
import { checkDescription, isEmptyDescription } from "../../../src/agents/builtin/review-agent/check-description.js";

describe("isEmptyDescription", () => {
  it.each([
    [null, true],
    [undefined, true],
    ["", true],
    ["  \n\t\n", true],
    ["<!-- Describe your change. -->\n\n<!-- How was it tested? -->", true],
    ["<!-- an unterminated template comment", true],
    ["Fixes #12", false],
    ["<!-- template -->\nAdds the size label.", false],
  ])("%j → %s", (body, expected) => {
    expect(isEmptyDescription(body)).toBe(expected);
  });

  it("warns on an empty description only", () => {
    expect(checkDescription("").level).toBe("warning");
    expect(checkDescription("Why: …").level).toBe("pass");
  });
});
