import { describe, expect, it } from "vitest";
import { openPullAfterPush } from "../../../../src/agents/executors/workspace/publish-changes.js";

/** GitHub's 502 as Octokit reports it: a status and a response. */
const badGateway = () => Object.assign(new Error("Bad Gateway"), { status: 502, response: { status: 502, headers: {}, data: {} } });

describe("opening the pull request after the push", () => {
  it("tries again on a passing failure, and stops waiting at once when the run is aborted", async () => {
    let calls = 0;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("cancelled")), 100);
    const started = Date.now();
    const error = await openPullAfterPush(async () => {
      calls++;
      throw badGateway();
    }, controller.signal).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect((error as { status?: number }).status).toBe(502);
    expect(calls).toBe(1);
    // Not the 2 s wait: the abort ended it.
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("does not try again on a refusal", async () => {
    let calls = 0;
    const refused = Object.assign(new Error("Forbidden"), { status: 403, response: { status: 403, headers: {}, data: {} } });
    await expect(openPullAfterPush(async () => {
      calls++;
      throw refused;
    })).rejects.toBe(refused);
    expect(calls).toBe(1);
  });
});
