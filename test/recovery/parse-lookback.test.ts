import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { beyondRetention, parseLookback } from "../../src/recovery/parse-lookback.js";

// redeliver --since, ?since= and recovery.lookback take the same durations.
describe("parseLookback", () => {
  it.each([
    ["1m", 60_000],
    ["60s", 60_000],
    ["90s", 90_000],
    ["72h", 72 * 3_600_000],
    ["7d", 168 * 3_600_000],
  ])("%s → %d ms, and recovery.lookback takes it too", (since, ms) => {
    expect(parseLookback(since)).toBe(ms);
    expect(parseConfig({ recovery: { lookback: since } }).config.recovery.lookback).toBe(ms);
  });

  it.each(["1s", "59s", "0.5m"])("%s is under the 1m that recovery.lookback refuses too", (since) => {
    expect(parseLookback(since)).toBe(`since is at least 1m, not "${since}", as recovery.lookback`);
    expect(() => parseConfig({ recovery: { lookback: since } })).toThrow(/recovery\.lookback is at least 1m/);
  });

  it("over 168h is refused, as by recovery.lookback", () => {
    expect(parseLookback("169h")).toBe("since is at most 168h: GitHub keeps no older deliveries (github.com: 72h)");
    expect(() => parseConfig({ recovery: { lookback: "169h" } })).toThrow(/recovery\.lookback is at most 168h/);
  });

  it("a duration without a unit says which units there are", () => {
    expect(parseLookback("72")).toBe('since must be a duration with a unit (s, m, h or d), like 24h, not "72"');
  });
});

// A delivery GitHub logged as failed that switchyard stored, ran and pruned would look missing.
describe("a look back longer than the store keeps delivery rows", () => {
  const hooks = [{ repository: "octo/hello", id: 12 }];

  it("is refused in the config when hooks are swept, naming both and what to do", () => {
    expect(() => parseConfig({ recovery: { hooks, lookback: "96h" }, store: { retention: { bodies: "72h", rows: "72h" } } })).toThrow(
      "recovery.lookback reads back 4d, longer than store.retention.rows (3d): a delivery switchyard ran and then pruned would look missing, be redelivered and run twice; read back at most 3d, or keep rows longer",
    );
    expect(parseConfig({ recovery: { hooks, lookback: "72h" }, store: { retention: { bodies: "72h", rows: "72h" } } }).config.recovery.lookback).toBe(72 * 3_600_000);
    // No hook, no sweep: a look back no sweep uses is not held against the retention.
    expect(parseConfig({ recovery: { lookback: "96h" }, store: { retention: { bodies: "72h", rows: "72h" } } }).config.recovery.lookback).toBe(96 * 3_600_000);
  });

  it("is what --since and ?since= are checked against too", () => {
    expect(beyondRetention(72 * 3_600_000, 72 * 3_600_000)).toBeNull();
    expect(beyondRetention(168 * 3_600_000, 90 * 86_400_000)).toBeNull();
    expect(beyondRetention(100 * 3_600_000, 72 * 3_600_000)).toMatch(/^reads back 100h, longer than store\.retention\.rows \(3d\)/);
  });
});
