import { describe, expect, it } from "vitest";
import { MAX_SERVER_DELAY_MS, computeBackoff, retryDelay, shouldRetry } from "../../src/queue/backoff.js";

// The default retry policy (docs/configuration.md, retry).
const SEED = { initialDelayMs: 1000, maxDelayMs: 10000, multiplier: 2 };
const NO_JITTER = (): number => 0.5;
const LOWEST = (): number => 0;
const HIGHEST = (): number => 0.999999;

describe("computeBackoff", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10000],
    [6, 10000],
    [50, 10000],
    [5000, 10000],
  ])("retry %i waits %i ms without jitter", (retry, expected) => {
    expect(computeBackoff(retry, SEED, NO_JITTER)).toBe(expected);
  });

  it.each([
    [1, 800, 1200],
    [3, 3200, 4800],
    [5, 8000, 12000],
  ])("retry %i stays within ±20 %% (%i..%i)", (retry, low, high) => {
    expect(computeBackoff(retry, SEED, LOWEST)).toBe(low);
    expect(computeBackoff(retry, SEED, HIGHEST)).toBe(high);
  });

  it("applies the cap before the jitter, so a capped delay may reach 1.2 × max", () => {
    expect(computeBackoff(10, SEED, HIGHEST)).toBeGreaterThan(SEED.maxDelayMs);
    expect(computeBackoff(10, SEED, HIGHEST)).toBeLessThanOrEqual(SEED.maxDelayMs * 1.2);
  });

  it("returns integer milliseconds", () => {
    expect(Number.isInteger(computeBackoff(1, { initialDelayMs: 333, maxDelayMs: 10000, multiplier: 1.7 }, () => 0.123))).toBe(
      true,
    );
  });

  it("treats a retry number below 1 as the first retry", () => {
    expect(computeBackoff(0, SEED, NO_JITTER)).toBe(1000);
  });

  it("uses Math.random by default, within the jitter bounds", () => {
    for (let i = 0; i < 200; i++) {
      const delay = computeBackoff(2, SEED);
      expect(delay).toBeGreaterThanOrEqual(1600);
      expect(delay).toBeLessThanOrEqual(2400);
    }
  });
});

describe("shouldRetry", () => {
  it.each([
    [1, 3, true],
    [2, 3, true],
    [3, 3, true],
    [4, 3, false],
    [5, 3, false],
    [1, 0, false],
    [1, 1, true],
    [2, 1, false],
  ])("after %i executions with maxRetries %i: %s", (attempts, maxRetries, expected) => {
    expect(shouldRetry(attempts, maxRetries)).toBe(expected);
  });

  it("allows maxRetries + 1 executions in all", () => {
    let executions = 0;
    do executions++;
    while (shouldRetry(executions, 3));
    expect(executions).toBe(4);
  });
});

describe("retryDelay", () => {
  it.each([
    ["no server hint", {}, 2000],
    ["a shorter server hint", { retryAfterMs: 500 }, 2000],
    ["a longer server hint", { retryAfterMs: 60_000 }, 60_000],
    ["a fractional hint, rounded up", { retryAfterMs: 2500.2 }, 2501],
    ["a hint of zero", { retryAfterMs: 0 }, 2000],
    ["a negative hint", { retryAfterMs: -5 }, 2000],
    ["a NaN hint", { retryAfterMs: Number.NaN }, 2000],
    ["a hint past the ceiling", { retryAfterMs: 86_400_000 }, MAX_SERVER_DELAY_MS],
    ["an infinite hint", { retryAfterMs: Number.POSITIVE_INFINITY }, MAX_SERVER_DELAY_MS],
  ])("with %s", (_label, classification, expected) => {
    expect(retryDelay(2, SEED, classification, NO_JITTER)).toBe(expected);
  });

  it("keeps the ceiling at one hour, GitHub's primary rate-limit window", () => {
    expect(MAX_SERVER_DELAY_MS).toBe(3_600_000);
  });

  it("does not clamp a configured backoff above the ceiling", () => {
    const slow = { initialDelayMs: 7_200_000, maxDelayMs: 7_200_000, multiplier: 2 };
    expect(retryDelay(1, slow, { retryAfterMs: 60_000 }, NO_JITTER)).toBe(7_200_000);
  });
});
