import { readFileSync } from "node:fs";
import path from "node:path";
import type { WebhookEventName } from "@octokit/webhooks-types";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { main } from "../../src/cli/main.js";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { decide } from "../../src/routing/decide.js";
import { WEBHOOK_EVENT_ACTIONS } from "../../src/config/webhook-events.generated.js";
import { ACTIONS_EVENTS } from "../../src/init/derive-triggers.js";
import { allExamples, eventNames, exampleOf, examplesOf } from "../support/examples.js";
import { startGithubFake } from "../support/github-fake/index.js";
import { createWorkdir, runAll, runCli, type CliResult } from "../support/run-cli.js";

const work = createWorkdir();
afterAll(() => work.remove());

const route = (args: string[], env?: Record<string, string>) => runCli(["route", ...args], { cwd: work.dir, env });
const dryJson = (event: string, file: string) => route(["--event", event, "--payload", file, "--dry-run", "--json"]);

/** stdout must be exactly one line of compact JSON: parse it, and check it round-trips byte for byte. */
function oneJsonLine(result: CliResult): Record<string, unknown> {
  expect(result.stdout.endsWith("\n")).toBe(true);
  expect(result.stdout.slice(0, -1)).not.toContain("\n");
  const value = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(JSON.stringify(value) + "\n").toBe(result.stdout);
  return value;
}

/** `route ARGS` through main() in this process: no process start-up, so many runs are affordable. */
async function inProcessRoute(args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), env: {}, cwd: work.dir };
  const code = await main(["route", ...args], io);
  return { code, stdout, stderr };
}

const CONTRACT_KEYS = ["event", "action", "delivery", "matched", "decision", "decisions", "command", "commands"];

const issueOpened = work.write("issues-opened.json", exampleOf("issues", "opened"));

function commentFile(name: string, body: string): string {
  const payload = exampleOf("issue_comment", "created");
  payload.comment.body = body;
  return work.write(name, payload);
}

describe.concurrent("route --dry-run --json (docs/cli.md, route)", () => {
  it("prints exactly the documented line for issues.opened", async () => {
    const result = await dryJson("issues", issueOpened);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const decision = '{"rule":"issue-opened","agent":"IssueAgent","priority":"high","action":"Analyze and auto-label"}';
    expect(result.stdout).toBe(
      `{"event":"issues","action":"opened","delivery":null,"matched":true,"decision":${decision},"decisions":[${decision}],"command":null,"commands":[]}\n`,
    );
  });

  it("action is null for push", async () => {
    const payload = allExamples(["push"]).find((e) => e.payload.ref === "refs/heads/master")!.payload;
    const result = await dryJson("push", work.write("push.json", payload));
    const json = oneJsonLine(result);
    expect(Object.keys(json)).toEqual(CONTRACT_KEYS);
    expect(json).toMatchObject({ event: "push", action: null, delivery: null, matched: true, decision: { rule: "push-deploy", agent: "DeploymentAgent" } });
  });

  it("an /agent comment: command is the first command, commands all of them", async () => {
    const result = await dryJson("issue_comment", commentFile("comment.json", "/agent analyze"));
    const json = oneJsonLine(result);
    expect(Object.keys(json)).toEqual(CONTRACT_KEYS);
    expect(json).toMatchObject({ matched: true, decision: { rule: "comment-command", agent: "CoordinatorAgent", priority: "critical" } });
    expect(result.stdout).toContain('"command":{"name":"analyze","args":[]},"commands":[{"name":"analyze","args":[]}]}');

    // The blank line ends the quote: a line right after one continues it, as Markdown renders it.
    const two = oneJsonLine(await dryJson("issue_comment", commentFile("comment-2.json", "/agent deploy staging\n> /agent execute\n\n/agent status")));
    expect(two.command).toEqual({ name: "deploy", args: ["staging"] });
    expect(two.commands).toEqual([
      { name: "deploy", args: ["staging"] },
      { name: "status", args: [] },
    ]);
  });

  it("an agent-execute label: command null", async () => {
    const payload = exampleOf("issues", "labeled");
    payload.label = { ...payload.label!, name: "agent-execute" };
    const json = oneJsonLine(await dryJson("issues", work.write("labeled.json", payload)));
    expect(json).toMatchObject({ matched: true, decision: { rule: "issue-agent-execute" }, command: null, commands: [] });
  });

  it("switchyard's own comment: matched:false, ignored own-event", async () => {
    const json = oneJsonLine(await dryJson("issue_comment", commentFile("own.json", "<!-- switchyard -->\n/agent analyze")));
    expect(json).toEqual({
      event: "issue_comment",
      action: "created",
      delivery: null,
      matched: false,
      decision: null,
      decisions: [],
      command: null,
      commands: [],
      ignored: "own-event",
    });
  });

  it("a bot's /agent comment: matched:false, no command", async () => {
    const payload = exampleOf("issue_comment", "created");
    payload.comment.body = "/agent execute";
    payload.sender = { ...payload.sender, login: "renovate[bot]", type: "Bot" };
    const json = oneJsonLine(await dryJson("issue_comment", work.write("bot.json", payload)));
    expect(json).toMatchObject({ matched: false, decision: null, decisions: [], command: null, commands: [], ignored: "bot-sender" });
  });

  it("an event no rule routes: matched:false, exit 0", async () => {
    const result = await dryJson("star", work.write("star.json", exampleOf("star", "created")));
    expect(result.code).toBe(0);
    expect(oneJsonLine(result)).toEqual({
      event: "star",
      action: "created",
      delivery: null,
      matched: false,
      decision: null,
      decisions: [],
      command: null,
      commands: [],
    });
  });

  it("the config file in the working directory applies (routing.deployBranches)", async () => {
    const dir = createWorkdir();
    try {
      const push = allExamples(["push"]).find((e) => e.payload.ref === "refs/heads/master")!.payload;
      dir.write("push.json", push);
      const args = ["route", "--event", "push", "--payload", "push.json", "--dry-run", "--json"];
      expect(oneJsonLine(await runCli(args, { cwd: dir.dir }))).toMatchObject({ matched: true, decision: { rule: "push-deploy" } });
      dir.write("switchyard.config.yaml", "routing:\n  deployBranches: [release]\n");
      expect(oneJsonLine(await runCli(args, { cwd: dir.dir }))).toMatchObject({ matched: false, decision: null });
    } finally {
      dir.remove();
    }
  });
});

describe("route over every example payload of the routed events", () => {
  const ROUTED: WebhookEventName[] = ["issues", "issue_comment", "pull_request", "push", "pull_request_review", "workflow_run"];
  const examples = allExamples(ROUTED).map((e) => ({ ...e, file: work.write(`all-${e.event}-${e.index}.json`, e.payload) }));
  const { config, rules } = parseConfig({});

  const inProcess = (event: string, file: string) => inProcessRoute(["--event", event, "--payload", file, "--dry-run", "--json"]);

  it(`every payload (${examples.length}): exit 0, one JSON line that agrees with decide()`, async () => {
    const matched = new Set<string>();
    for (const example of examples) {
      const result = await inProcess(example.event, example.file);
      const label = `${example.event}.${example.action} #${example.index}`;
      expect(result.code, `${label}: ${result.stderr}`).toBe(0);
      expect(result.stderr, label).toBe("");
      const json = oneJsonLine(result);
      expect(Object.keys(json), label).toEqual(CONTRACT_KEYS);
      const expected = decide(normalizeEvent(example.event, example.payload), rules, config.routing);
      expect({ event: json.event, action: json.action, matched: json.matched, decision: json.decision, decisions: json.decisions }, label).toEqual({
        event: example.event,
        action: example.action,
        matched: expected.matched,
        decision: expected.decision,
        decisions: expected.decisions,
      });
      if (expected.decision) matched.add(expected.decision.rule);
    }
    // The examples reach most of the table: a CLI that matched nothing would fail here.
    expect([...matched].sort()).toEqual(["issue-assigned", "issue-opened", "pr-opened", "pr-ready", "pr-review-requested", "pr-synchronize", "push-deploy", "workflow-recovered"]);
  });

  // One real process per event.action (process start-up is most of the cost): the built CLI
  // must print, byte for byte, what main() prints in process.
  const perAction = [...new Map(examples.map((e) => [`${e.event}.${e.action}`, e])).values()];
  it(`the built CLI prints the same line as a real process (${perAction.length} event.action pairs)`, async () => {
    const results = await runAll(perAction, (e) => dryJson(e.event, e.file));
    for (const [i, example] of perAction.entries()) {
      const result = results[i]!;
      const label = `${example.event}.${example.action}`;
      expect(result.code, `${label}: ${result.stderr}`).toBe(0);
      expect(result.stderr, label).toBe("");
      expect(result.stdout, label).toBe((await inProcess(example.event, example.file)).stdout);
    }
  }, 120_000);
});

describe.concurrent("route inputs", () => {
  it("defaults to GITHUB_EVENT_NAME and GITHUB_EVENT_PATH", async () => {
    const result = await route(["--dry-run", "--json"], { GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: issueOpened });
    expect(result.code).toBe(0);
    expect(oneJsonLine(result)).toMatchObject({ event: "issues", action: "opened", decision: { rule: "issue-opened" } });
  });

  it("GITHUB_EVENT_NAME is GitHub's own and taken as it is, even an event without a webhook (schedule)", async () => {
    const result = await route(["--dry-run", "--json"], { GITHUB_EVENT_NAME: "schedule", GITHUB_EVENT_PATH: work.write("schedule.json", { schedule: "0 * * * *" }) });
    expect(result.code, result.stderr).toBe(0);
    expect(oneJsonLine(result)).toMatchObject({ event: "schedule", matched: false });
  });

  it("--event takes every event GitHub sends, webhook or Actions-only", async () => {
    const names = [...Object.keys(WEBHOOK_EVENT_ACTIONS), ...ACTIONS_EVENTS];
    const withExamples = new Set<string>(eventNames());
    for (const name of names) {
      // pull_request_target carries a pull_request payload; events without an example need no shape.
      const like = name === "pull_request_target" ? "pull_request" : name;
      const payload = work.write(`known-${name}.json`, withExamples.has(like) ? exampleOf(like as WebhookEventName) : {});
      const result = await inProcessRoute(["--event", name, "--payload", payload, "--dry-run", "--json"]);
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
    }
  });

  it("pull_request_target (an Actions trigger whose payload is a pull_request event's) is routed as pull_request", async () => {
    const opened = work.write("prt-opened.json", exampleOf("pull_request", "opened"));
    const decision = { rule: "pr-opened", agent: "ReviewAgent", priority: "high", action: "Run quality checks" };
    const typed = await dryJson("pull_request_target", opened);
    expect(typed).toMatchObject({ code: 0, stderr: "" });
    expect(oneJsonLine(typed)).toMatchObject({ event: "pull_request", action: "opened", matched: true, decision });
    const fromEnv = await route(["--dry-run", "--json"], { GITHUB_EVENT_NAME: "pull_request_target", GITHUB_EVENT_PATH: opened });
    expect(oneJsonLine(fromEnv)).toMatchObject({ event: "pull_request", matched: true, decision });
    // Its payload must still be a pull request's.
    const notPr = await dryJson("pull_request_target", issueOpened);
    expect(notPr.code).toBe(2);
    expect(notPr.stderr).toMatch(/is not a pull_request_target payload: it has no "pull_request"/);
    expect(oneJsonLine(notPr)).toMatchObject({ ok: false, error: expect.stringMatching(/is not a pull_request_target payload/) });
  });

  it("--event and --payload win over the Actions variables", async () => {
    const push = work.write("env-push.json", allExamples(["push"])[4]!.payload);
    const result = await route(["--event", "issues", "--payload", issueOpened, "--dry-run", "--json"], { GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: push });
    expect(oneJsonLine(result)).toMatchObject({ event: "issues", decision: { rule: "issue-opened" } });
  });

  it("a relative --payload is read from the working directory", async () => {
    const result = await route(["--event", "issues", "--payload", "issues-opened.json", "--dry-run", "--json"]);
    expect(oneJsonLine(result)).toMatchObject({ matched: true });
  });

  const notJson = work.write("not-json.json", "this is not JSON\n{\n  still: not\n}\n");
  const array = work.write("array.json", [{ action: "opened" }]);
  const commentCreated = work.write("issue-comment.json", exampleOf("issue_comment", "created"));
  const nullJson = work.write("null.json", "null");
  it.each([
    ["a missing payload file", ["--event", "issues", "--payload", "missing.json"], {}, /^switchyard: cannot read payload file .*missing\.json: no such file$/],
    ["a payload that is not JSON", ["--event", "issues", "--payload", notJson], {}, /^switchyard: payload file .*not-json\.json is not JSON: /],
    ["a JSON array", ["--event", "issues", "--payload", array], {}, /^switchyard: payload file .*array\.json must hold a JSON object/],
    ["JSON null", ["--event", "issues", "--payload", nullJson], {}, /must hold a JSON object/],
    ["a misspelt --event", ["--event", "isues", "--payload", issueOpened], {}, /^switchyard: event "isues" is not a GitHub webhook event: did you mean issues\?$/],
    ["an --event GitHub never sends", ["--event", "frobnicate", "--payload", issueOpened], {}, /^switchyard: event "frobnicate" is not a GitHub webhook event: see https:\/\/docs\.github\.com\//],
    ["an --event with its action", ["--event", "issues.opened", "--payload", issueOpened], {}, /^switchyard: event "issues\.opened" names an action as well: give the event alone, --event issues \(the action is the payload's\)$/],
    ["no event name", ["--payload", issueOpened], {}, /^switchyard: no event name: pass --event NAME or set GITHUB_EVENT_NAME$/],
    ["an empty GITHUB_EVENT_NAME", ["--payload", issueOpened], { GITHUB_EVENT_NAME: " " }, /^switchyard: no event name/],
    ["no payload", ["--event", "issues"], {}, /^switchyard: no payload: pass --payload FILE or set GITHUB_EVENT_PATH$/],
    ["a bad config file", ["--event", "issues", "--payload", issueOpened, "--config", "nope.yaml"], {}, /^switchyard: config file .*nope\.yaml does not exist/],
    ["a payload of another event", ["--event", "pull_request", "--payload", issueOpened], {}, /^switchyard: .* is not a pull_request payload: it has no "pull_request" \(check --event/],
    ["an issues payload named push", ["--payload", issueOpened], { GITHUB_EVENT_NAME: "push" }, /is not a push payload: it has no "ref"/],
    ["an article before a vowel", ["--event", "issue_comment", "--payload", issueOpened], {}, /is not an issue_comment payload: it has no "comment"/],
    ["a neighbour's payload, with every key the event has", ["--event", "issues", "--payload", commentCreated], {}, /is not an issues payload: it has a "comment", which issues payloads never have; it looks like issue_comment's \(check --event/],
  ] as const)("%s → exit 2, one line on stderr, and --json's one line on stdout saying the same", async (_, args, env, message) => {
    const result = await route([...args, "--dry-run", "--json"], env);
    expect(result.code).toBe(2);
    expect(result.stderr.endsWith("\n")).toBe(true);
    expect(result.stderr.slice(0, -1)).not.toContain("\n");
    expect(result.stderr.slice(0, -1)).toMatch(message);
    expect(result.stdout.endsWith("\n") && !result.stdout.slice(0, -1).includes("\n")).toBe(true);
    const line = JSON.parse(result.stdout) as { ok: boolean; error: string };
    expect(line.ok).toBe(false);
    expect(`switchyard: ${line.error}`).toMatch(message);
  });

  it("a bad environment variable → exit 2 naming it", async () => {
    const result = await route(["--event", "issues", "--payload", issueOpened, "--dry-run", "--json"], { RETRY_MAX_ATTEMPTS: "lots" });
    expect(result).toMatchObject({ code: 2 });
    expect(result.stderr).toBe('switchyard: RETRY_MAX_ATTEMPTS="lots" is not a whole number (digits only)\n');
    expect(JSON.parse(result.stdout)).toEqual({ ok: false, error: 'RETRY_MAX_ATTEMPTS="lots" is not a whole number (digits only)' });
  });
});

describe("route with a bad LOG_LEVEL", () => {
  it("refuses it before printing a decision", async () => {
    const result = await route(["--event", "issues", "--payload", issueOpened], { LOG_LEVEL: "verbose" });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^switchyard: LOG_LEVEL="verbose" is not a level: use one of /);
  });
});

describe.concurrent("route output for people", () => {
  it("lists a comment's commands on a line of their own, not under a decision", async () => {
    const result = await route(["--event", "issue_comment", "--payload", commentFile("people.json", "/agent deploy staging\n/agent status"), "--dry-run"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("commands in the comment: /agent deploy staging, /agent status");
    expect(lines.slice(0, -1).every((line) => line.startsWith("issue_comment.created → "))).toBe(true);
  });

  it("--explain names the winning rule and why the others did not run", async () => {
    const result = await route(["--event", "issues", "--payload", issueOpened, "--dry-run", "--explain"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("issues.opened → IssueAgent (high): Analyze and auto-label  [rule issue-opened]");
    expect(result.stdout).toMatch(/^issue-opened\s+IssueAgent\s+high\s+RUNS$/m);
    expect(result.stdout).toMatch(/^issue-assigned\s+IssueAgent\s+high\s+no match: action is opened, not assigned$/m);
    expect(result.stdout.match(/RUNS/g)).toHaveLength(1);
  });

  it("--explain says a fork's workflow run is not on the default branch, whatever its branch is called", async () => {
    const payload = examplesOf("workflow_run", "completed").find((p) => p.workflow_run.conclusion === "success")!;
    Object.assign(payload.workflow_run, { event: "pull_request", head_branch: "master" });
    payload.workflow_run.head_repository = { ...payload.workflow_run.head_repository, id: 999, full_name: "attacker/r" };
    const result = await route(["--event", "workflow_run", "--payload", work.write("fork-run.json", payload), "--dry-run", "--explain"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^workflow-recovered\s+Guardian\s+low\s+no match: the workflow run is from attacker\/r, not octo-org\/octo-repo: its branch master is not this repository's, so not the default branch \(master\)$/m);
    expect(result.stdout).not.toMatch(/RUNS/);
  });

  it("--json --explain keeps one line and adds every rule's verdict", async () => {
    const json = oneJsonLine(await route(["--event", "issues", "--payload", issueOpened, "--dry-run", "--json", "--explain"]));
    const explain = json.explain as { rule: string; outcome: string }[];
    expect(explain).toHaveLength(14);
    expect(explain.filter((v) => v.outcome === "runs").map((v) => v.rule)).toEqual(["issue-opened"]);
  });

  it("--explain says why a command rule of the config did not route a stranger's /agent mycmd, and --json names each rule's commands", async () => {
    const config = work.write(
      "own-command.yaml",
      "agents:\n  MyAgent: { exec: [./my-agent.sh] }\nrouting:\n  rules:\n    - { id: my-command, when: { event: issue_comment, action: created, commentCommand: mycmd }, agent: MyAgent, priority: critical, action: Run my command }\n",
    );
    const stranger = exampleOf("issue_comment", "created");
    stranger.comment.body = "/agent mycmd";
    stranger.comment.author_association = "NONE";
    const args = (file: string) => ["--event", "issue_comment", "--payload", file, "--dry-run", "--explain", "--config", config];
    const refused = await route(args(work.write("mycmd-none.json", stranger)));
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.stdout).toContain("issue_comment.created → CoordinatorAgent (critical): Parse and execute command  [rule comment-command]");
    expect(refused.stdout).toMatch(/^my-command\s+MyAgent\s+critical\s+no match: author association NONE is not among commands\.associations \(OWNER, MEMBER, COLLABORATOR\)$/m);

    stranger.comment.author_association = "MEMBER";
    stranger.comment.body = "/agent mycmd\n/agent status";
    const json = oneJsonLine(await route([...args(work.write("mycmd-member.json", stranger)), "--json"]));
    expect(json.decisions).toEqual([
      { rule: "comment-command", agent: "CoordinatorAgent", priority: "critical", action: "Parse and execute command" },
      { rule: "my-command", agent: "MyAgent", priority: "critical", action: "Run my command" },
    ]);
    const explain = json.explain as { rule: string; outcome: string; commands?: string[] }[];
    expect(explain.filter((v) => v.outcome === "runs").map((v) => [v.rule, v.commands])).toEqual([
      ["comment-command", ["status"]],
      ["my-command", ["mycmd"]],
    ]);
  });

  it("an ignored event says why", async () => {
    const result = await route(["--event", "issue_comment", "--payload", commentFile("own-human.json", "<!-- switchyard -->\nhi"), "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("issue_comment.created: ignored (own-event)");
  });

  it("without --dry-run a matched event's tasks run inline: exit 0, one JSON line with the tasks", async () => {
    const result = await route(["--event", "issues", "--payload", issueOpened, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const json = oneJsonLine(result);
    expect(Object.keys(json).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
    expect(json).toMatchObject({ matched: true, decision: { rule: "issue-opened" } });
    expect(json.delivery).toEqual(expect.any(String));
    expect(json.tasks).toEqual([expect.objectContaining({ agent: "IssueAgent", status: "succeeded", attempts: 1 })]);
  });

  it("without --dry-run an unmatched event runs nothing", async () => {
    const star = work.write("star-unmatched.json", exampleOf("star", "created"));
    const result = await route(["--event", "star", "--payload", star, "--json"]);
    expect(result.code).toBe(0);
    expect(oneJsonLine(result)).toMatchObject({ matched: false, delivery: null, decisions: [], tasks: [] });
    expect(result.stderr).toBe("");
    // With --dry-run nothing runs either way, and the line has no `tasks`.
    const dry = oneJsonLine(await route(["--event", "star", "--payload", star, "--json", "--dry-run"]));
    expect(dry).not.toHaveProperty("tasks");
  });
  it("tells an exec agent whether the run is a dry run, in SWITCHYARD_DRY_RUN and the document's dryRun, token or not", async () => {
    const fake = await startGithubFake();
    try {
      const agent = work.write("dry-run-agent.mjs", `import { writeFileSync } from "node:fs";
let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => writeFileSync(process.argv[2], JSON.stringify({ env: process.env, dryRun: JSON.parse(input).dryRun })));`);
      const seen = (run: string) => path.join(work.dir, `dry-run-agent-${run}.json`);
      const config = (run: string) =>
        work.write(`dry-run-agent-${run}.yaml`, `agents:\n  IssueAgent: { exec: ["${process.execPath}", "${agent}", "${seen(run)}"], env: [GITHUB_TOKEN] }\ngithub: { writeIntervalMs: 0 }\n`);
      const env = { GITHUB_TOKEN: "ghp_dry_run_agent_token", GITHUB_API_URL: fake.url };
      const runs = [
        { run: "dry", env: { ...env, SWITCHYARD_DRY_RUN: "1" }, want: "true" },
        { run: "live", env, want: "false" },
      ];
      for (const { run, env: routeEnv, want } of runs) {
        const result = await route(["--event", "issues", "--payload", issueOpened, "--json", "--config", config(run)], routeEnv);
        expect(result.code, result.stderr).toBe(0);
        const got = JSON.parse(readFileSync(seen(run), "utf8")) as { env: Record<string, string>; dryRun: unknown };
        expect(got.env.SWITCHYARD_DRY_RUN).toBe(want);
        expect(got.dryRun).toBe(want === "true");
        // Listed, so passed as it is, dry run or not: the agent must honour SWITCHYARD_DRY_RUN itself.
        expect(got.env.GITHUB_TOKEN).toBe("ghp_dry_run_agent_token");
      }
    } finally {
      await fake.close();
    }
  });

  it("a job summary it cannot write is a warning naming GITHUB_STEP_SUMMARY: the exit code is the tasks'", async () => {
    const summary = path.join(work.dir, "no-such-dir", "summary.md");
    const ok = await route(["--event", "issues", "--payload", issueOpened], { GITHUB_STEP_SUMMARY: summary });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/task 1 IssueAgent: succeeded after 1 attempt/);
    expect(ok.stderr).toContain(`switchyard: warning: the job summary was not written to GITHUB_STEP_SUMMARY (${summary}): ENOENT`);
    expect(ok.stderr).toContain("the exit code still says what the tasks did");
    // A dead task is still exit 1, the summary's failure or not.
    const config = work.write("summary-dead-agent.yaml", "agents:\n  IssueAgent: { http: { url: http://127.0.0.1:2/run, secret: { env: AGENT_SECRET } } }\n");
    const dead = await route(["--event", "issues", "--payload", issueOpened, "--config", config], { GITHUB_STEP_SUMMARY: summary });
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain("switchyard: warning: the job summary was not written to GITHUB_STEP_SUMMARY");
    // Decide only: no task, nothing failed.
    const decided = await route(["--event", "issues", "--payload", issueOpened, "--dry-run"], { GITHUB_STEP_SUMMARY: summary });
    expect(decided.code).toBe(0);
  });

  it("an http agent whose secret variable is unset fails its task, exit 1, naming the agent once", async () => {
    const config = work.write("http-unset-secret.yaml", "agents:\n  IssueAgent: { http: { url: http://127.0.0.1:2/run, secret: { env: AGENT_SECRET } } }\n");
    const result = await route(["--event", "issues", "--payload", issueOpened, "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "switchyard: 1 task(s) failed: IssueAgent: http.secret is read from AGENT_SECRET, which is not set in this process's environment: set it where switchyard runs (a permanent failure: not retried)",
    );
    expect(result.stderr).not.toContain("IssueAgent: IssueAgent");
  });

  it("a routing comment GitHub refuses is one log line on stderr: which comment, which request, no stack", async () => {
    const fake = await startGithubFake();
    try {
      fake.failNext({ method: "GET", path: /\/issues\/\d+\/comments$/, status: 404, times: 10 });
      const ok = work.write("ok-agent.mjs", "");
      const config = work.write("exec-agent.yaml", `agents:\n  IssueAgent: { exec: ["${process.execPath}", "${ok}"] }\ngithub: { writeIntervalMs: 0 }\n`);
      const result = await route(["--event", "issues", "--payload", issueOpened, "--json", "--config", config], { GITHUB_TOKEN: "ghp_route_test_token", GITHUB_API_URL: fake.url });
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stderr.split("\n").filter((line) => line.includes("after-task step failed"));
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!) as Record<string, unknown>;
      const { repository, issue } = exampleOf("issues", "opened") as unknown as { repository: { full_name: string }; issue: { number: number } };
      expect(line).toMatchObject({ level: 40, step: `the routing comment on ${repository.full_name}#${issue.number}` });
      expect(line.error).toMatch(/^GET \/repos\/.+\/issues\/\d+\/comments: HTTP 404 /);
      for (const absent of ["stack", "ghp_route_test_token", "headers"]) expect(lines[0]).not.toContain(absent);
    } finally {
      await fake.close();
    }
  });
});
