import { afterAll, describe, expect, it } from "vitest";
import { createWorkdir, runCli } from "../support/run-cli.js";

const work = createWorkdir();
afterAll(() => work.remove());

describe("switchyard send", () => {
  it("refuses an event name GitHub never sends, for --payload, before sending anything", async () => {
    work.write("issue.json", JSON.stringify({ action: "opened", issue: { number: 1 } }));
    // No server listens at this URL: the refusal comes first.
    const result = await runCli(["send", "isues", "--payload", "issue.json", "--url", "http://127.0.0.1:9/webhooks/github"], { cwd: work.dir, env: { WEBHOOK_SECRET: "s" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('switchyard: event "isues" is not a GitHub webhook event: did you mean issues?\n');
  });

  it("refuses pull_request_target for --payload: an Actions trigger GitHub never sends as a webhook", async () => {
    work.write("pr.json", JSON.stringify({ action: "opened", pull_request: { number: 1 } }));
    const result = await runCli(["send", "pull_request_target", "--payload", "pr.json", "--url", "http://127.0.0.1:9/webhooks/github"], { cwd: work.dir, env: { WEBHOOK_SECRET: "s" } });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe('switchyard: event "pull_request_target" is a GitHub Actions trigger, never sent as a webhook: its payload is a pull_request event\'s (use pull_request)\n');
  });
});
