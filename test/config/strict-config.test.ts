import { describe, expect, it } from "vitest";
import { EXECUTION_AGENT } from "../../src/agents/builtin/coordinator/coordinator-agent.js";
import { createRegistry } from "../../src/agents/registry.js";
import { checkRuleWhen, EXECUTION_AGENT_NAME, KNOWN_AGENT_NAMES } from "../../src/config/check-names.js";
import { parseConfig } from "../../src/config/load-config.js";
import { BUILTIN_AGENT_NAMES } from "../../src/config/schema.js";
import { WEBHOOK_EVENT_ACTIONS } from "../../src/config/webhook-events.generated.js";
import { UsageError } from "../../src/errors.js";
import { DEFAULT_RULES } from "../../src/routing/default-rules.js";

function refusal(raw: unknown, extraAgents?: string[]): string {
  try {
    parseConfig(raw, null, new Map(), { extraAgents });
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error("expected the config to be refused");
}

const rule = (overrides: Record<string, unknown> = {}, when: Record<string, unknown> = { event: "issues", action: "opened" }) => ({
  id: "mine",
  when,
  agent: "IssueAgent",
  priority: "high",
  action: "Do it",
  ...overrides,
});
const withRule = (overrides: Record<string, unknown>, when?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ routing: { rules: [rule(overrides, when)] }, ...extra });

describe("strict names: each typo is refused with the key, the value and the nearest valid one", () => {
  it.each([
    ["a misspelt rule agent", withRule({ agent: "IsueAgent" }), 'config: routing.rules[0].agent: "IsueAgent" is neither a built-in agent nor configured under agents: did you mean IssueAgent?'],
    ["a misspelt agent, by case only", withRule({ agent: "reviewagent" }), 'config: routing.rules[0].agent: "reviewagent" is neither a built-in agent nor configured under agents: did you mean ReviewAgent?'],
    ["a misspelt event", withRule({}, { event: "issue" }), 'config: routing.rules[0].when.event: "issue" is not a GitHub webhook event: did you mean issues?'],
    [
      "a deploy branch written as a glob",
      { routing: { deployBranches: ["main", "hotfix/*"] } },
      "config: routing.deployBranches[1]: deploy branches are exact branch names, and this is not one",
    ],
    ["a deploy branch written as a /pattern/", { routing: { deployBranches: ["/^release-.*/"] } }, "config: routing.deployBranches[0]: deploy branches are exact branch names"],
    [
      "a branch condition written as a glob",
      withRule({}, { event: "push", branch: "release/*" }),
      'config: routing.rules[0].when.branch: "release/*" is matched as an exact branch name, and no branch holds * ? [ ] \\ ~ ^ : or spaces (git refuses them), so it would match nothing: write a /pattern/ such as /^release\\//, or list the branches by name',
    ],
    [
      "a glob in a list of branches",
      withRule({}, { event: "push", branch: ["main", "feature-?"] }),
      'config: routing.rules[0].when.branch[1]: "feature-?" is matched as an exact branch name, and no branch holds * ? [ ] \\ ~ ^ : or spaces (git refuses them), so it would match nothing: write a /pattern/ (a regular expression), or list the branches by name',
    ],
    ["an event written with its action", withRule({}, { event: "issues.opened" }), 'config: routing.rules[0].when.event: "issues.opened" names an action as well: write event: issues and action: opened'],
    [
      "commentCommand: yes, a string in YAML",
      withRule({}, { event: "issue_comment", action: "created", commentCommand: "yes" }),
      "config: routing.rules[0].when.commentCommand: yes, no, on and off are strings in YAML, so this names the command /agent <word>: write true or false (unquoted) for any command or none, or [yes] for a command of that name",
    ],
    ["a misspelt action", withRule({}, { event: "issues", action: "opend" }), 'config: routing.rules[0].when.action: "opend" is not an action of issues events: did you mean opened?'],
    [
      "a misspelt action in a list",
      withRule({}, { event: "pull_request", action: ["opened", "synchronise"] }),
      'config: routing.rules[0].when.action[1]: "synchronise" is not an action of pull_request events: did you mean synchronize?',
    ],
    ["a misspelt agents key", { agents: { IsueAgent: "builtin" } }, 'config: agents.IsueAgent: "IsueAgent" is not a known agent and no rule uses it: did you mean IssueAgent?'],
    [
      "an agents key for a rule's agent that has no built-in",
      withRule({ agent: "IsueAgent" }, undefined, { agents: { IsueAgent: "builtin" } }),
      "config: agents.IsueAgent: builtin runs the built-in agent called IsueAgent, and there is none: did you mean IssueAgent? give it an executor",
    ],
    ["a misspelt perAgent key", { worker: { perAgent: { Guardain: 1 } } }, 'config: worker.perAgent.Guardain: no agent is called "Guardain": did you mean Guardian?'],
    ["a misspelt {builtin: name}", { agents: { IssueAgent: { builtin: "ReveiwAgent" } } }, 'config: agents.IssueAgent.builtin: no built-in agent is called "ReveiwAgent": did you mean ReviewAgent?'],
  ])("%s", (_, raw, message) => {
    expect(refusal(raw)).toContain(message);
  });

  it("names what is valid when nothing is near", () => {
    expect(refusal(withRule({ agent: "TriageBot" }))).toBe(
      'config: routing.rules[0].agent: "TriageBot" is neither a built-in agent nor configured under agents: configure it (agents: {TriageBot: {exec: [./your-agent]}}) or use a built-in one (IssueAgent, ReviewAgent, DeploymentAgent, CoordinatorAgent, Guardian, log)',
    );
    expect(refusal(withRule({}, { event: "frobnicate" }))).toBe(
      'config: routing.rules[0].when.event: "frobnicate" is not a GitHub webhook event: see https://docs.github.com/en/webhooks/webhook-events-and-payloads',
    );
    expect(refusal(withRule({}, { event: "workflow_run", action: "finished" }))).toBe(
      'config: routing.rules[0].when.action: "finished" is not an action of workflow_run events: use one of completed, in_progress, requested',
    );
    expect(refusal({ agents: { Deployer: { exec: ["./deploy.sh"] } } })).toMatch(/^config: agents\.Deployer: "Deployer" is not a known agent and no rule uses it: add a rule with agent: Deployer, or remove it \(known agents: IssueAgent, .*ExecutionAgent\)$/);
  });

  it.each([
    ["a typo", "MyAgnet"],
    ["a case mismatch", "myagent"],
  ])("a rule's agent with %s of a configured agent: only the rule is blamed, pointed at the agent", (_, typed) => {
    const raw = withRule({ agent: typed }, undefined, { agents: { MyAgent: { exec: ["./a.js"] } } });
    expect(refusal(raw)).toBe(`config: routing.rules[0].agent: "${typed}" is neither a built-in agent nor configured under agents: did you mean MyAgent?`);
  });

  it("an unused agent near a rule's unknown agent that is nearer another one is still refused, and not pointed at that rule's agent", () => {
    const raw = withRule({ agent: "MyAgent3" }, undefined, { agents: { MyAgent1: { exec: ["./a.js"] }, MyAgent2: { exec: ["./b.js"] } } });
    expect(refusal(raw)).toBe(
      'config: agents.MyAgent2: "MyAgent2" is not a known agent and no rule uses it: add a rule with agent: MyAgent2, or remove it (known agents: IssueAgent, ReviewAgent, DeploymentAgent, CoordinatorAgent, Guardian, ExecutionAgent); routing.rules[0].agent: "MyAgent3" is neither a built-in agent nor configured under agents: did you mean MyAgent1?',
    );
  });

  it("refuses an action on an event that has none, and patterns that match nothing", () => {
    expect(refusal(withRule({}, { event: "push", action: "created" }))).toBe("config: routing.rules[0].when.action: push events have no action: remove when.action");
    expect(refusal(withRule({}, { event: "/^isue/" }))).toBe(
      "config: routing.rules[0].when.event: /^isue/ matches no GitHub webhook event: see https://docs.github.com/en/webhooks/webhook-events-and-payloads",
    );
    expect(refusal(withRule({}, { event: "issues", action: "/^open$/" }))).toMatch(/^config: routing\.rules\[0\]\.when\.action: \/\^open\$\/ matches no action of issues events: use one of assigned, /);
  });

  it("reports every problem at once, on one line, from the file", () => {
    const message = refusal({ routing: { rules: [rule({ agent: "IsueAgent" }, { event: "issue", action: "opend" })] }, agents: { Guardain: "builtin" } });
    expect(message).not.toContain("\n");
    expect(message).toContain("agents.Guardain:");
    expect(message).toContain("routing.rules[0].agent:");
    expect(message).toContain("routing.rules[0].when.event:");
  });
});

describe("strict names: what is accepted", () => {
  it("a config with custom rules, exec, http and workflow agents, and the execution agent", () => {
    const { config, rules } = parseConfig({
      worker: { perAgent: { TriageBot: 2, ReviewAgent: 1 } },
      agents: {
        TriageBot: { exec: ["./agents/triage.sh"], timeout: "5m" },
        Notifier: { http: { url: "https://hooks.example/notify", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } },
        Publisher: { workflow: { id: "publish.yml" } },
        Logger: { builtin: "log" },
        ReviewAgent: { exec: ["review-bot", "--fast"] },
        ExecutionAgent: { exec: ["my-coding-agent"] },
      },
      routing: {
        rules: [
          rule({ id: "issue-opened", agent: "TriageBot" }),
          rule({ id: "notify", agent: "Notifier", continue: true }, { event: "push" }),
          rule({ id: "publish", agent: "Publisher" }, { event: "release", action: ["published", "/^pre/"] }),
          rule({ id: "audit", agent: "Logger" }, { event: "/^pull_request/", action: "submitted" }),
          rule({ id: "dispatched", agent: "log" }, { event: "repository_dispatch", action: "anything-the-sender-chose" }),
          rule({ id: "labels", agent: "IssueAgent" }, { event: "issues", action: "labeled", labelAdded: "$executeLabel" }),
        ],
      },
    });
    expect(rules.filter((r) => r.origin !== "default").map((r) => r.agent)).toEqual(["TriageBot", "Notifier", "Publisher", "Logger", "log", "IssueAgent"]);
    expect(config.agents.TriageBot).toEqual({ exec: ["./agents/triage.sh"], timeout: 300_000, env: [] });
  });

  it("an agent the caller's registry adds may be used by a rule and run as builtin", () => {
    const raw = withRule({ agent: "Probe" }, undefined, { agents: { Probe: "builtin" } });
    expect(refusal(raw)).toContain('agents.Probe: builtin runs the built-in agent called Probe, and there is none');
    expect(parseConfig(raw, null, new Map(), { extraAgents: ["Probe"] }).rules.at(-1)).toMatchObject({ agent: "Probe" });
  });

  it("the default rules name real events, actions and agents", () => {
    for (const r of DEFAULT_RULES) {
      expect(checkRuleWhen(r.when, r.id), r.id).toEqual([]);
      expect(BUILTIN_AGENT_NAMES, r.id).toContain(r.agent);
    }
  });

  it("the known names are the registry's agents and the coordinator's execution agent", () => {
    expect(EXECUTION_AGENT_NAME).toBe(EXECUTION_AGENT);
    const registry = createRegistry();
    for (const name of BUILTIN_AGENT_NAMES) expect(registry.has(name), name).toBe(true);
    expect(KNOWN_AGENT_NAMES).toContain(EXECUTION_AGENT);
  });

  it("the generated events include the ones switchyard's rules and samples use", () => {
    expect(WEBHOOK_EVENT_ACTIONS.issues).toContain("opened");
    expect(WEBHOOK_EVENT_ACTIONS.push).toEqual([]);
    expect(WEBHOOK_EVENT_ACTIONS.workflow_run).toEqual(["completed", "in_progress", "requested"]);
    expect(Object.keys(WEBHOOK_EVENT_ACTIONS).length).toBeGreaterThan(60);
  });
});

describe("a condition's value", () => {
  const write = "write a value, a list of values (any of them matches) or a /pattern/ (a regular expression between slashes)";
  it.each([
    [true, "labelAdded", `is a boolean (true): ${write}`],
    [5, "label", `is a number (5): ${write}`],
    ["", "branch", `is empty: ${write}`],
    [[], "sender", `is an empty list: ${write}`],
    [{ name: "bug" }, "labelAdded", `is a mapping: ${write}`],
  ])("%j under %s is refused saying what a value can be, not zod's 'Invalid input'", (value, key, message) => {
    expect(refusal(withRule({}, { event: "issues", action: "labeled", [key]: value }))).toBe(`config: routing.rules[0].when.${key}: ${message}`);
  });

  it("commentCommand says it takes true and false as well", () => {
    expect(refusal(withRule({}, { event: "issue_comment", commentCommand: 5 }))).toBe(
      "config: routing.rules[0].when.commentCommand: is a number (5): write true (any /agent command), false (none), a command word, a list of them or a /pattern/",
    );
  });

  it("names the entry of a list that is not a value", () => {
    expect(refusal(withRule({}, { event: "issues", action: "labeled", label: ["bug", 3] }))).toBe(`config: routing.rules[0].when.label[1]: is a number (3): ${write}`);
  });
});

describe("a rule's event is one name", () => {
  it("a list is refused with the fix (one rule per event), not zod's 'expected string'", () => {
    expect(refusal(withRule({}, { event: ["issues", "push"] }))).toBe(
      "config: routing.rules[0].when.event: event takes one event name, not a list: write one rule per event (each with its own id), or a /pattern/ like /^(issues|push)$/",
    );
  });

  it("a /pattern/ matching several events is taken", () => {
    expect(() => parseConfig(withRule({}, { event: "/^(issues|push)$/" }))).not.toThrow();
  });
});
