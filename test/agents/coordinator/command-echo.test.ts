import { describe, expect, it } from "vitest";
import type { AgentContext } from "../../../src/agents/agent.js";
import { commandWord } from "../../../src/agents/builtin/coordinator/command-help.js";
import { coordinatorAgent } from "../../../src/agents/builtin/coordinator/coordinator-agent.js";
import { parseConfig } from "../../../src/config/load-config.js";
import { normalizeEvent } from "../../../src/events/normalize-event.js";
import { createGithubClient } from "../../../src/github/github-client.js";
import { createWritePacer } from "../../../src/github/write-pacer.js";
import { createLogger } from "../../../src/observability/logger.js";
import type { ClaimedTask, GithubActionRecord } from "../../../src/store/store.js";
import { exampleOf } from "../../support/examples.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

const HOSTILE = "/agent x`@acme/everyone`[click](https://evil.example/login)<img/src=https://evil.example/p.png>\u001b[31m\u0007\u202e";

/** The bodies CoordinatorAgent would post for a comment, in dry-run without credentials. */
async function postedFor(event: "issue_comment" | "discussion_comment", body: string, association: string): Promise<string[]> {
  const payload = exampleOf(event, "created") as unknown as Payload;
  payload.comment.body = body;
  payload.comment.author_association = association;
  payload.comment.user = { ...payload.comment.user, login: "mallory", type: "User" };
  payload.sender = { ...payload.sender, login: "mallory", type: "User" };
  const writes: GithubActionRecord[] = [];
  const logger = createLogger("silent");
  const github = createGithubClient({ octokit: null, dryRun: true, record: (a) => writes.push(a), logger, pace: createWritePacer(0), paceKey: "token", agent: "CoordinatorAgent", task: "1" });
  const ctx: AgentContext = {
    task: { id: "1", delivery: "d-1" } as ClaimedTask,
    event: normalizeEvent(event, payload),
    payload,
    logger,
    store: { enqueue: async () => { throw new Error("unused"); }, deliveryTasks: async () => [], history: async () => [], githubWrites: async () => [], subjectWrites: async () => [] },
    signal: new AbortController().signal,
    github,
    config: parseConfig({}).config,
    ownLogins: [],
    mode: "server",
  };
  await coordinatorAgent.handle(ctx);
  return writes.map((w) => (w.body as { body?: string; variables?: { body?: string } }).body ?? (w.body as { variables?: { body?: string } }).variables?.body ?? "").filter((b) => b !== "");
}

/** Nothing of the hostile word reaches GitHub: no mention, link, image, HTML or control character. */
function expectNothingOfIt(posted: string[]): void {
  expect(posted.length).toBeGreaterThan(0);
  for (const body of posted) {
    expect(body).not.toMatch(/@acme|evil\.example|<img|\[click\]/);
    expect([...body].filter((c) => (c < " " && c !== "\n") || c === "\u007f" || c === "\u202e")).toEqual([]);
  }
}

describe("a command word is never echoed into GitHub Markdown as typed", () => {
  it("commandWord keeps a plain word in a code span and names anything else 'that command'", () => {
    expect(commandWord("exectue")).toBe("`exectue`");
    expect(commandWord("convert_to-issue2")).toBe("`convert_to-issue2`");
    expect(commandWord("x`@acme/everyone")).toBe("that command");
    expect(commandWord("stat\u202eus")).toBe("that command");
    expect(commandWord("a".repeat(33))).toBe("that command");
  });

  it("an issue comment's refusal (author_association NONE) says 'that command'", async () => {
    const posted = await postedFor("issue_comment", HOSTILE, "NONE");
    expectNothingOfIt(posted);
    expect(posted.at(-1)).toContain("@mallory, switchyard did not run this: that command needs");
  });

  it("an issue comment's unknown-command reply (OWNER) says 'that command'", async () => {
    const posted = await postedFor("issue_comment", HOSTILE, "OWNER");
    expectNothingOfIt(posted);
    expect(posted.at(-1)).toContain("switchyard does not know that command.");
  });

  it("a discussion comment's refusal and unknown-command reply say 'that command'", async () => {
    const refused = await postedFor("discussion_comment", HOSTILE, "NONE");
    expectNothingOfIt(refused);
    expect(refused.at(-1)).toContain("switchyard did not run this: that command needs");
    const unknown = await postedFor("discussion_comment", HOSTILE, "OWNER");
    expectNothingOfIt(unknown);
    expect(unknown.at(-1)).toContain("switchyard does not know that command.");
  });

  it("a plain unknown word is still shown, with the nearest command", async () => {
    const [reply] = await postedFor("issue_comment", "/agent stauts", "OWNER");
    expect(reply).toContain("switchyard does not know `stauts`: did you mean `/agent status`?");
  });

  it("`/agent constructor` in a discussion is an unknown command, not an object's own property", async () => {
    const [reply] = await postedFor("discussion_comment", "/agent constructor", "OWNER");
    expect(reply).toContain("switchyard does not know `constructor`");
    expect(reply).not.toContain("native code");
  });
});
