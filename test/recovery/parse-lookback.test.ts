import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { parseLookback } from "../../src/recovery/parse-lookback.js";

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
