import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRejectionTally } from "../../src/store/rejection-tally.js";
import type { RejectionCount } from "../../src/store/store-stats.js";

const HOUR = 3_600_000;

describe("createRejectionTally", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes one row per hour and reason, once a second, not one per request", async () => {
    const writes: RejectionCount[][] = [];
    const tally = createRejectionTally({ write: async (rows) => void writes.push(rows) });
    for (let i = 0; i < 500; i++) tally.add("bad_signature", 10 * HOUR + i);
    tally.add("rate_limited", 10 * HOUR + 5);
    tally.add("bad_signature", 11 * HOUR);
    await vi.advanceTimersByTimeAsync(999);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([
      [
        { bucketStartMs: 10 * HOUR, reason: "bad_signature", count: 500 },
        { bucketStartMs: 10 * HOUR, reason: "rate_limited", count: 1 },
        { bucketStartMs: 11 * HOUR, reason: "bad_signature", count: 1 },
      ],
    ]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(1);
  });

  it("keeps counts a failed write lost and writes them with the next, then close writes the rest", async () => {
    const writes: RejectionCount[][] = [];
    const errors: unknown[] = [];
    let fail = true;
    const tally = createRejectionTally({
      write: async (rows) => {
        if (fail) throw new Error("database is locked");
        writes.push(rows);
      },
      onError: (error) => errors.push(error),
    });
    tally.add("bad_signature", HOUR);
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toHaveLength(1);
    fail = false;
    tally.add("bad_signature", HOUR + 1);
    tally.add("ip_not_allowed", HOUR + 2);
    await tally.close();
    expect(writes).toEqual([
      [
        { bucketStartMs: HOUR, reason: "bad_signature", count: 2 },
        { bucketStartMs: HOUR, reason: "ip_not_allowed", count: 1 },
      ],
    ]);
    tally.add("bad_signature", HOUR);
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(1);
  });
});
