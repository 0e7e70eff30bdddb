import { describe, expect, it } from "vitest";
import { buildPlan, renderPlan } from "../../../src/agents/builtin/coordinator/build-plan.js";
import { renderHelp } from "../../../src/agents/builtin/coordinator/command-help.js";
import { parseConfig } from "../../../src/config/load-config.js";

describe("buildPlan", () => {
  it("turns the task list into steps with the agent each needs", () => {
    const body = "Intro\n- [ ] Add the parser\r\n* [x] Write tests for the parser\n- [ ] Update the README\n- [ ] Deploy to staging\n- not a task";
    expect(buildPlan(body, "t")).toEqual([
      { text: "Add the parser", done: false, agent: "CodeGenAgent" },
      { text: "Write tests for the parser", done: true, agent: "TestAgent" },
      { text: "Update the README", done: false, agent: "DocsAgent" },
      { text: "Deploy to staging", done: false, agent: "DeploymentAgent" },
    ]);
  });

  it("falls back to the title when there is no task list", () => {
    expect(buildPlan("just prose", "Add retries")).toEqual([{ text: "Add retries", done: false, agent: "CodeGenAgent" }]);
    expect(buildPlan("", "   ")).toEqual([]);
  });

  it("renders numbered steps", () => {
    expect(renderPlan(buildPlan("- [ ] A\n- [x] B", ""))).toBe("1. [ ] A — **CodeGenAgent**\n2. [x] B — **CodeGenAgent**");
  });

  it("renders the issue author's step text as text: no mention, link, image, HTML or control character", () => {
    const body = "- [ ] fix it @acme/everyone <img src=https://evil.example/x.png> [login](https://evil.example) \u001b[31m\u202e";
    const plan = renderPlan(buildPlan(body, ""));
    expect(plan).toBe(
      String.raw`1. [ ] fix it @&#8203;acme/everyone &lt;img src=https\://evil\.example/x\.png&gt; \[login\]\(https\://evil\.example\) \\u001b\[31m\\u202e — **CodeGenAgent**`,
    );
    expect(plan.includes("\u001b") || plan.includes("\u202e")).toBe(false);
  });
});

describe("renderHelp", () => {
  const help = renderHelp(parseConfig({}).config.commands);
  it("lists every command in code spans, no line starting with /agent", () => {
    for (const name of ["analyze", "execute", "review", "status", "deploy", "rollback", "help"]) expect(help).toContain(`\`/agent ${name}\``);
    expect(help.split("\n").filter((line) => line.trimStart().startsWith("/agent"))).toEqual([]);
  });
  it("says who may run the write commands", () => {
    expect(help).toMatch(/`\/agent execute`.*with write access/);
    expect(help).not.toMatch(/`\/agent status`.*with write access/);
  });
});
