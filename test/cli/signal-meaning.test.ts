import { describe, expect, it } from "vitest";
import { SAME_REQUEST_MS, signalMeaning } from "../../src/cli/serve.js";

describe("signalMeaning", () => {
  it.each([
    { firstAt: null, at: 5000, meaning: "stop", why: "the first signal stops gracefully" },
    { firstAt: 5000, at: 5000, meaning: "same", why: "npm's forwarded copy of the terminal's Ctrl-C, at once" },
    { firstAt: 5000, at: 5000 + SAME_REQUEST_MS - 1, meaning: "same", why: "a duplicate just inside the window" },
    { firstAt: 5000, at: 5000 + SAME_REQUEST_MS, meaning: "force", why: "the operator asking again" },
    { firstAt: 5000, at: 60_000, meaning: "force", why: "much later" },
  ] as const)("$why: $meaning", ({ firstAt, at, meaning }) => {
    expect(signalMeaning(firstAt, at)).toBe(meaning);
  });

  it("treats signals within 2 s as one request", () => {
    expect(SAME_REQUEST_MS).toBe(2000);
  });
});
