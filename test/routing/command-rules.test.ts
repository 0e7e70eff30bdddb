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

  it.each(["OWNER", "MEMBER", "COLLABORATOR"])("%s (in commands.associations): the rule matches", (association) => {
    expect(route("issue_comment", comment("/agent mycmd", association)).verdict("my-command")).toMatchObject({ matched: true, reason: null });
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
    expect(both("issue_comment", comment("/agent mycmd", "MEMBER")).runs).toEqual(["comment-command", "my-command"]);
  });

  it("follows commands.associations", () => {
    const ownersOnly = routerFor([myCommand], { commands: { associations: ["OWNER"] } });
    expect(ownersOnly("issue_comment", comment("/agent mycmd", "OWNER")).verdict("my-command").matched).toBe(true);
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
    expect(route("issue_comment", comment("/agent status", "NONE")).verdict("status-only")).toMatchObject({ matched: true, reason: null });
  });

  it("an agent mapped to the built-in CoordinatorAgent likewise; CoordinatorAgent mapped to a program of one's own does not", () => {
    const mapped = routerFor([rule("status-only", "status", { agent: "Answerer" })], { agents: { Answerer: { builtin: "CoordinatorAgent" } } });
    expect(mapped("issue_comment", comment("/agent status", "NONE")).verdict("status-only")).toMatchObject({ matched: true, reason: null });
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
    expect(discussion("discussion_comment", payload).verdict("my-command").matched).toBe(true);
  });
});
