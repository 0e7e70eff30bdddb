import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
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

  it("cancels a paginated read between pages: the next page's request carries the signal too", async () => {
    // A real Octokit against a loopback server: page 1 answers with a Link to page 2, and
    // page 2 never answers until its request is cancelled.
    let secondPage: IncomingMessage | null = null;
    let secondPageClosed = false;
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const page = new URL(request.url!, "http://x").searchParams.get("page");
      if (page === "2") {
        secondPage = request;
        response.on("close", () => (secondPageClosed = true));
        return;
      }
      const next = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repos/octo/app/labels?per_page=100&page=2`;
      response.writeHead(200, { "content-type": "application/json", link: `<${next}>; rel="next"` });
      response.end(JSON.stringify([{ name: "bug" }]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const octokit = new Octokit({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, request: { retries: 0 } });
      const controller = new AbortController();
      const listing = client(octokit, controller.signal, 0, []).listRepoLabels("octo/app");
      const outcome = listing.then(
        () => "finished",
        (error: Error) => error.name,
      );
      const deadline = Date.now() + 10_000;
      while (secondPage === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(secondPage).not.toBeNull();
      controller.abort(new Error("shutting down"));
      // Without the signal on every page the read would hang until the server answered.
      const settled = await Promise.race([outcome, new Promise((r) => setTimeout(() => r("still waiting"), 5000))]);
      expect(settled).toMatch(/Abort|Error/);
      await new Promise((r) => setTimeout(r, 100));
      expect(secondPageClosed).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
