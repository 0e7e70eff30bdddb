import { describe, expect, it } from "vitest";
import { presentSweep, renderSweep } from "../../src/recovery/present-sweep.js";

describe("renderSweep", () => {
  it("says why a missing delivery was not asked for: asked 3 times already, or too lately to tell", () => {
    const json = presentSweep({
      dryRun: false,
      redelivered: 1,
      hooks: [{ hook: "octo/hello#12", scanned: 9, failed: 4, missing: 4, redelivered: 1, givenUp: 1, givenUpGuids: ["g-0"], waiting: 2, guids: ["g-1"], refused: [{ guid: "g-2", message: "hook octo/hello#12: GitHub answered 422 (Validation Failed): the next sweep tries again" }], errors: [] }],
    });
    expect(json.hooks[0]).toMatchObject({ given_up: 1, given_up_deliveries: ["g-0"], waiting: 2, refused: [{ delivery: "g-2", message: expect.stringContaining("422") }] });
    expect(renderSweep(json)).toBe(
      "octo/hello#12: scanned 9, failed 4, missing 4, redelivered 1, given up 1 (asked 3 times), waiting 2 (asked within the last 5 min: asked again after that unless the redelivery arrives)\n  redelivered g-1\n  refused g-2: hook octo/hello#12: GitHub answered 422 (Validation Failed): the next sweep tries again\n  given up g-0\n",
    );
  });

  it("says nothing of waiting when none waits", () => {
    const json = presentSweep({ dryRun: true, redelivered: 0, hooks: [{ hook: "org octo", scanned: 1, failed: 0, missing: 0, redelivered: 0, givenUp: 0, givenUpGuids: [], waiting: 0, guids: [], refused: [], errors: [] }] });
    expect(renderSweep(json)).toBe("org octo: scanned 1, failed 0, missing 0, would redeliver 0\n");
  });

  it("names at most 20 given-up deliveries, and says how many more --json lists", () => {
    const givenUpGuids = Array.from({ length: 23 }, (_, i) => `g-${i}`);
    const json = presentSweep({ dryRun: false, redelivered: 0, hooks: [{ hook: "app", scanned: 30, failed: 23, missing: 23, redelivered: 0, givenUp: 23, givenUpGuids, waiting: 0, guids: [], refused: [], errors: [] }] });
    expect(json.hooks[0]!.given_up_deliveries).toEqual(givenUpGuids);
    const lines = renderSweep(json).trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("  given up g-"))).toHaveLength(20);
    expect(lines.at(-1)).toBe("  given up 3 more (--json lists them all)");
  });
});
