import { describe, expect, it } from "vitest";
import { jobTokenHint } from "../../src/cli/route.js";

describe("the hint a failed task's annotation carries in a workflow run", () => {
  it("names the repository setting when GitHub will not let workflows open pull requests", () => {
    const hint = jobTokenHint("pushed `switchyard/issue-1-x` at abc1234, but its pull request was not opened: POST /repos/o/r/pulls: HTTP 403 from api.github.com: GitHub Actions is not permitted to create or approve pull requests.");
    expect(hint).toContain('turn on Settings → Actions → General → "Allow GitHub Actions to create and approve pull requests"');
  });

  it("names the job's permissions for a write the token may not make, and nothing for other failures", () => {
    expect(jobTokenHint("POST /repos/o/r/labels: HTTP 403 from api.github.com: Resource not accessible by integration")).toContain("give the job the permissions: the agent needs");
    expect(jobTokenHint("POST /repos/o/r/labels: HTTP 404 from api.github.com: Not Found")).toBe("");
    expect(jobTokenHint(null)).toBe("");
  });
});
