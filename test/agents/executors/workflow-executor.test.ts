import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentContext } from "../../../src/agents/agent.js";
import { taskVars } from "../../../src/agents/executors/create-executor.js";
import { runWorkflowAgent, WORKFLOW_INPUTS, workflowInputs } from "../../../src/agents/executors/workflow-executor.js";
import { parseConfig } from "../../../src/config/load-config.js";
import type { EventPayload } from "../../../src/events/event-payload.js";
import { createGithubClient } from "../../../src/github/github-client.js";
import { createWritePacer } from "../../../src/github/write-pacer.js";
import { createLogger } from "../../../src/observability/logger.js";
import { PermanentError } from "../../../src/queue/agent-errors.js";
import { classifyError } from "../../../src/queue/classify-error.js";
import { startGithubFake, type GithubFake } from "../../support/github-fake/index.js";

const INPUT_NAMES = ["agent", "action", "task_id", "delivery", "event", "repository", "number", "command", "args"];
// Octokit logs every failed request to the console; the assertions say what matters.
const QUIET = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const TASK = { id: "42", delivery: "d-1", rule: "comment-command", agent: "ExecutionAgent", action: "Execute plan", priority: "high", attempts: 1 };
const CONFIG = parseConfig({}).config;

function event(overrides: Partial<EventPayload> = {}): EventPayload {
  return { type: "issue_comment", action: "created", repository: "octo/app", number: 7, commands: [{ name: "execute", args: ["--fast", "staging"] }], ...overrides } as EventPayload;
}

describe("workflowInputs", () => {
  it("declares nine inputs, within workflow_dispatch's ten", () => {
    expect(Object.keys(WORKFLOW_INPUTS)).toEqual(INPUT_NAMES);
  });

  it.each([
    {
      name: "a comment with a command",
      event: event(),
      want: { agent: "ExecutionAgent", action: "created", task_id: "42", delivery: "d-1", event: "issue_comment", repository: "octo/app", number: "7", command: "execute", args: "--fast staging" },
    },
    {
      name: "a push: no action, number or command",
      event: event({ type: "push", action: null, number: null, commands: [] }),
      want: { agent: "ExecutionAgent", action: "", task_id: "42", delivery: "d-1", event: "push", repository: "octo/app", number: "", command: "", args: "" },
    },
    {
      name: "only the first of several commands",
      event: event({ commands: [{ name: "review", args: [] }, { name: "deploy", args: ["prod"] }] }),
      want: { command: "review", args: "" },
    },
  ])("$name", ({ event: e, want }) => {
    const inputs = workflowInputs({ task: TASK as AgentContext["task"], event: e, config: CONFIG });
    expect(inputs).toMatchObject(want);
    expect(Object.keys(inputs)).toEqual(INPUT_NAMES);
    for (const value of Object.values(inputs)) expect(typeof value).toBe("string");
  });

  it("a rule for one command word gets that command, not the comment's first", () => {
    const config = parseConfig({
      agents: { Runner: { workflow: { id: "runner.yml" } } },
      routing: { rules: [{ id: "my-command", when: { event: "issue_comment", action: "created", commentCommand: "mycmd" }, agent: "Runner", priority: "critical", action: "Run" }] },
    }).config;
    const e = event({ commands: [{ name: "status", args: [] }, { name: "mycmd", args: ["fast"] }], comment: { id: 1, body: "", authorAssociation: "OWNER", markedOwn: false } });
    expect(workflowInputs({ task: { ...TASK, rule: "my-command" } as AgentContext["task"], event: e, config })).toMatchObject({ command: "mycmd", args: "fast" });
    expect(workflowInputs({ task: TASK as AgentContext["task"], event: e, config })).toMatchObject({ command: "status", args: "" });
  });

  it("says what exec agents' SWITCHYARD_* variables say", () => {
    const ctx = { task: TASK, event: event(), config: CONFIG, github: { dryRun: false } } as unknown as AgentContext;
    const inputs = workflowInputs(ctx);
    const vars = taskVars(ctx);
    expect([inputs.agent, inputs.action, inputs.task_id, inputs.delivery, inputs.event, inputs.repository, inputs.number]).toEqual([
      vars.SWITCHYARD_AGENT, vars.SWITCHYARD_ACTION, vars.SWITCHYARD_TASK, vars.SWITCHYARD_DELIVERY, vars.SWITCHYARD_EVENT, vars.SWITCHYARD_REPOSITORY, vars.SWITCHYARD_NUMBER,
    ]);
  });
});

describe("runWorkflowAgent against the GitHub fake", () => {
  let fake: GithubFake;
  const recorded: unknown[] = [];
  const record = (action: unknown) => void recorded.push(action);

  function context(repository: string, dryRun = false): AgentContext {
    const logger = createLogger("silent");
    const octokit = new Octokit({ auth: "t", baseUrl: fake.url, log: QUIET });
    const github = createGithubClient({ octokit, dryRun, record, logger, pace: createWritePacer(0), paceKey: "token", agent: TASK.agent, task: TASK.id });
    return { task: TASK, event: event({ repository }), payload: {}, logger, signal: new AbortController().signal, github, config: CONFIG } as unknown as AgentContext;
  }

  beforeAll(async () => {
    fake = await startGithubFake();
    fake.repo("octo/runner").addWorkflow({ file: "agent-runner.yml", name: "switchyard agent runner", inputs: INPUT_NAMES });
    fake.repo("octo/legacy").addWorkflow({ file: "agent-runner.yml", name: "old runner", inputs: ["agent", "task_id"] });
  });
  afterAll(() => fake.close());

  it("dispatches with at most ten string inputs, every one declared by the workflow", async () => {
    const result = await runWorkflowAgent({ id: "agent-runner.yml", ref: "main" }, context("octo/runner"));
    const [dispatch, ...more] = fake.repo("octo/runner").dispatches;
    expect(more).toEqual([]);
    expect(dispatch).toMatchObject({ workflow_path: ".github/workflows/agent-runner.yml", ref: "main" });
    expect(Object.keys(dispatch!.inputs).length).toBeLessThanOrEqual(10);
    expect(Object.keys(dispatch!.inputs).every((name) => INPUT_NAMES.includes(name))).toBe(true);
    expect(dispatch!.inputs).toMatchObject({ task_id: "42", repository: "octo/runner", command: "execute", args: "--fast staging" });
    expect(result.output).toMatch(/^dispatched workflow agent-runner\.yml on main in octo\/runner; .*task 42$/);
  });

  it("a workflow that does not declare the inputs: GitHub's 422 becomes a permanent failure with the fix", async () => {
    const error = await runWorkflowAgent({ id: "agent-runner.yml", ref: "main" }, context("octo/legacy")).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/HTTP 422: Unexpected inputs provided/);
    expect((error as Error).message).toMatch(/declaring the string inputs agent, action, task_id/);
    expect(classifyError(error, Date.now()).kind).toBe("permanent");
    expect(fake.repo("octo/legacy").dispatches).toEqual([]);
  });

  it("a GitHub outage propagates for the worker to retry", async () => {
    fake.failNext({ method: "POST", path: /\/dispatches$/, status: 502 });
    const error = await runWorkflowAgent({ id: "agent-runner.yml", ref: "main" }, context("octo/runner")).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(PermanentError);
    expect(classifyError(error, Date.now()).kind).toBe("transient");
  });

  it("in dry-run, records the dispatch and sends nothing", async () => {
    const before = fake.repo("octo/runner").dispatches.length;
    recorded.length = 0;
    const result = await runWorkflowAgent({ id: "agent-runner.yml", ref: "main" }, context("octo/runner", true));
    expect(fake.repo("octo/runner").dispatches).toHaveLength(before);
    expect(recorded).toMatchObject([{ method: "POST", dryRun: true, body: { workflow_id: "agent-runner.yml", ref: "main" } }]);
    expect(result.output).toMatch(/^dry-run: /);
  });

  it("an event without a repository fails permanently", async () => {
    const ctx = { ...context("octo/runner"), event: event({ repository: null }) };
    await expect(runWorkflowAgent({ id: 1, ref: "main" }, ctx)).rejects.toBeInstanceOf(PermanentError);
  });
});
