import type { Octokit } from "@octokit/rest";
import { describe, expect, it } from "vitest";
import { createGithubClient } from "../../src/github/github-client.js";
import { createWritePacer } from "../../src/github/write-pacer.js";
import { createLogger } from "../../src/observability/logger.js";
import type { GithubActionRecord } from "../../src/store/store.js";

/** An Octokit stand-in that records what it is asked and answers at once. */
function recordingOctokit() {
  const calls: { route: string; params: Record<string, unknown> }[] = [];
  const octokit = {
    request: async (route: string, params: Record<string, unknown>) => {
      calls.push({ route, params });
      return { data: { id: 1 } };
    },
  } as unknown as Octokit;
  return { octokit, calls };
}

function client(octokit: Octokit, signal: AbortSignal, intervalMs: number, recorded: GithubActionRecord[]) {
  return createGithubClient({
    octokit,
    dryRun: false,
    record: (action) => recorded.push(action),
    logger: createLogger("silent"),
    pace: createWritePacer(intervalMs),
    paceKey: "token",
    agent: "IssueAgent",
    task: "7",
    signal,
  });
}

describe("the GitHub client and the task's abort signal", () => {
  it("hands the signal to every request, so an abort cancels one in flight", async () => {
    const { octokit, calls } = recordingOctokit();
    const controller = new AbortController();
    await client(octokit, controller.signal, 0, []).addLabels("octo/app", 1, ["bug"]);
    expect((calls[0]!.params.request as { signal: AbortSignal }).signal).toBe(controller.signal);
  });

  it("sends no write once the task is aborted, not even one already waiting in the pacer", async () => {
    const { octokit, calls } = recordingOctokit();
    const controller = new AbortController();
    const recorded: GithubActionRecord[] = [];
    const github = client(octokit, controller.signal, 300, recorded);
    await github.createComment("octo/app", 1, "first");
    // The second write waits ~300 ms in the pacer; the task is aborted meanwhile.
    const second = github.createComment("octo/app", 1, "second");
    controller.abort(new Error("shutting down"));
    await expect(second).rejects.toThrow("shutting down");
    await expect(github.getIssue("octo/app", 1)).rejects.toThrow("shutting down");
    expect(calls).toHaveLength(1);
    expect(recorded.map((a) => (a.body as { body: string }).body)).toEqual(["first"]);
  });
});
