import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load-config.js";
import type { GithubActionRecord, TaskRecord } from "../../../src/store/store.js";
import { exampleOf } from "../../support/examples.js";
import { runCoordinator } from "./run-coordinator.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

/**
 * `/agent execute` by an owner, with ExecutionAgent configured, in dry-run: the GitHub writes
 * recorded, and how many of them had been made when the plan's task was enqueued.
 */
async function execute(handedStatus: TaskRecord["status"], deliveryTasks: TaskRecord[] = [], replays = 1) {
  const payload = exampleOf("issue_comment", "created") as unknown as Payload;
  payload.comment.body = "/agent execute";
  payload.comment.author_association = "OWNER";
  payload.issue.labels = [{ name: "state:triage" }];
  const writes: GithubActionRecord[] = [];
  let writesAtEnqueue = -1;
  const enqueue = async () => {
    writesAtEnqueue = writes.length;
    return { id: "2", status: handedStatus } as TaskRecord;
  };
  // No credentials to check write access with in dry-run: the test waives it.
  const config = parseConfig({ agents: { ExecutionAgent: { exec: ["./run-plan.sh"] } }, commands: { writeRequired: [] } }).config;
  const { output } = await runCoordinator(payload, config, { store: { enqueue, deliveryTasks: async () => deliveryTasks }, writes, replays });
  // The issue's own labels: what is removed, what is added (creating a label in the repository is not counted).
  const labelWrites = writes
    .filter((w) => w.route.startsWith("/repos/{owner}/{repo}/issues/{issue_number}/labels"))
    .map((w) => (w.method === "DELETE" ? `DELETE ${(w.body as { name: string }).name}` : `POST ${JSON.stringify((w.body as { labels: string[] }).labels)}`));
  return { writes, writesAtEnqueue, labelWrites, output: output ?? "" };
}

describe("CoordinatorAgent's /agent execute", () => {
  it("marks the issue state:implementing before it hands the plan over, so a run that ends at once rolls back a label that is there", async () => {
    const { writes, writesAtEnqueue, labelWrites } = await execute("ready");
    const implementing = writes.findIndex((w) => w.method === "POST" && w.route.endsWith("/{issue_number}/labels") && JSON.stringify(w.body).includes("state:implementing"));
    expect(implementing).toBeGreaterThanOrEqual(0);
    expect(implementing).toBeLessThan(writesAtEnqueue);
    expect(labelWrites).toEqual(["DELETE state:triage", 'POST ["state:implementing"]']);
    expect(writes.at(-1)?.body).toMatchObject({ body: expect.stringContaining("Handed to **ExecutionAgent** as task 2") });
  });

  it("leaves the labels alone when this delivery's plan task has finished (a replayed command)", async () => {
    const plan = { id: "2", delivery: "d-1", rule: "execute-plan", agent: "ExecutionAgent", status: "succeeded" } as TaskRecord;
    const { labelWrites, writes } = await execute("succeeded", [plan]);
    expect(labelWrites).toEqual([]);
    expect(writes.at(-1)?.body).toMatchObject({ body: expect.stringContaining("handed to **ExecutionAgent** before, as task 2 (now succeeded)") });
  });

  it("a retry of the command (its first answer never got out) says what it handed over, not how to replay", async () => {
    const plan = { id: "2", delivery: "d-1", rule: "execute-plan", agent: "ExecutionAgent", status: "succeeded" } as TaskRecord;
    const { labelWrites, writes } = await execute("succeeded", [plan], 0);
    expect(labelWrites).toEqual([]);
    const reply = (writes.at(-1)?.body as { body: string }).body;
    expect(reply).toContain("Handed to **ExecutionAgent** as task 2, which has finished; `/agent status` shows what it did.");
    expect(reply).not.toContain("before");
  });

  it("puts the state back when the plan task turns out finished only at the enqueue", async () => {
    const { labelWrites, writes } = await execute("succeeded");
    expect(labelWrites).toEqual(["DELETE state:triage", 'POST ["state:implementing"]', "DELETE state:implementing", 'POST ["state:triage"]']);
    expect(writes.at(-1)?.body).toMatchObject({ body: expect.stringContaining("handed to **ExecutionAgent** before, as task 2 (now succeeded)") });
  });
});
