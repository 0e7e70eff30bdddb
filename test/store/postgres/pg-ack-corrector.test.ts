import type pg from "pg";
import { describe, expect, it } from "vitest";
import { createAckCorrector } from "../../../src/store/postgres/pg-ack-corrector.js";

/** A pool whose queries wait until the test lets each one finish (or fail). */
function gatedPool() {
  const queries: { values: unknown[]; finish: (error?: Error) => void }[] = [];
  const pool = {
    query: (_text: string, values: unknown[]) =>
      new Promise<void>((resolve, reject) => {
        queries.push({ values, finish: (error) => (error === undefined ? resolve() : reject(error)) });
      }),
  } as unknown as pg.Pool;
  return { pool, queries };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("createAckCorrector", () => {
  it("runs one UPDATE at a time, and those asked for meanwhile together in the next", async () => {
    const { pool, queries } = gatedPool();
    const correct = createAckCorrector(pool);
    const first = correct("a", 1500);
    await tick();
    expect(queries.map((q) => q.values)).toEqual([[["a"], [1500]]]);
    const later = [correct("b", 1600), correct("c", 1700)];
    await tick();
    expect(queries).toHaveLength(1);
    queries[0]!.finish();
    await first;
    await tick();
    expect(queries.map((q) => q.values)).toEqual([[["a"], [1500]], [["b", "c"], [1600, 1700]]]);
    queries[1]!.finish();
    await Promise.all(later);
  });

  it("rejects the callers of a failed UPDATE, and runs the next one anyway", async () => {
    const { pool, queries } = gatedPool();
    const correct = createAckCorrector(pool);
    const failed = correct("a", 1500);
    await tick();
    const next = correct("b", 1600);
    queries[0]!.finish(new Error("connection terminated"));
    await expect(failed).rejects.toThrow("connection terminated");
    await tick();
    expect(queries.map((q) => q.values)).toEqual([[["a"], [1500]], [["b"], [1600]]]);
    queries[1]!.finish();
    await expect(next).resolves.toBeUndefined();
  });
});
