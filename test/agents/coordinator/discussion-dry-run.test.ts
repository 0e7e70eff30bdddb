import { describe, expect, it } from "vitest";
import type { AgentContext } from "../../../src/agents/agent.js";
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

/** CoordinatorAgent on a discussion comment, in dry-run without credentials: the writes it records. */
async function runDry(body: string, association = "OWNER"): Promise<{ output: string; writes: GithubActionRecord[] }> {
  const payload = exampleOf("discussion_comment", "created") as unknown as Payload;
  payload.comment.body = body;
  payload.comment.author_association = association;
  const writes: GithubActionRecord[] = [];
  const logger = createLogger("silent");
  const github = createGithubClient({ octokit: null, dryRun: true, record: (a) => writes.push(a), logger, pace: createWritePacer(0), paceKey: "token", agent: "CoordinatorAgent", task: "1" });
  const ctx: AgentContext = {
    task: { id: "1", delivery: "d-1" } as ClaimedTask,
    event: normalizeEvent("discussion_comment", payload),
    payload,
    logger,
    store: { enqueue: async () => { throw new Error("not in a discussion"); }, deliveryTasks: async () => [], history: async () => [], githubWrites: async () => [], subjectWrites: async () => [] },
    signal: new AbortController().signal,
    github,
    config: parseConfig({}).config,
    ownLogins: [],
    mode: "server",
  };
  const result = await coordinatorAgent.handle(ctx);
  return { output: result?.output ?? "", writes };
}

describe("CoordinatorAgent in a discussion, dry-run", () => {
  it("records the addDiscussionComment mutation as POST /graphql with its query and variables", async () => {
    const { output, writes } = await runDry("/agent help");
    expect(output).toBe("ran: help");
    expect(writes).toHaveLength(1);
    const [write] = writes;
    expect(write).toMatchObject({ method: "POST", route: "/graphql", dryRun: true, agent: "CoordinatorAgent", task: "1" });
    const body = write!.body as { query: string; variables: Record<string, unknown> };
    expect(body.query).toMatch(/^mutation[\s\S]*addDiscussionComment\(/);
    expect(body.variables).toMatchObject({ discussionId: "MDEwOkRpc2N1c3Npb24zMjk3NDQy", replyToId: "MDE3OkRpc2N1c3Npb25Db21tZW50NTQ0MDc4" });
    expect(body.variables.body).toContain("<!-- switchyard -->");
    expect(body.variables.body).toContain("switchyard commands");
  });

  it("never assumes write access it could not read: /convert-to-issue is refused, the refusal recorded, no issue", async () => {
    const { output, writes } = await runDry("/convert-to-issue");
    expect(output).toContain("refused: `/convert-to-issue` needs write access, which switchyard could not verify");
    expect(writes.map((w) => `${w.method} ${w.route}`)).toEqual(["POST /graphql"]);
    expect((writes[0]!.body as { variables: { body: string } }).variables.body).toContain("did not run this");
  });

  it("a comment carrying switchyard's marker, routed here anyway (a replay), does nothing", async () => {
    const { output, writes } = await runDry("<!-- switchyard -->\n/agent help");
    expect(output).toMatch(/^ignored/);
    expect(writes).toEqual([]);
  });
});
