import { describe, expect, it } from "vitest";
import { parseLimit } from "../../src/config/parse-limit.js";

describe("parseLimit", () => {
  it.each([
    [undefined, 50],
    ["1", 1],
    [" 200 ", 200],
    ["9007199254740991", 9007199254740991],
  ])("%j → %j", (raw, expected) => {
    expect(parseLimit(raw)).toBe(expected);
  });

  it.each(["", " ", "0", "-1", "1.5", "1e3", "0x10", "abc", "99999999999999999999"])("%j is refused with a message", (raw) => {
    expect(parseLimit(raw)).toEqual(expect.stringContaining("limit"));
  });
});
