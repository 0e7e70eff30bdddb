import { describe, expect, it } from "vitest";
import { createPayloadCache } from "../../src/queue/payload-cache.js";

describe("createPayloadCache", () => {
  it("keeps the newest entries up to its capacity", () => {
    const cache = createPayloadCache(2);
    cache.set("a", { n: 1 });
    cache.set("b", { n: 2 });
    cache.set("c", { n: 3 });
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toEqual({ n: 2 });
    expect(cache.get("c")).toEqual({ n: 3 });
    expect(cache.size).toBe(2);
  });

  it("refreshes an entry set again, and a capacity of 0 keeps nothing", () => {
    const cache = createPayloadCache(2);
    cache.set("a", { n: 1 });
    cache.set("b", { n: 2 });
    cache.set("a", { n: 10 });
    cache.set("c", { n: 3 });
    expect(cache.get("a")).toEqual({ n: 10 });
    expect(cache.get("b")).toBeUndefined();
    const none = createPayloadCache(0);
    none.set("a", {});
    expect(none.get("a")).toBeUndefined();
  });
});
