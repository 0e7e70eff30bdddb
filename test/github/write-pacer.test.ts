import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createWritePacer } from "../../src/github/write-pacer.js";

describe("createWritePacer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs writes for one key serially, at least the interval apart", async () => {
    const pace = createWritePacer(1000, () => Date.now());
    const started: number[] = [];
    const write = () => pace("token", async () => started.push(Date.now()));
    const all = Promise.all([write(), write(), write()]);
    await vi.advanceTimersByTimeAsync(5000);
    await all;
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(1000);
    expect(started[2]! - started[1]!).toBeGreaterThanOrEqual(1000);
  });

  it("does not hold back other keys", async () => {
    const pace = createWritePacer(1000, () => Date.now());
    const order: string[] = [];
    const a = pace("installation:1", async () => order.push("a1"));
    const a2 = pace("installation:1", async () => order.push("a2"));
    const b = pace("installation:2", async () => order.push("b1"));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(["a1", "b1"]);
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all([a, a2, b]);
    expect(order).toEqual(["a1", "b1", "a2"]);
  });

  it("keeps going after a failed write, and an interval of 0 paces nothing", async () => {
    const pace = createWritePacer(1000, () => Date.now());
    await expect(pace("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const next = pace("k", async () => "ok");
    await vi.advanceTimersByTimeAsync(1000);
    await expect(next).resolves.toBe("ok");
    await expect(createWritePacer(0)("k", async () => 1)).resolves.toBe(1);
  });
});
