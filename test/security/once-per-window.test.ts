import { describe, expect, it } from "vitest";
import { createOncePerWindow } from "../../src/security/once-per-window.js";

describe("createOncePerWindow", () => {
  it("says yes to a key once per window, to each key on its own", () => {
    const firstTime = createOncePerWindow(1000);
    expect(firstTime("a", 0)).toBe(true);
    expect(firstTime("a", 1)).toBe(false);
    expect(firstTime("b", 2)).toBe(true);
    expect(firstTime("a", 999)).toBe(false);
    expect(firstTime("a", 1000)).toBe(true);
    expect(firstTime("a", 1500)).toBe(false);
  });

  it("remembers at most maxTracked keys, forgetting the one said longest ago", () => {
    const firstTime = createOncePerWindow(60_000, 2);
    expect(firstTime("a", 0)).toBe(true);
    expect(firstTime("b", 1)).toBe(true);
    expect(firstTime("c", 2)).toBe(true);
    // "a" was forgotten to make room: said again; "c" is still known.
    expect(firstTime("a", 3)).toBe(true);
    expect(firstTime("c", 4)).toBe(false);
  });
});
