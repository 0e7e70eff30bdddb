import type { WebhookEventName } from "@octokit/webhooks-types";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { BUILTIN_AGENT_NAMES } from "../../src/config/schema.js";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { decide } from "../../src/routing/decide.js";
import { formatExplanation } from "../../src/routing/describe-rules.js";
import { allExamples, asJson, exampleOf, examplesOf } from "../support/examples.js";

/** A raw config whose rules' own agents are configured (as the log agent), as strict config requires. */
function withAgents(raw: Record<string, unknown>): Record<string, unknown> {
  const rules = (raw.routing as { rules?: { agent: string }[] } | undefined)?.rules ?? [];
  const custom = rules.filter((r) => !BUILTIN_AGENT_NAMES.includes(r.agent));
  return { ...raw, agents: Object.fromEntries(custom.map((r) => [r.agent, { builtin: "log" }])) };
}

/** A router over the rules a raw config (as parsed from YAML) compiles to. */
function routerFor(raw: Record<string, unknown> = {}) {
  const { config, rules } = parseConfig(withAgents(raw));
  return (name: string, payload: object, ownLogins?: string[]) => {
    const event = normalizeEvent(name, asJson(payload));
    return { event, ...decide(event, rules, { ...config.routing, ownLogins }) };
  };
}
const route = routerFor();
const ruleOf = (name: string, payload: object) => route(name, payload).decision?.rule ?? null;

// The default routing table (docs/routing.md), row by row.
const DESIGN_TABLE = [
  ["issue-agent-execute", "CoordinatorAgent", "critical", "Execute autonomous task"],
  ["comment-command", "CoordinatorAgent", "critical", "Parse and execute command"],
  ["workflow-failure", "Guardian", "critical", "Escalate workflow failure"],
  ["issue-opened", "IssueAgent", "high", "Analyze and auto-label"],
  ["issue-assigned", "IssueAgent", "high", "Transition to implementing"],
  ["pr-opened", "ReviewAgent", "high", "Run quality checks"],
  ["pr-ready", "ReviewAgent", "high", "Request review"],
  ["pr-review-requested", "ReviewAgent", "high", "Perform automated review"],
  ["issue-closed", "IssueAgent", "medium", "Transition to done"],
  ["pr-merged", "DeploymentAgent", "medium", "Trigger deployment"],
  ["push-deploy", "DeploymentAgent", "medium", "Deploy to production"],
  ["pr-synchronize", "ReviewAgent", "low", "Re-run quality checks"],
  ["workflow-recovered", "Guardian", "low", "Close escalation if open"],
  // Not in the original table: commands in Discussions (docs/routing.md).
  ["discussion-command", "CoordinatorAgent", "critical", "Answer command in discussion"],
] as const;

it("the default table is the design's, in its order, with the discussion command rule last", () => {
  const { rules } = parseConfig({});
  expect(rules.map((r) => [r.id, r.agent, r.priority, r.action])).toEqual(DESIGN_TABLE.map((row) => [...row]));
  expect(rules.every((r) => r.origin === "default" && !r.continue)).toBe(true);
});

// ---------------------------------------------------------------------------------------
// Every example payload of the routed events, keyed by what routing looks at.

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Describes a raw payload by the facts the rules test, read straight from the JSON. */
function caseOf(event: string, p: Raw): string {
  const onDefault = (branch: unknown) => (branch === p.repository?.default_branch ? "default branch" : "other branch");
  switch (event) {
    case "push":
      if (p.deleted) return "push deletion";
      return String(p.ref).startsWith("refs/tags/") ? "push tag" : `push ${onDefault(String(p.ref).replace("refs/heads/", ""))}`;
    case "workflow_run":
      return `workflow_run.${p.action} ${p.workflow_run.conclusion} ${onDefault(p.workflow_run.head_branch)}`;
    case "pull_request":
      return [`pull_request.${p.action}`, p.pull_request.draft && "draft", p.pull_request.merged && "merged"].filter(Boolean).join(" ");
    case "issues":
      return p.action === "labeled" ? `issues.labeled ${p.label.name}` : `issues.${p.action}`;
    case "issue_comment":
      return `issue_comment.${p.action}${/^\s*\/agent\b/m.test(p.comment.body) ? " /agent" : ""}`;
    default:
      return `${event}.${p.action}`;
  }
}

const EXPECTED: Record<string, string | null> = {
  "issues.opened": "issue-opened",
  "issues.assigned": "issue-assigned",
  "issues.labeled bug": null,
  "issues.edited": null,
  "issues.deleted": null,
  "issues.demilestoned": null,
  "issues.locked": null,
  "issues.milestoned": null,
  "issues.pinned": null,
  "issues.reopened": null,
  "issues.transferred": null,
  "issues.unassigned": null,
  "issues.unlabeled": null,
  "issues.unlocked": null,
  "issues.unpinned": null,
  "issue_comment.created": null,
  "issue_comment.edited": null,
  "issue_comment.deleted": null,
  "pull_request.opened": "pr-opened",
  "pull_request.ready_for_review": "pr-ready",
  "pull_request.review_requested": "pr-review-requested",
  "pull_request.synchronize": "pr-synchronize",
  "pull_request.closed": null,
  "pull_request.converted_to_draft draft": null,
  "pull_request.assigned": null,
  "pull_request.labeled": null,
  "pull_request.locked": null,
  "pull_request.reopened": null,
  "pull_request.review_request_removed": null,
  "pull_request.unassigned": null,
  "pull_request.unlabeled": null,
  "pull_request.unlocked": null,
  "push default branch": "push-deploy",
  "push tag": null,
  "push deletion": null,
  "pull_request_review.submitted": null,
  "pull_request_review.dismissed": null,
  "workflow_run.completed success default branch": "workflow-recovered",
  "workflow_run.completed null default branch": null,
  "workflow_run.requested null default branch": null,
  "workflow_run.requested action_required default branch": null,
};

const ROUTED: WebhookEventName[] = ["issues", "issue_comment", "pull_request", "push", "pull_request_review", "workflow_run"];
const routedExamples = allExamples(ROUTED).map((e) => ({ ...e, key: caseOf(e.event, e.payload) }));

describe("every example payload of the routed events", () => {
  it.each(routedExamples.map((e) => [`${e.key} #${e.index}`, e] as const))("%s", (_, example) => {
    expect(Object.keys(EXPECTED), `no expectation for "${example.key}"`).toContain(example.key);
    const result = route(example.event, example.payload);
    const expected = EXPECTED[example.key] ?? null;
    expect(result.decision?.rule ?? null).toBe(expected);
    expect(result.matched).toBe(expected !== null);
    expect(result.decisions).toHaveLength(expected === null ? 0 : 1);
    expect(result.ignored).toBeUndefined();
    // Every rule gets a verdict, and exactly the winner runs.
    expect(result.explanation).toHaveLength(14);
    expect(result.explanation.filter((v) => v.outcome === "runs").map((v) => v.rule)).toEqual(expected === null ? [] : [expected]);
  });

  it("every expectation is met by at least one example", () => {
    const seen = new Set(routedExamples.map((e) => e.key));
    expect(Object.keys(EXPECTED).filter((key) => !seen.has(key))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Mutations of the examples: the facts each rule turns on.

function labeled(name: string, existing: string[] = []) {
  const payload = exampleOf("issues", "labeled");
  const template = payload.label!;
  payload.label = { ...template, name };
  payload.issue.labels = [...existing, name].map((n, i) => ({ ...template, id: template.id + i + 1, name: n }));
  return payload;
}

function comment(body: string, action: "created" | "edited" = "created") {
  const payload = exampleOf("issue_comment", "created");
  payload.comment.body = body;
  return { ...payload, action } as typeof payload;
}

function closedPr(merged: boolean, base = "master") {
  const payload = exampleOf("pull_request", "closed");
  payload.pull_request.merged = merged;
  payload.pull_request.base.ref = base;
  return payload;
}

function push(ref: string, deleted = false) {
  const payload = examplesOf("push").find((p) => p.ref === "refs/heads/master")!;
  payload.ref = ref;
  payload.deleted = deleted;
  return payload;
}

function workflowRun(conclusion: string | null, branch = "master", name = "CI") {
  const payload = examplesOf("workflow_run", "completed").find((p) => p.workflow_run.conclusion === "success")!;
  (payload.workflow_run as { conclusion: string | null }).conclusion = conclusion;
  payload.workflow_run.head_branch = branch;
  payload.workflow_run.name = name;
  return payload;
}

function asBot<T extends { sender: object }>(payload: T, login: string): T {
  return { ...payload, sender: { ...payload.sender, login, type: "Bot" } };
}

describe("the seed's routing acceptance criteria", () => {
  it("Issue opened triggers IssueAgent", () => {
    const { decision } = route("issues", exampleOf("issues", "opened"));
    expect(decision).toEqual({ rule: "issue-opened", agent: "IssueAgent", priority: "high", action: "Analyze and auto-label" });
  });

  it("Issue labeled with agent-execute triggers CoordinatorAgent", () => {
    const { decision } = route("issues", labeled("agent-execute", ["bug"]));
    expect(decision).toEqual({ rule: "issue-agent-execute", agent: "CoordinatorAgent", priority: "critical", action: "Execute autonomous task" });
  });

  it("PR opened triggers ReviewAgent", () => {
    const { decision } = route("pull_request", exampleOf("pull_request", "opened"));
    expect(decision).toEqual({ rule: "pr-opened", agent: "ReviewAgent", priority: "high", action: "Run quality checks" });
  });

  it("PR merged triggers DeploymentAgent", () => {
    const { decision } = route("pull_request", closedPr(true));
    expect(decision).toEqual({ rule: "pr-merged", agent: "DeploymentAgent", priority: "medium", action: "Trigger deployment" });
  });

  it("Push to main triggers DeploymentAgent", () => {
    const payload = push("refs/heads/main");
    payload.repository.default_branch = "main";
    const { decision } = route("push", payload);
    expect(decision).toEqual({ rule: "push-deploy", agent: "DeploymentAgent", priority: "medium", action: "Deploy to production" });
  });

  it("Comment with /agent triggers CoordinatorAgent", () => {
    const { decision, event } = route("issue_comment", comment("Looks odd.\n/agent analyze"));
    expect(decision).toEqual({ rule: "comment-command", agent: "CoordinatorAgent", priority: "critical", action: "Parse and execute command" });
    expect(event.commands).toEqual([{ name: "analyze", args: [] }]);
  });

  it("Workflow failure routes to Guardian", () => {
    const { decision } = route("workflow_run", workflowRun("failure"));
    expect(decision).toEqual({ rule: "workflow-failure", agent: "Guardian", priority: "critical", action: "Escalate workflow failure" });
  });

  it("skips draft PR", () => {
    const payload = exampleOf("pull_request", "opened");
    payload.pull_request.draft = true;
    const result = route("pull_request", payload);
    expect(result.matched).toBe(false);
    expect(result.explanation.find((v) => v.rule === "pr-opened")).toMatchObject({ outcome: "no-match", reason: "draft is true, not false" });
  });
});

describe("labels", () => {
  it.each([
    ["agent-execute just added", labeled("agent-execute"), "issue-agent-execute"],
    ["agent-execute just added to a labeled issue", labeled("agent-execute", ["bug", "priority:high"]), "issue-agent-execute"],
    ["another label added while agent-execute is on", labeled("bug", ["agent-execute"]), null],
    ["another label added", labeled("enhancement"), null],
  ] as const)("%s", (_, payload, expected) => {
    expect(ruleOf("issues", payload)).toBe(expected);
  });

  it("issues.closed → issue-closed", () => {
    const payload = { ...exampleOf("issues", "opened"), action: "closed" };
    expect(ruleOf("issues", payload)).toBe("issue-closed");
  });

  it("routing.executeLabel renames the execute label", () => {
    const custom = routerFor({ routing: { executeLabel: "go" } });
    expect(custom("issues", labeled("go")).decision?.rule).toBe("issue-agent-execute");
    expect(custom("issues", labeled("agent-execute")).matched).toBe(false);
  });
});

describe("pull requests", () => {
  it.each([
    ["opened, not draft", exampleOf("pull_request", "opened"), "pr-opened"],
    ["opened as a draft", { ...exampleOf("pull_request", "converted_to_draft"), action: "opened" }, null],
    ["synchronize on a draft", { ...exampleOf("pull_request", "converted_to_draft"), action: "synchronize" }, null],
    ["closed, merged into the default branch", closedPr(true), "pr-merged"],
    ["closed, merged into a feature branch", closedPr(true, "feature"), null],
    ["closed unmerged", closedPr(false), null],
  ] as const)("%s", (_, payload, expected) => {
    expect(ruleOf("pull_request", payload)).toBe(expected);
  });

  it("a Bot-opened pull request still routes", () => {
    const result = route("pull_request", asBot(exampleOf("pull_request", "opened"), "dependabot[bot]"));
    expect(result.decision?.rule).toBe("pr-opened");
    expect(result.ignored).toBeUndefined();
  });
});

describe("pushes", () => {
  it.each([
    ["to the default branch", push("refs/heads/master"), "push-deploy"],
    ["of a tag", push("refs/tags/v1.0.0"), null],
    ["of a tag named like the default branch", push("refs/tags/master"), null],
    ["to a feature branch", push("refs/heads/feature"), null],
    ["deleting the default branch", push("refs/heads/master", true), null],
  ] as const)("%s", (_, payload, expected) => {
    expect(ruleOf("push", payload)).toBe(expected);
  });

  it("the push's action is null", () => {
    expect(route("push", push("refs/heads/master")).event.action).toBeNull();
  });
});

describe("workflow runs", () => {
  it.each([
    ["failure on the default branch", workflowRun("failure"), "workflow-failure"],
    ["timed_out on the default branch", workflowRun("timed_out"), "workflow-failure"],
    ["startup_failure on the default branch", workflowRun("startup_failure"), "workflow-failure"],
    ["success on the default branch", workflowRun("success"), "workflow-recovered"],
    ["cancelled on the default branch", workflowRun("cancelled"), null],
    ["failure on another branch", workflowRun("failure", "feature"), null],
    ["success on another branch", workflowRun("success", "feature"), null],
    ["requested (no conclusion)", { ...workflowRun(null), action: "requested" }, null],
  ] as const)("%s", (_, payload, expected) => {
    expect(ruleOf("workflow_run", payload)).toBe(expected);
  });

  describe("a run of a fork's pull request is on none of the repository's branches, even when its branch is called like the default one", () => {
    const fromFork = (conclusion: string, head: { id?: number; full_name: string } | null = { id: 999, full_name: "attacker/r" }) => {
      const payload = workflowRun(conclusion, "master");
      const run = payload.workflow_run as unknown as Record<string, unknown>;
      run.event = "pull_request";
      if (head === null) delete run.head_repository;
      else run.head_repository = { ...payload.workflow_run.head_repository, id: head.id, full_name: head.full_name };
      return payload;
    };

    it.each([
      ["a fork's success does not count as a recovery", fromFork("success"), "workflow-recovered", "default branch (master)"],
      ["a fork's failure does not count as a failure", fromFork("failure"), "workflow-failure", "default branch (master)"],
    ] as const)("%s, and --explain says why", (_, payload, rule, what) => {
      const result = route("workflow_run", payload);
      expect(result.matched).toBe(false);
      expect(result.event.branch).toBeNull();
      expect(result.explanation.find((v) => v.rule === rule)?.reason).toBe(`the workflow run is from attacker/r, not octo-org/octo-repo: its branch master is not this repository's, so not the ${what}`);
    });

    it("a run whose head repository is not given is not taken as the repository's", () => {
      const result = route("workflow_run", fromFork("success", null));
      expect(result.matched).toBe(false);
      expect(result.explanation.find((v) => v.rule === "workflow-recovered")?.reason).toMatch(/^the workflow run is from a head repository the payload does not name, not octo-org\/octo-repo/);
    });

    it("the same repository, named in another case and without ids, still counts", () => {
      expect(ruleOf("workflow_run", fromFork("success", { full_name: "OCTO-ORG/octo-repo" }))).toBe("workflow-recovered");
    });

    it("branch and deployBranch conditions say the same; defaultBranch: false holds", () => {
      const byBranch = routerFor({ routing: { rules: [
        { id: "on-main", when: { event: "workflow_run", branch: "master" }, agent: "log", priority: "low", action: "x" },
        { id: "deploy", when: { event: "workflow_run", deployBranch: true }, agent: "log", priority: "low", action: "x", continue: true },
        { id: "off-default", when: { event: "workflow_run", defaultBranch: false }, agent: "log", priority: "low", action: "x", continue: true },
      ] } });
      const result = byBranch("workflow_run", fromFork("failure"));
      const reason = (id: string) => result.explanation.find((v) => v.rule === id)?.reason;
      expect(reason("on-main")).toBe("the workflow run is from attacker/r, not octo-org/octo-repo: its branch master is not this repository's, so not a branch (wanted master)");
      expect(reason("deploy")).toMatch(/its branch master is not this repository's, so not a deploy branch \(master\)$/);
      expect(result.decisions.map((d) => d.rule)).toContain("off-default");
    });
  });

  it("a failed run started by a bot (github-actions[bot]) still reaches Guardian", () => {
    const result = route("workflow_run", asBot(workflowRun("failure"), "github-actions[bot]"));
    expect(result.decision?.rule).toBe("workflow-failure");
    expect(result.ignored).toBeUndefined();
  });

  it("guardian.workflows limits Guardian to the listed workflows", () => {
    const guarded = routerFor({ guardian: { workflows: ["CI", "Release"] } });
    expect(guarded("workflow_run", workflowRun("failure", "master", "CI")).decision?.rule).toBe("workflow-failure");
    expect(guarded("workflow_run", workflowRun("success", "master", "Release")).decision?.rule).toBe("workflow-recovered");
    const other = guarded("workflow_run", workflowRun("failure", "master", "Nightly docs"));
    expect(other.matched).toBe(false);
    expect(other.explanation.find((v) => v.rule === "workflow-failure")?.reason).toBe("workflow is Nightly docs, not one of CI, Release");
    // Without the setting, every workflow on the default branch counts.
    expect(ruleOf("workflow_run", workflowRun("failure", "master", "Nightly docs"))).toBe("workflow-failure");
  });
});

describe("routing.deployBranches", () => {
  const release = routerFor({ routing: { deployBranches: ["release"] } });

  it.each([
    ["a PR merged into release", "pull_request", closedPr(true, "release"), "pr-merged"],
    ["a PR merged into the default branch", "pull_request", closedPr(true, "master"), null],
    ["a push to release", "push", push("refs/heads/release"), "push-deploy"],
    ["a push to the default branch", "push", push("refs/heads/master"), null],
  ] as const)("%s", (_, name, payload, expected) => {
    expect(release(name, payload).decision?.rule ?? null).toBe(expected);
  });

  it("does not move Guardian off the default branch", () => {
    expect(release("workflow_run", workflowRun("failure", "release")).matched).toBe(false);
    expect(release("workflow_run", workflowRun("failure", "master")).decision?.rule).toBe("workflow-failure");
  });
});

describe("comments", () => {
  it("/agent analyze → comment-command with the command", () => {
    const result = route("issue_comment", comment("/agent analyze"));
    expect(result.decision?.rule).toBe("comment-command");
    expect(result.event.commands).toEqual([{ name: "analyze", args: [] }]);
  });

  it("an /agent comment on a pull request → comment-command", () => {
    const payload = comment("/agent review");
    const url = "https://api.github.com/repos/Codertocat/Hello-World/pulls/1";
    payload.issue.pull_request = { url, html_url: url, diff_url: url, patch_url: url };
    const result = route("issue_comment", payload);
    expect(result.event.isPullRequest).toBe(true);
    expect(result.decision?.rule).toBe("comment-command");
  });

  it.each([
    ["quoted", "> /agent execute\nI disagree"],
    ["fenced", "Run this:\n```\n/agent execute\n```"],
    ["mid-sentence", "maybe someone should /agent execute this"],
    ["a plain comment", "You are totally right!"],
  ])("%s /agent → none", (_, body) => {
    const result = route("issue_comment", comment(body));
    expect(result.matched).toBe(false);
    expect(result.event.commands).toEqual([]);
    expect(result.explanation.find((v) => v.rule === "comment-command")?.reason).toBe("the comment holds no /agent command");
  });

  it("an edited comment never re-runs", () => {
    expect(route("issue_comment", comment("/agent analyze", "edited")).matched).toBe(false);
  });

  it("a comment carrying <!-- switchyard --> → matched:false, ignored own-event", () => {
    const result = route("issue_comment", comment("<!-- switchyard -->\nRouted to IssueAgent.\n/agent analyze"));
    expect(result).toMatchObject({ matched: false, decision: null, decisions: [], ignored: "own-event" });
    expect(result.explanation.every((v) => v.outcome === "no-match" && v.reason === "ignored: own-event")).toBe(true);
  });

  it("a Bot sender's /agent comment → ignored", () => {
    const result = route("issue_comment", asBot(comment("/agent execute"), "renovate[bot]"));
    expect(result).toMatchObject({ matched: false, decision: null, ignored: "bot-sender" });
  });

  it("a comment by switchyard's own login → ignored own-event", () => {
    const payload = comment("/agent analyze");
    payload.sender.login = "switchyard-app";
    expect(route("issue_comment", payload, ["switchyard-app"])).toMatchObject({ matched: false, ignored: "own-event" });
    expect(route("issue_comment", payload).decision?.rule).toBe("comment-command");
  });

  it("github-actions[bot] adding agent-execute → ignored own-event", () => {
    const result = route("issues", asBot(labeled("agent-execute"), "github-actions[bot]"));
    expect(result).toMatchObject({ matched: false, decision: null, ignored: "own-event" });
  });

  it("another Bot adding agent-execute → ignored", () => {
    expect(route("issues", asBot(labeled("agent-execute"), "some-app[bot]"))).toMatchObject({ matched: false, ignored: "bot-sender" });
  });
});

describe("priority, ties and continue with config rules", () => {
  const rule = (id: string, priority: string, extra: Record<string, unknown> = {}) => ({
    id,
    when: { event: "issues", action: "opened" },
    agent: `${id}-agent`,
    priority,
    action: `do ${id}`,
    ...extra,
  });
  const opened = exampleOf("issues", "opened");

  it("a user rule with higher priority wins", () => {
    const result = routerFor({ routing: { rules: [rule("vip", "critical")] } })("issues", opened);
    expect(result.decision).toEqual({ rule: "vip", agent: "vip-agent", priority: "critical", action: "do vip" });
    expect(result.decisions).toHaveLength(1);
    expect(result.explanation.find((v) => v.rule === "issue-opened")).toMatchObject({ matched: true, outcome: "outranked", by: "vip" });
  });

  it("equal priority → table order (defaults first, then rules as listed)", () => {
    const same = routerFor({ routing: { rules: [rule("also-high", "high")] } })("issues", opened);
    expect(same.decision?.rule).toBe("issue-opened");
    expect(same.explanation.find((v) => v.rule === "also-high")).toMatchObject({ outcome: "outranked", by: "issue-opened" });

    const twoLow = routerFor({ routing: { rules: [rule("first", "low"), rule("second", "low")], disable: ["issue-opened"] } })("issues", opened);
    expect(twoLow.decision?.rule).toBe("first");
    const swapped = routerFor({ routing: { rules: [rule("second", "low"), rule("first", "low")], disable: ["issue-opened"] } })("issues", opened);
    expect(swapped.decision?.rule).toBe("second");
  });

  it("continue: true fans out to the next-ranked rule", () => {
    const result = routerFor({ routing: { rules: [rule("notify", "critical", { continue: true })] } })("issues", opened);
    expect(result.decisions.map((d) => d.rule)).toEqual(["notify", "issue-opened"]);
    expect(result.decision).toEqual(result.decisions[0]);
    expect(result.decision?.rule).toBe("notify");
  });

  it("continue stops at the first rule without it", () => {
    const result = routerFor({
      routing: { rules: [rule("notify", "critical", { continue: true }), rule("audit", "low")] },
    })("issues", opened);
    expect(result.decisions.map((d) => d.rule)).toEqual(["notify", "issue-opened"]);
    expect(result.explanation.find((v) => v.rule === "audit")).toMatchObject({ matched: true, outcome: "outranked", by: "issue-opened" });
  });

  it("replacing a default rule by id keeps its position", () => {
    const { rules } = parseConfig(withAgents({ routing: { rules: [{ ...rule("issue-opened", "high"), agent: "TriageBot" }] } }));
    expect(rules.map((r) => r.id)).toEqual(DESIGN_TABLE.map(([id]) => id));
    expect(rules[3]).toMatchObject({ id: "issue-opened", agent: "TriageBot", origin: "replaced" });
    const result = routerFor({ routing: { rules: [{ ...rule("issue-opened", "high"), agent: "TriageBot" }] } })("issues", opened);
    expect(result.decision).toMatchObject({ rule: "issue-opened", agent: "TriageBot" });
  });

  it("a new rule is appended with origin config", () => {
    const { rules } = parseConfig(withAgents({ routing: { rules: [rule("extra", "low")] } }));
    expect(rules).toHaveLength(15);
    expect(rules[14]).toMatchObject({ id: "extra", origin: "config" });
  });

  it("routing.disable removes a rule", () => {
    const config = { routing: { disable: ["issue-opened"] } };
    const { rules } = parseConfig(config);
    expect(rules.map((r) => r.id)).not.toContain("issue-opened");
    expect(rules).toHaveLength(13);
    expect(routerFor(config)("issues", opened).matched).toBe(false);
  });

  it("a user rule can match on a regular expression", () => {
    const route = routerFor({
      routing: { rules: [{ id: "hotfix", when: { event: "push", branch: "/^hotfix\\//" }, agent: "Hotfixer", priority: "high", action: "ship" }] },
    });
    expect(route("push", push("refs/heads/hotfix/login")).decision?.rule).toBe("hotfix");
    expect(route("push", push("refs/heads/feature/hotfix")).matched).toBe(false);
  });
});

describe("the explanation", () => {
  it("names the winner and why each other rule did not run", () => {
    const result = routerFor({ routing: { rules: [{ id: "vip", when: { event: "issues", action: "opened" }, agent: "Vip", priority: "critical", action: "x" }] } })(
      "issues",
      exampleOf("issues", "opened"),
    );
    const byRule = Object.fromEntries(result.explanation.map((v) => [v.rule, v]));
    expect(byRule.vip).toMatchObject({ outcome: "runs", matched: true, reason: null });
    expect(byRule["issue-opened"]).toMatchObject({ outcome: "outranked", by: "vip" });
    expect(byRule["issue-assigned"]).toMatchObject({ outcome: "no-match", reason: "action is opened, not assigned" });
    expect(byRule["pr-opened"]).toMatchObject({ outcome: "no-match", reason: "event is issues, not pull_request" });

    const text = formatExplanation(result.explanation);
    expect(text).toMatch(/^vip\s+Vip\s+critical\s+RUNS$/m);
    expect(text).toMatch(/^issue-opened\s+IssueAgent\s+high\s+matched, outranked by vip$/m);
    expect(text).toMatch(/^issue-assigned\s+IssueAgent\s+high\s+no match: action is opened, not assigned$/m);
  });

  it("says why a push to a feature branch does not deploy", () => {
    const verdict = route("push", push("refs/heads/feature")).explanation.find((v) => v.rule === "push-deploy");
    expect(verdict?.reason).toBe("branch feature is not a deploy branch (master)");
  });

  it("says a tag push is a tag push, not that its branch is (none)", () => {
    const verdict = route("push", push("refs/tags/v1.0.0")).explanation.find((v) => v.rule === "push-deploy");
    expect(verdict?.reason).toBe("refs/tags/v1.0.0 is a tag push, not a deploy branch (master)");
    const router = routerFor({
      routing: {
        rules: [
          { id: "on-default", when: { event: "push", defaultBranch: true }, agent: "Log", priority: "low", action: "x" },
          { id: "on-main", when: { event: "push", branch: "main" }, agent: "Log", priority: "low", action: "x" },
        ],
      },
    });
    const byRule = Object.fromEntries(router("push", push("refs/tags/v1.0.0")).explanation.map((v) => [v.rule, v.reason]));
    expect(byRule["on-default"]).toBe("refs/tags/v1.0.0 is a tag push, not the default branch (master)");
    expect(byRule["on-main"]).toBe("refs/tags/v1.0.0 is a tag push, not a branch (wanted main)");
  });
});

describe("repository and sender conditions", () => {
  const rule = (when: Record<string, unknown>) => ({ routing: { rules: [{ id: "mine", when: { event: "issues", action: "opened", ...when }, agent: "Mine", priority: "critical", action: "A" }] } });

  it("match in any letter case, as GitHub compares names; a /pattern/ as written", () => {
    const payload = exampleOf("issues", "opened");
    const { repository, sender } = { repository: payload.repository.full_name, sender: payload.sender.login };
    expect(repository).not.toBe(repository.toLowerCase());
    expect(routerFor(rule({ repository: repository.toLowerCase() }))("issues", payload).decision?.rule).toBe("mine");
    expect(routerFor(rule({ sender: sender.toUpperCase() }))("issues", payload).decision?.rule).toBe("mine");
    expect(routerFor(rule({ repository: `/^${repository.toLowerCase()}$/` }))("issues", payload).decision?.rule).not.toBe("mine");
    expect(routerFor(rule({ repository: `/^${repository.toLowerCase()}$/i` }))("issues", payload).decision?.rule).toBe("mine");
  });
});
