import { describe, expect, it } from "vitest";
import { ownWritesOf } from "../../../src/agents/builtin/deployment-agent/read-own-writes.js";
import type { GithubActionRecord } from "../../../src/store/store.js";

function write(route: string, body: Record<string, unknown>, dryRun = false): GithubActionRecord {
  return { agent: "DeploymentAgent", task: "7", method: "POST", route, body: { owner: "octo", repo: "app", ...body }, dryRun, at: 0 };
}

const DEPLOYMENTS = "/repos/{owner}/{repo}/deployments";
const STATUSES = "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses";
const DISPATCHES = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";

describe("ownWritesOf", () => {
  const own = ownWritesOf(
    [
      write(DEPLOYMENTS, { ref: "a".repeat(40), environment: "production" }),
      write(STATUSES, { deployment_id: 42, state: "in_progress" }),
      write(DISPATCHES, { workflow_id: "deploy.yml", ref: "main", inputs: { deployment_id: "42", sha: "a".repeat(40), environment: "production" } }),
      write(STATUSES, { deployment_id: 42, state: "success" }, true),
    ],
    "octo/app",
  );

  it("finds the deployment this task created, by environment", () => {
    expect(own.deployedSha("production")).toBe("a".repeat(40));
    expect(own.deployedSha("staging")).toBeNull();
  });

  it("knows which statuses were sent, ignoring dry-run records", () => {
    expect(own.hasStatus(42, "in_progress")).toBe(true);
    expect(own.hasStatus(42, "success")).toBe(false);
    expect(own.hasStatus(43, "in_progress")).toBe(false);
  });

  it("knows whether the deploy workflow was dispatched for a deployment", () => {
    expect(own.hasDispatch(42)).toBe(true);
    expect(own.hasDispatch(43)).toBe(false);
  });

  it("ignores writes to other repositories", () => {
    expect(ownWritesOf([write(DEPLOYMENTS, { ref: "b".repeat(40), environment: "production" })], "octo/other").deployedSha("production")).toBeNull();
  });
});
