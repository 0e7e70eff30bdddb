import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { decide } from "../../src/routing/decide.js";
import { planTasks } from "../../src/routing/plan-tasks.js";
import { asJson, exampleOf, examplesOf } from "../support/examples.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

function routerFor(raw: Record<string, unknown> = {}) {
  const { config, rules } = parseConfig(raw);
  return (name: string, payload: object, ownLogins: string[] = []) => {
    const event = normalizeEvent(name, asJson(payload));
    return { event, ...decide(event, rules, { ...config.routing, ownLogins }) };
  };
}
const route = routerFor();

/** The example discussion_comment.created with `body`, written by `login` (a User unless `type`). */
function commentWith(body: string, options: { login?: string; type?: string; association?: string } = {}): Payload {
  const payload = exampleOf("discussion_comment", "created") as unknown as Payload;
  payload.comment.body = body;
  payload.comment.author_association = options.association ?? payload.comment.author_association;
  const user = { ...payload.comment.user, login: options.login ?? payload.comment.user.login, type: options.type ?? "User" };
  payload.comment.user = user;
  payload.sender = { ...payload.sender, login: user.login, type: user.type };
  return payload;
}

describe("discussion and discussion_comment normalized like issues and comments", () => {
  it("discussion_comment: number, title, body, labels, category, comment, node ids", () => {
    const payload = exampleOf("discussion_comment", "created") as unknown as Payload;
    const event = normalizeEvent("discussion_comment", payload);
    expect(event).toMatchObject({
      type: "discussion_comment",
      action: "created",
      repository: "octo-org/octo-repo",
      number: 90,
      isPullRequest: false,
      title: "Welcome to discussions!",
      body: "We're glad to have you here!",
      comment: { id: 544078, body: "I have so many questions to ask you!", authorAssociation: "COLLABORATOR", markedOwn: false },
      commands: [],
    });
    expect(event.discussion).toEqual({
      nodeId: "MDEwOkRpc2N1c3Npb24zMjk3NDQy",
      number: 90,
      category: "General",
      url: "https://github.com/octo-org/octo-repo/discussions/90",
      commentNodeId: "MDE3OkRpc2N1c3Npb25Db21tZW50NTQ0MDc4",
      parentCommentId: null,
    });
  });

  it("every discussion example normalizes with its number and node id, and no commands", () => {
    for (const payload of examplesOf("discussion") as unknown as Payload[]) {
      const event = normalizeEvent("discussion", payload);
      expect(event.number).toBe(payload.discussion.number);
      expect(event.title).toBe(payload.discussion.title);
      expect(event.discussion?.nodeId).toBe(payload.discussion.node_id);
      expect(event.comment).toBeNull();
      expect(event.commands).toEqual([]);
    }
  });

  it("a discussion's labels are the event's labels", () => {
    const payload = exampleOf("discussion", "labeled") as unknown as Payload;
    payload.discussion.labels = [{ id: 1, name: "bug" }, { id: 2, name: "needs-triage" }];
    const event = normalizeEvent("discussion", payload);
    expect(event.labels).toEqual(["bug", "needs-triage"]);
    expect(event.labelAdded).toBe(payload.label.name);
  });

  it("/convert-to-issue on its own line is a command; in a sentence, quoted or fenced it is not", () => {
    const commands = (body: string) => normalizeEvent("discussion_comment", commentWith(body)).commands;
    expect(commands("Good idea.\n/convert-to-issue")).toEqual([{ name: "convert-to-issue", args: [] }]);
    expect(commands("/agent status\n  /CONVERT-TO-ISSUE  ")).toEqual([{ name: "status", args: [] }, { name: "convert-to-issue", args: [] }]);
    expect(commands("please /convert-to-issue this")).toEqual([]);
    expect(commands("> /convert-to-issue\n> /agent help")).toEqual([]);
    expect(commands("```\n/convert-to-issue\n/agent help\n```")).toEqual([]);
    expect(commands("/convert-to-issue now")).toEqual([]);
  });

  it("issue comments do not know /convert-to-issue", () => {
    const payload = exampleOf("issue_comment", "created") as unknown as Payload;
    payload.comment.body = "/convert-to-issue";
    expect(normalizeEvent("issue_comment", payload).commands).toEqual([]);
  });
});

describe("routing discussion_comment", () => {
  it("the example comment (no command) routes nowhere", () => {
    for (const payload of examplesOf("discussion_comment") as unknown as Payload[]) {
      const result = route("discussion_comment", payload);
      expect(result.matched).toBe(false);
      expect(result.explanation.find((v) => v.rule === "discussion-command")?.reason).toMatch(/no \/agent command|action is/);
    }
  });

  it("an /agent command routes to CoordinatorAgent by discussion-command", () => {
    const result = route("discussion_comment", commentWith("Can someone look?\n/agent help"));
    expect(result.decisions).toEqual([{ rule: "discussion-command", agent: "CoordinatorAgent", priority: "critical", action: "Answer command in discussion" }]);
    expect(result.event.commands).toEqual([{ name: "help", args: [] }]);
  });

  it("/convert-to-issue routes to CoordinatorAgent too", () => {
    expect(route("discussion_comment", commentWith("/convert-to-issue")).decision?.rule).toBe("discussion-command");
  });

  it("a quoted command routes nowhere", () => {
    const result = route("discussion_comment", commentWith("> /agent help\nquoting the docs"));
    expect(result.matched).toBe(false);
    expect(result.explanation.find((v) => v.rule === "discussion-command")?.reason).toBe("the comment holds no /agent command");
  });

  it("an edited or deleted comment never runs, even with a command", () => {
    for (const action of ["edited", "deleted"] as const) {
      const payload = commentWith("/agent help");
      payload.action = action;
      expect(route("discussion_comment", payload).matched).toBe(false);
    }
  });

  it("a bot's command is dropped before routing (bot-sender)", () => {
    const result = route("discussion_comment", commentWith("/agent help", { login: "renovate[bot]", type: "Bot" }));
    expect(result).toMatchObject({ matched: false, ignored: "bot-sender" });
    expect(result.decisions).toEqual([]);
  });

  it("switchyard's own comments are dropped: by marker, by its login, by github-actions[bot]", () => {
    expect(route("discussion_comment", commentWith("<!-- switchyard -->\n/agent help")).event.commands).toEqual([]);
    expect(route("discussion_comment", commentWith("<!-- switchyard -->\n/agent help")).ignored).toBe("own-event");
    expect(route("discussion_comment", commentWith("/agent help", { login: "switchyard-bot" }), ["switchyard-bot"]).ignored).toBe("own-event");
    expect(route("discussion_comment", commentWith("/agent help", { login: "github-actions[bot]", type: "Bot" })).ignored).toBe("own-event");
  });

  it("a read-only author's command still routes: the coordinator answers with the refusal", () => {
    const result = route("discussion_comment", commentWith("/agent status", { association: "NONE" }));
    expect(result.decision?.agent).toBe("CoordinatorAgent");
  });

  it("the task has no idempotency key (each command is its own)", () => {
    const { config, rules } = parseConfig({});
    const event = normalizeEvent("discussion_comment", commentWith("/agent help"));
    const { tasks } = planTasks(event, rules, { ...config.routing });
    expect(tasks).toEqual([{ rule: "discussion-command", agent: "CoordinatorAgent", action: "Answer command in discussion", priority: "critical", idempotencyKey: null }]);
  });
});

describe("routing discussion", () => {
  it("discussion.created matches no default rule (stored as unrouted)", () => {
    for (const payload of examplesOf("discussion", "created")) {
      expect(route("discussion", payload).matched).toBe(false);
    }
  });

  it("a config rule routes discussion.created", () => {
    const routeWith = routerFor({
      agents: { Triage: { builtin: "log" } },
      routing: { rules: [{ id: "discussion-opened", when: { event: "discussion", action: "created" }, agent: "Triage", priority: "high", action: "Triage a discussion" }] },
    });
    const result = routeWith("discussion", exampleOf("discussion", "created"));
    expect(result.decisions).toEqual([{ rule: "discussion-opened", agent: "Triage", priority: "high", action: "Triage a discussion" }]);
  });

  it("a config rule can match a discussion's label", () => {
    const routeWith = routerFor({
      agents: { Triage: { builtin: "log" } },
      routing: { rules: [{ id: "discussion-bug", when: { event: "discussion", action: "labeled", labelAdded: "bug" }, agent: "Triage", priority: "high", action: "Bug in a discussion" }] },
    });
    const payload = exampleOf("discussion", "labeled") as unknown as Payload;
    payload.label = { ...payload.label, name: "bug" };
    payload.sender.type = "User";
    expect(routeWith("discussion", payload).decision?.rule).toBe("discussion-bug");
  });
});
