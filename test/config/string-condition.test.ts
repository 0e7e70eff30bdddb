import { describe, expect, it } from "vitest";
import { matcherOf } from "../../src/config/string-condition.js";

describe("matcherOf", () => {
  it("a plain string matches itself only", () => {
    const deploy = matcherOf("deploy");
    expect([deploy("deploy"), deploy("deploy2"), deploy("Deploy")]).toEqual([true, false, false]);
  });

  it.each(["/deploy/g", "/deploy/y", "/deploy/gi"])("%s answers the same however often it is asked (g and y do not carry state between tests)", (pattern) => {
    const test = matcherOf(pattern);
    expect([test("deploy"), test("deploy"), test("deploy"), test("ship"), test("deploy")]).toEqual([true, true, true, false, true]);
  });
});
