import { describe, expect, it } from "vitest";
import { createFailedAuthLimiter } from "../../src/security/failed-auth-limiter.js";
import { createSharedFailedAuthLimiter } from "../../src/security/shared-failed-auth-limiter.js";
import type { AuthFailures } from "../../src/store/store.js";

const T0 = 1_700_000_000_000;
const IP = "203.0.113.7";
const WINDOW = 60_000;

/** A store's shared count, as several instances would fill it: a sliding window of stamps per source. */
function fakeSharedCount() {
  const stamps = new Map<string, number[]>();
  const calls: { source: string; now: number; window: { windowMs: number; max: number } }[] = [];
  return {
    calls,
    /** Another instance recorded a failure. */
    elsewhere(source: string, at: number) {
      stamps.set(source, [...(stamps.get(source) ?? []), at]);
    },
    async recordAuthFailure(source: string, now: number, window: { windowMs: number; max: number }): Promise<AuthFailures> {
      calls.push({ source, now, window });
      const inWindow = [...(stamps.get(source) ?? []), now].filter((t) => t > now - window.windowMs);
      stamps.set(source, inWindow);
      const counted = inWindow.slice(-(window.max + 1));
      return { count: counted.length, oldest: counted[0] ?? null };
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function silentLogger() {
  const warnings: { obj: object; msg: string }[] = [];
  return { warnings, warn: (obj: object, msg: string) => void warnings.push({ obj, msg }) };
}

describe("createSharedFailedAuthLimiter", () => {
  it("records every failure locally and in the store, with the configured window", async () => {
    const shared = fakeSharedCount();
    const limiter = createSharedFailedAuthLimiter({ local: createFailedAuthLimiter({ max: 3, windowMs: WINDOW }), recordAuthFailure: shared.recordAuthFailure, max: 3, windowMs: WINDOW, logger: silentLogger() });
    limiter.recordFailure(IP, T0);
    expect(limiter.size).toBe(1);
    await settle();
    expect(shared.calls).toEqual([{ source: IP, now: T0, window: { windowMs: WINDOW, max: 3 } }]);
    expect(limiter.check(IP, T0)).toEqual({ limited: false });
  });

  it("limits a source that failed more than max times across instances, until the oldest of them leaves the window", async () => {
    const shared = fakeSharedCount();
    // Other instances saw three failures; this one sees its first.
    shared.elsewhere(IP, T0);
    shared.elsewhere(IP, T0 + 1000);
    shared.elsewhere(IP, T0 + 2000);
    const limiter = createSharedFailedAuthLimiter({ local: createFailedAuthLimiter({ max: 3, windowMs: WINDOW }), recordAuthFailure: shared.recordAuthFailure, max: 3, windowMs: WINDOW, logger: silentLogger() });
    limiter.recordFailure(IP, T0 + 3000);
    // The answer has not come yet: check never waits for it.
    expect(limiter.check(IP, T0 + 3000)).toEqual({ limited: false });
    await settle();
    // Four failures in the window, the oldest at T0: limited until T0 + 60 s.
    expect(limiter.check(IP, T0 + 3000)).toEqual({ limited: true, retryAfterSeconds: 57 });
    expect(limiter.check(IP, T0 + WINDOW - 1)).toEqual({ limited: true, retryAfterSeconds: 1 });
    expect(limiter.check(IP, T0 + WINDOW)).toEqual({ limited: false });
    expect(limiter.check("198.51.100.1", T0 + 3000)).toEqual({ limited: false });
  });

  it("does not limit at max failures across instances, only above", async () => {
    const shared = fakeSharedCount();
    shared.elsewhere(IP, T0);
    shared.elsewhere(IP, T0 + 1000);
    const limiter = createSharedFailedAuthLimiter({ local: createFailedAuthLimiter({ max: 3, windowMs: WINDOW }), recordAuthFailure: shared.recordAuthFailure, max: 3, windowMs: WINDOW, logger: silentLogger() });
    limiter.recordFailure(IP, T0 + 2000);
    await settle();
    expect(limiter.check(IP, T0 + 2000)).toEqual({ limited: false });
  });

  it("lets through at most about max + N failed checks across N instances", async () => {
    const shared = fakeSharedCount();
    const max = 5;
    const instances = Array.from({ length: 3 }, () =>
      createSharedFailedAuthLimiter({ local: createFailedAuthLimiter({ max, windowMs: WINDOW }), recordAuthFailure: shared.recordAuthFailure, max, windowMs: WINDOW, logger: silentLogger() }),
    );
    // A guesser spreads its attempts round-robin (a load balancer); a failed check that was
    // not refused counts as let through.
    let letThrough = 0;
    for (let i = 0; i < 60; i++) {
      const instance = instances[i % instances.length]!;
      const now = T0 + i * 100;
      if (instance.check(IP, now).limited) continue;
      letThrough++;
      instance.recordFailure(IP, now);
      await settle();
    }
    expect(letThrough).toBeLessThanOrEqual(max + instances.length);
    // Separate in-memory limiters alone would each have allowed max + 1.
    expect(letThrough).toBeGreaterThan(max);
  });

  it("a store that fails is logged at warn, never thrown, and the local limit still holds", async () => {
    const logger = silentLogger();
    const limiter = createSharedFailedAuthLimiter({
      local: createFailedAuthLimiter({ max: 1, windowMs: WINDOW }),
      recordAuthFailure: () => Promise.reject(new Error("connection refused")),
      max: 1,
      windowMs: WINDOW,
      logger,
    });
    expect(() => limiter.recordFailure(IP, T0)).not.toThrow();
    limiter.recordFailure(IP, T0 + 1);
    await settle();
    expect(logger.warnings).toHaveLength(2);
    expect(logger.warnings[0]!.obj).toMatchObject({ source: IP, err: expect.any(Error) });
    expect(limiter.check(IP, T0 + 1)).toEqual({ limited: true, retryAfterSeconds: 60 });
  });

  it("a store that throws synchronously does not break the request either", async () => {
    const logger = silentLogger();
    const limiter = createSharedFailedAuthLimiter({
      local: createFailedAuthLimiter({ max: 3, windowMs: WINDOW }),
      recordAuthFailure: () => {
        throw new Error("pool closed");
      },
      max: 3,
      windowMs: WINDOW,
      logger,
    });
    expect(() => limiter.recordFailure(IP, T0)).not.toThrow();
    await settle();
    expect(logger.warnings).toHaveLength(1);
  });

  it("a peer's answer cannot limit for longer than one window from now", async () => {
    const limiter = createSharedFailedAuthLimiter({
      local: createFailedAuthLimiter({ max: 1, windowMs: WINDOW }),
      // A peer whose clock runs an hour ahead.
      recordAuthFailure: async () => ({ count: 2, oldest: T0 + 3_600_000 }),
      max: 1,
      windowMs: WINDOW,
      logger: silentLogger(),
    });
    limiter.recordFailure(IP, T0);
    await settle();
    expect(limiter.check(IP, T0)).toEqual({ limited: true, retryAfterSeconds: 60 });
    expect(limiter.check(IP, T0 + WINDOW)).toEqual({ limited: false });
  });
});

describe("createFailedAuthLimiter().limitUntil", () => {
  it("limits an address it never saw fail, and forgets it once the limit ends", () => {
    const limiter = createFailedAuthLimiter({ max: 3, windowMs: WINDOW });
    limiter.limitUntil(IP, T0 + 10_000, T0);
    expect(limiter.check(IP, T0)).toEqual({ limited: true, retryAfterSeconds: 10 });
    expect(limiter.check(IP, T0 + 10_000)).toEqual({ limited: false });
    expect(limiter.size).toBe(0);
  });

  it("ignores a limit that already ended, and never shortens one", () => {
    const limiter = createFailedAuthLimiter({ max: 3, windowMs: WINDOW });
    limiter.limitUntil(IP, T0 - 1, T0);
    expect(limiter.size).toBe(0);
    limiter.limitUntil(IP, T0 + 20_000, T0);
    limiter.limitUntil(IP, T0 + 5_000, T0);
    expect(limiter.check(IP, T0)).toEqual({ limited: true, retryAfterSeconds: 20 });
  });

  it("keeps within maxTracked", () => {
    const limiter = createFailedAuthLimiter({ max: 3, windowMs: WINDOW, maxTracked: 2 });
    for (let i = 0; i < 5; i++) limiter.limitUntil(`198.51.100.${i}`, T0 + 10_000, T0);
    expect(limiter.size).toBe(2);
  });
});
