import { describe, expect, it } from "vitest";
import { presentSweep, renderSweep } from "../../src/recovery/present-sweep.js";

describe("renderSweep", () => {
  it("says why a missing delivery was not asked for: asked 3 times already, or too lately to tell", () => {
    const json = presentSweep({
      dryRun: false,
      redelivered: 1,
      hooks: [{ hook: "octo/hello#12", scanned: 9, failed: 4, missing: 4, redelivered: 1, givenUp: 1, waiting: 2, guids: ["g-1"], refused: [{ guid: "g-2", message: "hook octo/hello#12: GitHub answered 422 (Validation Failed): the next sweep tries again" }], errors: [] }],
    });
    expect(json.hooks[0]).toMatchObject({ given_up: 1, waiting: 2, refused: [{ delivery: "g-2", message: expect.stringContaining("422") }] });
    expect(renderSweep(json)).toBe(
      "octo/hello#12: scanned 9, failed 4, missing 4, redelivered 1, given up 1 (asked 3 times), waiting 2 (asked within the last 5 min: the redelivery may be on its way)\n  redelivered g-1\n  refused g-2: hook octo/hello#12: GitHub answered 422 (Validation Failed): the next sweep tries again\n",
    );
  });

  it("says nothing of waiting when none waits", () => {
    const json = presentSweep({ dryRun: true, redelivered: 0, hooks: [{ hook: "org octo", scanned: 1, failed: 0, missing: 0, redelivered: 0, givenUp: 0, waiting: 0, guids: [], refused: [], errors: [] }] });
    expect(renderSweep(json)).toBe("org octo: scanned 1, failed 0, missing 0, would redeliver 0\n");
  });
});
