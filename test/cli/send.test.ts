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
});
