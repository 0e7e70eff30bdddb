import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { decide } from "../../src/routing/decide.js";
import { formatExplanation } from "../../src/routing/describe-rules.js";
import { asJson, exampleOf } from "../support/examples.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

/** A rule of the user's own for `/agent <word>`, as docs/configuration.md#your-own-agent-commands writes it. */
const rule = (id: string, commentCommand: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  when: { event: "issue_comment", action: "created", commentCommand },
  agent: "MyAgent",
  priority: "critical",
  action: `run ${id}`,
  ...extra,
});

function routerFor(rules: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  // Strict config: an agent under `agents` must be one a rule uses.
  const agents = rules.some((r) => r.agent === "MyAgent") ? { MyAgent: { exec: ["./my-agent.sh"] } } : {};
  const { config, rules: table } = parseConfig({ agents, ...extra, routing: { ...(extra.routing as object), rules } });
  return (name: string, payload: object) => {
    const event = normalizeEvent(name, asJson(payload));
    const decision = decide(event, table, { ...config.routing });
    const verdict = (id: string) => decision.explanation.find((v) => v.rule === id)!;
    return { ...decision, runs: decision.decisions.map((d) => d.rule), verdict };
  };
}

/** issue_comment.created with `body`, by a person whose author association is `association`. */
function comment(body: string, association = "OWNER"): Payload {
  const payload = exampleOf("issue_comment", "created") as unknown as Payload;
  payload.comment.body = body;
  payload.comment.author_association = association;
  return payload;
}

const myCommand = rule("my-command", "mycmd");

describe("who a rule of one's own routes a command from", () => {
  const route = routerFor([myCommand]);

  it.each(["OWNER", "MEMBER", "COLLABORATOR"])("%s (in commands.associations): the rule runs", (association) => {
    expect(route("issue_comment", comment("/agent mycmd", association)).runs).toEqual(["my-command"]);
  });

  it.each(["CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN", "NONE"])("%s: not the rule; CoordinatorAgent answers, and refuses", (association) => {
    const result = route("issue_comment", comment("/agent mycmd", association));
    expect(result.runs).toEqual(["comment-command"]);
    expect(result.verdict("my-command")).toMatchObject({
      matched: false,
      outcome: "no-match",
      reason: `author association ${association} is not among commands.associations (OWNER, MEMBER, COLLABORATOR)`,
    });
    expect(formatExplanation(result.explanation)).toMatch(
      new RegExp(`^my-command\\s+MyAgent\\s+critical\\s+no match: author association ${association} is not among commands\\.associations \\(OWNER, MEMBER, COLLABORATOR\\)$`, "m"),
    );
  });

  it("with continue: true on comment-command too, a stranger's /agent mycmd reaches CoordinatorAgent alone", () => {
    const coordinatorContinues = { id: "comment-command", when: { event: "issue_comment", action: "created", commentCommand: true }, agent: "CoordinatorAgent", priority: "critical", action: "Parse and execute command", continue: true };
    const both = routerFor([coordinatorContinues, myCommand]);
    expect(both("issue_comment", comment("/agent mycmd", "NONE")).runs).toEqual(["comment-command"]);
    expect(both("issue_comment", comment("/agent mycmd", "MEMBER")).runs).toEqual(["my-command"]);
  });

  it("follows commands.associations", () => {
    const ownersOnly = routerFor([myCommand], { commands: { associations: ["OWNER"] } });
    expect(ownersOnly("issue_comment", comment("/agent mycmd", "OWNER")).runs).toEqual(["my-command"]);
    expect(ownersOnly("issue_comment", comment("/agent mycmd", "MEMBER")).verdict("my-command").reason).toBe("author association MEMBER is not among commands.associations (OWNER)");
  });

  it("commentCommand: true to an agent of one's own: the same", () => {
    const all = routerFor([rule("every-command", true, { priority: "high", continue: true })]);
    expect(all("issue_comment", comment("/agent status", "NONE")).verdict("every-command").reason).toMatch(/^author association NONE is not among/);
    // Outranked by comment-command (critical, no continue) when it matches: the association is what matters here.
    expect(all("issue_comment", comment("/agent status", "OWNER")).verdict("every-command")).toMatchObject({ matched: true, outcome: "outranked", by: "comment-command" });
  });

  it("a rule to CoordinatorAgent routes every commenter's command: it checks them itself and answers a refusal", () => {
    const route = routerFor([rule("status-only", "status", { agent: "CoordinatorAgent" })]);
    expect(route("issue_comment", comment("/agent status", "NONE")).runs).toEqual(["status-only"]);
  });

  it("an agent mapped to the built-in CoordinatorAgent likewise; CoordinatorAgent mapped to a program of one's own does not", () => {
    const mapped = routerFor([rule("status-only", "status", { agent: "Answerer" })], { agents: { Answerer: { builtin: "CoordinatorAgent" } } });
    expect(mapped("issue_comment", comment("/agent status", "NONE")).runs).toEqual(["status-only"]);
    const replaced = routerFor([], { agents: { CoordinatorAgent: { exec: ["./my-coordinator.sh"] } } });
    expect(replaced("issue_comment", comment("/agent status", "NONE"))).toMatchObject({ matched: false });
    expect(replaced("issue_comment", comment("/agent status", "NONE")).verdict("comment-command").reason).toMatch(/^author association NONE is not among/);
  });

  it("bots and switchyard's own comments reach no command rule", () => {
    const bot = comment("/agent mycmd");
    bot.sender = { ...bot.sender, login: "renovate[bot]", type: "Bot" };
    expect(route("issue_comment", bot)).toMatchObject({ matched: false, ignored: "bot-sender" });
    expect(route("issue_comment", comment("<!-- switchyard -->\n/agent mycmd"))).toMatchObject({ matched: false, ignored: "own-event" });
  });

  it("in discussions too", () => {
    const discussion = routerFor([{ ...myCommand, when: { event: "discussion_comment", action: "created", commentCommand: "mycmd" } }]);
    const payload = exampleOf("discussion_comment", "created") as unknown as Payload;
    payload.comment.body = "/agent mycmd";
    payload.comment.author_association = "NONE";
    expect(discussion("discussion_comment", payload).runs).toEqual(["discussion-command"]);
    payload.comment.author_association = "MEMBER";
    expect(discussion("discussion_comment", payload).runs).toEqual(["my-command"]);
  });
});

describe("a command word a rule names is that rule's, not comment-command's", () => {
  const route = routerFor([myCommand]);

  it("/agent mycmd runs the rule that names it, at any priority; comment-command says why it does not match", () => {
    for (const priority of ["critical", "low"]) {
      const result = routerFor([{ ...myCommand, priority }])("issue_comment", comment("/agent mycmd"));
      expect(result.runs).toEqual(["my-command"]);
      expect(result.verdict("comment-command")).toMatchObject({
        outcome: "no-match",
        reason: "every /agent command in the comment is taken by a rule that names it (mycmd: my-command)",
      });
    }
  });

  it("a built-in command still goes to comment-command", () => {
    expect(route("issue_comment", comment("/agent status")).runs).toEqual(["comment-command"]);
  });

  it("a comment with both: each rule runs for its own commands", () => {
    const result = route("issue_comment", comment("/agent status\n/agent mycmd\n/agent help"));
    expect(result.runs).toEqual(["comment-command", "my-command"]);
    expect(result.verdict("comment-command")).toMatchObject({ outcome: "runs", commands: ["status", "help"] });
    expect(result.verdict("my-command")).toMatchObject({ outcome: "runs", commands: ["mycmd"] });
  });

  it("rules naming the same word rank as ever: the first stops the other, unless it continues", () => {
    const two = routerFor([myCommand, rule("also-mycmd", ["mycmd", "other"])]);
    const result = two("issue_comment", comment("/agent mycmd"));
    expect(result.runs).toEqual(["my-command"]);
    expect(result.verdict("also-mycmd")).toMatchObject({ outcome: "outranked", by: "my-command" });
    expect(result.verdict("comment-command").reason).toBe("every /agent command in the comment is taken by a rule that names it (mycmd: my-command, also-mycmd)");
    expect(routerFor([{ ...myCommand, continue: true }, rule("also-mycmd", "mycmd")])("issue_comment", comment("/agent mycmd")).runs).toEqual(["my-command", "also-mycmd"]);
  });

  it("a rule about the whole comment that runs stops the others; one that is stopped stops nothing", () => {
    const logger = { id: "log-comments", when: { event: "issue_comment" }, agent: "MyAgent", priority: "critical", action: "log" };
    // comment-command comes first in the table and takes status; log-comments wants the whole comment, so it is stopped, and my-command is not.
    const stopped = routerFor([logger, myCommand])("issue_comment", comment("/agent status\n/agent mycmd"));
    expect(stopped.runs).toEqual(["comment-command", "my-command"]);
    expect(stopped.verdict("log-comments")).toMatchObject({ outcome: "outranked", by: "comment-command" });
    // Without comment-command, log-comments runs first and wants everything.
    const running = routerFor([logger, myCommand], { routing: { disable: ["comment-command"] } })("issue_comment", comment("/agent status\n/agent mycmd"));
    expect(running.runs).toEqual(["log-comments"]);
    expect(running.verdict("my-command")).toMatchObject({ outcome: "outranked", by: "log-comments" });
  });

  it("a rule whose other conditions do not hold takes nothing: comment-command gets the word", () => {
    const labelled = routerFor([{ ...myCommand, when: { ...myCommand.when, label: "needs-mycmd" } }]);
    const result = labelled("issue_comment", comment("/agent mycmd"));
    expect(result.runs).toEqual(["comment-command"]);
    expect(result.verdict("my-command").reason).toBe("no label is needs-mycmd");
  });
});

describe("an edited or deleted comment", () => {
  it("holds no command: a rule without an action condition does not run it again", () => {
    const route = routerFor([{ id: "any-action", when: { event: "issue_comment", commentCommand: "mycmd" }, agent: "MyAgent", priority: "critical", action: "run" }]);
    expect(route("issue_comment", comment("/agent mycmd")).runs).toContain("any-action");
    for (const action of ["edited", "deleted"]) {
      const payload = comment("/agent mycmd");
      payload.action = action;
      expect(route("issue_comment", payload).runs, action).not.toContain("any-action");
    }
  });
});
