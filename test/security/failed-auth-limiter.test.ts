import { describe, expect, it } from "vitest";
import { createFailedAuthLimiter } from "../../src/security/failed-auth-limiter.js";

const T0 = 1_700_000_000_000;
const IP = "203.0.113.7";

describe("createFailedAuthLimiter", () => {
  it("does not limit an address with no failures", () => {
    const limiter = createFailedAuthLimiter({ max: 3, windowMs: 60_000 });
    expect(limiter.check(IP, T0)).toEqual({ limited: false });
    expect(limiter.size).toBe(0);
  });

  it("allows up to max failures in the window, limits on one more", () => {
    const limiter = createFailedAuthLimiter({ max: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      limiter.recordFailure(IP, T0 + i * 1000);
      expect(limiter.check(IP, T0 + i * 1000)).toEqual({ limited: false });
    }
    limiter.recordFailure(IP, T0 + 3000);
    // The oldest failure (T0) leaves the window at T0 + 60 s: 57 s from now.
    expect(limiter.check(IP, T0 + 3000)).toEqual({ limited: true, retryAfterSeconds: 57 });
  });

  it("rounds Retry-After up and never answers less than 1 second", () => {
    const limiter = createFailedAuthLimiter({ max: 1, windowMs: 10_000 });
    limiter.recordFailure(IP, T0);
    limiter.recordFailure(IP, T0 + 1);
    expect(limiter.check(IP, T0 + 1)).toEqual({ limited: true, retryAfterSeconds: 10 });
    expect(limiter.check(IP, T0 + 8_500)).toEqual({ limited: true, retryAfterSeconds: 2 });
    expect(limiter.check(IP, T0 + 9_999)).toEqual({ limited: true, retryAfterSeconds: 1 });
  });

  it("unlimits when the oldest failure in the window ages out (sliding window)", () => {
    const limiter = createFailedAuthLimiter({ max: 2, windowMs: 60_000 });
    limiter.recordFailure(IP, T0);
    limiter.recordFailure(IP, T0 + 30_000);
    limiter.recordFailure(IP, T0 + 40_000);
    expect(limiter.check(IP, T0 + 59_999).limited).toBe(true);
    // T0 has left the window; two failures remain, which is not more than max.
    expect(limiter.check(IP, T0 + 60_000)).toEqual({ limited: false });
    // One more failure brings it back over max, until T0 + 30 s ages out.
    limiter.recordFailure(IP, T0 + 61_000);
    expect(limiter.check(IP, T0 + 61_000)).toEqual({ limited: true, retryAfterSeconds: 29 });
    expect(limiter.check(IP, T0 + 90_000)).toEqual({ limited: false });
  });

  it("has no fixed-window boundary: a burst straddling a boundary is still limited", () => {
    const limiter = createFailedAuthLimiter({ max: 2, windowMs: 60_000 });
    limiter.recordFailure(IP, T0 + 59_000);
    limiter.recordFailure(IP, T0 + 59_500);
    limiter.recordFailure(IP, T0 + 60_100);
    expect(limiter.check(IP, T0 + 60_100).limited).toBe(true);
  });

  it("keeps separate addresses independent", () => {
    const limiter = createFailedAuthLimiter({ max: 1, windowMs: 60_000 });
    limiter.recordFailure("198.51.100.1", T0);
    limiter.recordFailure("198.51.100.1", T0);
    limiter.recordFailure("198.51.100.2", T0);
    expect(limiter.check("198.51.100.1", T0).limited).toBe(true);
    expect(limiter.check("198.51.100.2", T0)).toEqual({ limited: false });
    expect(limiter.check("2001:db8::1", T0)).toEqual({ limited: false });
  });

  it("with max 0, the first failure limits", () => {
    const limiter = createFailedAuthLimiter({ max: 0, windowMs: 5_000 });
    limiter.recordFailure(IP, T0);
    expect(limiter.check(IP, T0)).toEqual({ limited: true, retryAfterSeconds: 5 });
    expect(limiter.check(IP, T0 + 5_000)).toEqual({ limited: false });
  });

  it("keeps at most max + 1 timestamps per address, however many failures", () => {
    const limiter = createFailedAuthLimiter({ max: 3, windowMs: 60_000 });
    for (let i = 0; i < 10_000; i++) limiter.recordFailure(IP, T0 + i);
    // Only the last four failures (T0 + 9996 .. 9999) matter: limited until T0 + 9996 + 60 s.
    expect(limiter.check(IP, T0 + 9_999)).toEqual({ limited: true, retryAfterSeconds: 60 });
    expect(limiter.check(IP, T0 + 9_996 + 60_000)).toEqual({ limited: false });
  });

  it("bounds the number of tracked addresses, forgetting the least recently failing", () => {
    const limiter = createFailedAuthLimiter({ max: 1, windowMs: 60_000, maxTracked: 3 });
    limiter.recordFailure("10.0.0.1", T0);
    limiter.recordFailure("10.0.0.1", T0);
    limiter.recordFailure("10.0.0.2", T0 + 1);
    limiter.recordFailure("10.0.0.3", T0 + 2);
    limiter.recordFailure("10.0.0.1", T0 + 3); // most recent again: survives the next eviction
    limiter.recordFailure("10.0.0.4", T0 + 4);
    expect(limiter.size).toBe(3);
    expect(limiter.check("10.0.0.1", T0 + 5).limited).toBe(true);
    limiter.recordFailure("10.0.0.2", T0 + 6); // 10.0.0.2 was evicted: this is its first failure again
    expect(limiter.check("10.0.0.2", T0 + 6)).toEqual({ limited: false });
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`2001:db8::${i.toString(16)}`, T0 + 10 + i);
    expect(limiter.size).toBe(3);
  });

  it("forgets addresses whose failures all left the window", () => {
    const limiter = createFailedAuthLimiter({ max: 5, windowMs: 1_000 });
    limiter.recordFailure("10.0.0.1", T0);
    limiter.recordFailure("10.0.0.2", T0 + 100);
    expect(limiter.size).toBe(2);
    limiter.recordFailure("10.0.0.3", T0 + 1_050); // 10.0.0.1 is stale by now, 10.0.0.2 is not
    expect(limiter.size).toBe(2);
    expect(limiter.check("10.0.0.2", T0 + 1_100)).toEqual({ limited: false });
    expect(limiter.size).toBe(1);
  });

  it("caps Retry-After at the window when the clock steps backwards", () => {
    const limiter = createFailedAuthLimiter({ max: 0, windowMs: 60_000 });
    limiter.recordFailure(IP, T0);
    expect(limiter.check(IP, T0 - 3_600_000)).toEqual({ limited: true, retryAfterSeconds: 60 });
  });

  it.each([
    [{ max: -1, windowMs: 1000 }, "failedAuth.max"],
    [{ max: 1.5, windowMs: 1000 }, "failedAuth.max"],
    [{ max: 1, windowMs: 0 }, "failedAuth.windowMs"],
    [{ max: 1, windowMs: Number.NaN }, "failedAuth.windowMs"],
    [{ max: 1, windowMs: 1000, maxTracked: 0 }, "failedAuth.maxTracked"],
  ])("rejects invalid options %j", (options, message) => {
    expect(() => createFailedAuthLimiter(options)).toThrow(message);
  });
});
