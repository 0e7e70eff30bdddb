import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OWN_MARKER } from "../../src/commands/parse-commands.js";
import type { TaskRecord } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { deliverAndSettle as settle } from "../support/deliver-and-settle.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

// A user's own `/agent mycmd`, as docs/configuration.md#your-own-agent-commands writes it:
// a rule to an exec agent, here a program that leaves a file for each run.
const ranDir = mkdtempSync(path.join(tmpdir(), "switchyard-own-commands-"));
const agentScript = path.join(ranDir, "my-agent.mjs");
writeFileSync(
  agentScript,
  `import { readFileSync, writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(ranDir)} + "/ran-" + process.env.SWITCHYARD_TASK + ".json", readFileSync(0, "utf8"));\n`,
);
const runs = () => readdirSync(ranDir).filter((f) => f.startsWith("ran-"));

const MY_COMMAND = { id: "my-command", when: { event: "issue_comment", action: "created", commentCommand: "mycmd" }, agent: "MyAgent", priority: "critical", action: "Run my command" };
/** The built-in rule, replaced by one that lets the next-ranked matching rule run too. */
const COMMENT_COMMAND_CONTINUES = { id: "comment-command", when: { event: "issue_comment", action: "created", commentCommand: true }, agent: "CoordinatorAgent", priority: "critical", action: "Parse and execute command", continue: true };

let fake: GithubFake;
let issue = 300;
const repo = "octo-org/own-commands";

function commentEvent(body: string, association: string): Payload {
  const payload = exampleOf("issue_comment", "created") as unknown as Payload;
  payload.repository.full_name = repo;
  payload.repository.name = "own-commands";
  payload.repository.owner.login = "octo-org";
  payload.issue.number = issue;
  payload.issue.labels = [];
  payload.comment.id = issue * 10;
  payload.comment.body = body;
  payload.comment.author_association = association;
  payload.comment.user = { ...payload.comment.user, login: "stranger", type: "User" };
  payload.sender = { ...payload.sender, login: "stranger", type: "User" };
  return payload;
}

function repliesOf(number: number): string[] {
  return fake
    .repo(repo)
    .comments(number)
    .map((c) => c.body)
    .filter((b) => b.includes(OWN_MARKER) && !b.includes("switchyard:routing"));
}

async function startWith(rules: object[]): Promise<TestServer> {
  return startTestServer(
    {
      github: { token: "test-token", apiUrl: fake.url, writeIntervalMs: 0 },
      retry: { maxRetries: 0 },
      agents: { MyAgent: { exec: [process.execPath, agentScript] } },
      routing: { rules },
    },
    undefined,
    { pollMs: 100 },
  );
}

async function deliver(server: TestServer, body: string, association: string): Promise<TaskRecord[]> {
  const payload = commentEvent(body, association);
  fake.seedFromPayload("issue_comment", payload);
  return settle(server, "issue_comment", payload);
}

beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
});
afterAll(async () => {
  await fake.close();
  rmSync(ranDir, { recursive: true, force: true });
});
beforeEach(() => {
  issue++;
  for (const file of runs()) rmSync(path.join(ranDir, file));
});

describe.each([
  ["the default table plus the rule", [MY_COMMAND]],
  ["comment-command with continue: true, so both rules match", [COMMENT_COMMAND_CONTINUES, MY_COMMAND]],
])("/agent mycmd with %s", (_, rules) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startWith(rules);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("from a commenter with author association NONE: the agent never runs; CoordinatorAgent posts one polite refusal", async () => {
    const tasks = await deliver(server, "/agent mycmd", "NONE");
    expect(tasks.map((t) => [t.agent, t.status])).toEqual([["CoordinatorAgent", "succeeded"]]);
    expect(runs()).toEqual([]);
    const replies = repliesOf(issue);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain("@stranger, switchyard did not run this: `mycmd` needs an author association of owner, member, collaborator");
  });

  it("from a MEMBER: the agent runs with the comment's commands, and CoordinatorAgent says nothing (no 'does not know')", async () => {
    const tasks = await deliver(server, "/agent mycmd", "MEMBER");
    expect(tasks.map((t) => [t.agent, t.rule, t.status])).toEqual([["MyAgent", "my-command", "succeeded"]]);
    expect(runs()).toHaveLength(1);
    expect(repliesOf(issue)).toEqual([]);
  });

  it("from a MEMBER, with a built-in command in the same comment: each rule runs for its own", async () => {
    const tasks = await deliver(server, "/agent mycmd\n/agent help", "MEMBER");
    expect(tasks.map((t) => [t.agent, t.status]).sort()).toEqual([["CoordinatorAgent", "succeeded"], ["MyAgent", "succeeded"]]);
    expect(runs()).toHaveLength(1);
    const replies = repliesOf(issue);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain("**switchyard commands**");
    expect(replies[0]).not.toContain("does not know");
  });
});
