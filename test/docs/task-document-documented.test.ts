import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AgentContext } from "../../src/agents/agent.js";
import { taskDocument } from "../../src/agents/executors/create-executor.js";

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

/** The "What the agent gets" bullet of docs/configuration.md, on one line. */
function whatTheAgentGets(): string {
  const doc = read("docs/configuration.md");
  const start = doc.indexOf("- **What the agent gets:**");
  expect(start, "no 'What the agent gets' bullet").toBeGreaterThan(-1);
  const end = doc.indexOf("\n- ", start + 1);
  return doc.slice(start, end).replace(/\s*\n\s*/g, " ");
}

// A command agent's author reads this bullet to find the commands: it must say where the
// document really puts them, not a top-level "commands" the document does not have.
describe("docs/configuration.md says where an own command's agent finds its commands", () => {
  const ctx = {
    task: { id: "7", delivery: "d-1", rule: "triage-command", agent: "TriageAgent", action: "Triage on request", priority: "high", attempts: 1 },
    event: { type: "issue_comment", action: "created", repository: "octo/app", number: 7, commands: [{ name: "triage", args: ["now"] }] },
    payload: { comment: { body: "/agent triage now" } },
    github: { dryRun: true },
  } as unknown as AgentContext;
  const document = taskDocument(ctx);

  it("names the document's top-level keys, and commands is not one of them", () => {
    expect(whatTheAgentGets()).toContain(`\`{${Object.keys(document).join(", ")}}\``);
    expect(document).not.toHaveProperty("commands");
  });

  it("shows the event as the document carries it, commands inside", () => {
    const shown = /`"event": (\{.*?\}\]\})`/.exec(whatTheAgentGets());
    expect(shown, "no \"event\": {…} example").not.toBeNull();
    expect(JSON.parse(shown![1]!)).toEqual(document.event);
    expect(whatTheAgentGets()).toContain("`event.commands`");
  });
});
