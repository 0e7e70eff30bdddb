import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load-config.js";
import { exampleOf } from "../../support/examples.js";
import { runCoordinator } from "./run-coordinator.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

/** A config with a rule of its own for `/agent mycmd` (plus `when`), to an exec agent. */
function configWith(when: Record<string, unknown> = {}) {
  return parseConfig({
    agents: { MyAgent: { exec: ["./my-agent.sh"] } },
    routing: { rules: [{ id: "my-command", when: { event: "issue_comment", action: "created", commentCommand: "mycmd", ...when }, agent: "MyAgent", priority: "critical", action: "Run mycmd" }] },
  }).config;
}

/** What CoordinatorAgent posts for a comment, as the task of rule comment-command, in dry-run without credentials. */
async function postedFor(body: string, association: string, config = configWith()): Promise<{ bodies: string[]; output: string | undefined }> {
  const payload = exampleOf("issue_comment", "created") as unknown as Payload;
  payload.comment.body = body;
  payload.comment.author_association = association;
  payload.comment.user = { ...payload.comment.user, login: "someone", type: "User" };
  payload.sender = { ...payload.sender, login: "someone", type: "User" };
  const { writes, output } = await runCoordinator(payload, config);
  const bodies = writes.map((w) => (w.body as { body?: string }).body ?? "").filter((b) => b !== "");
  return { bodies, output };
}

describe("CoordinatorAgent and a command a rule of the config routes", () => {
  it("a commenter who may not run commands: one polite refusal naming what is needed", async () => {
    const { bodies } = await postedFor("/agent mycmd", "NONE");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain("@someone, switchyard did not run this: `mycmd` needs an author association of owner, member, collaborator with this repository (GitHub says: none)");
  });

  it("a comment that also holds a built-in command: only that one is answered, and mycmd is never called unknown", async () => {
    const { bodies, output } = await postedFor("/agent mycmd\n/agent status", "OWNER");
    expect(output).toBe("ran: status");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain("<!-- switchyard:reply:d-1:1 -->");
    expect(bodies.join("\n")).not.toContain("mycmd");
  });

  it("only other rules' commands: nothing is posted", async () => {
    const { bodies, output } = await postedFor("/agent mycmd", "OWNER");
    expect(bodies).toEqual([]);
    expect(output).toBe("no /agent command of the comment is this task's: the rules that name them take them");
  });

  it("a rule whose other conditions do not hold here: says the rule routes it, not that the command is unknown", async () => {
    const { bodies } = await postedFor("/agent mycmd", "OWNER", configWith({ label: "needs-mycmd" }));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain("switchyard did not run `mycmd`: rule `my-command` of its config routes it, but not this comment");
    expect(bodies[0]).not.toContain("does not know");
  });

  it("a near miss of the config's own command is told that command", async () => {
    const { bodies } = await postedFor("/agent mycdm", "OWNER");
    expect(bodies[0]).toContain("switchyard does not know `mycdm`: did you mean `/agent mycmd`?");
  });

  it("a word no rule names is still unknown", async () => {
    const { bodies } = await postedFor("/agent othercmd", "OWNER");
    expect(bodies[0]).toContain("switchyard does not know `othercmd`");
  });
});

describe("/agent help and the config's own commands", () => {
  it("lists each command a rule routes to another agent, with its agent, its rule and who may run it", async () => {
    const config = parseConfig({
      agents: { MyAgent: { exec: ["./my-agent.sh"] }, Talker: { exec: ["./talk.sh"] } },
      routing: {
        rules: [
          { id: "my-command", when: { event: "issue_comment", action: "created", commentCommand: ["mycmd", "/^fix-\\w+$/"] }, agent: "MyAgent", priority: "critical", action: "Run mycmd" },
          { id: "talk", when: { event: "discussion_comment", commentCommand: "talk" }, agent: "Talker", priority: "low", action: "Talk" },
          // Command words are read in lower case: this one never matches, and is not offered.
          { id: "shout", when: { event: "issue_comment", commentCommand: "Shout" }, agent: "Talker", priority: "low", action: "Shout" },
        ],
      },
    }).config;
    const { bodies } = await postedFor("/agent help", "OWNER", config);
    expect(bodies).toHaveLength(1);
    const help = bodies[0]!;
    expect(help).toContain("| ` /agent mycmd ` | runs ` MyAgent ` (config rule ` my-command `) | owner, member, collaborator |");
    expect(help).toContain("| `/agent` and a word matching ` /^fix-\\w+$/ ` | runs ` MyAgent `");
    // A pattern's alternation does not split the table row.
    const alternation = parseConfig({ agents: { MyAgent: { exec: ["./my-agent.sh"] } }, routing: { rules: [{ id: "fix-or-patch", when: { event: "issue_comment", commentCommand: "/^(fix|patch)$/" }, agent: "MyAgent", priority: "low", action: "Fix" }] } }).config;
    const row = (await postedFor("/agent help", "OWNER", alternation)).bodies[0]!.split("\n").find((line) => line.includes("fix-or-patch"))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(5);
    // A discussion's command is not one of an issue comment's.
    expect(help).not.toContain("talk");
    expect(help).not.toContain("Shout");
    expect(help).toContain("the built-in ones take no argument");
    expect(help.split("\n").filter((line) => line.trimStart().startsWith("/agent"))).toEqual([]);
  });

  it("without such rules the help is the built-in table alone", async () => {
    const { bodies } = await postedFor("/agent help", "OWNER", parseConfig({}).config);
    expect(bodies[0]).toContain("write one per line in a comment, with no argument");
    expect(bodies[0]).not.toContain("config rule");
  });
});
