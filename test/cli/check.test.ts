import { generateKeyPairSync } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findAgentProblems } from "../../src/config/find-agent-problems.js";
import { parseConfig } from "../../src/config/load-config.js";
import { exampleOf } from "../support/examples.js";
import { createWorkdir, runAll, runCli } from "../support/run-cli.js";

/** A GitHub App key the config accepts (it refuses one that does not parse). */
const APP_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }) as string;

const work = createWorkdir();
afterAll(() => work.remove());

const run = (args: string[], env?: Record<string, string>) => runCli(args, { cwd: work.dir, env });

// The default routing table (docs/routing.md), in its order.
const DEFAULT_IDS = [
  "issue-agent-execute",
  "comment-command",
  "workflow-failure",
  "issue-opened",
  "issue-assigned",
  "pr-opened",
  "pr-ready",
  "pr-review-requested",
  "issue-closed",
  "pr-merged",
  "push-deploy",
  "pr-synchronize",
  "workflow-recovered",
  "discussion-command",
];

interface CheckJson {
  ok: boolean;
  source: string | null;
  rules: { id: string; agent: string; priority: string; action: string; continue: boolean; origin: string; when: Record<string, unknown> }[];
  agents: { name: string; executor: string; rules: number }[];
  deployer: boolean;
  notes: string[];
  warnings: string[];
}

const NO_DEPLOYER =
  "note: no deployer is configured: DeploymentAgent creates GitHub deployments and leaves them queued for an external deployer (set deploy.workflow, or give DeploymentAgent an exec or http executor)";

describe.concurrent("switchyard check", () => {
  it("prints the 14-rule table and exits 0", async () => {
    const result = await run(["check"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("config OK (no config file: defaults and environment)");
    expect(lines[1]).toBe("GitHub: dry-run (no credentials): writes are recorded, not sent");
    expect(lines[2]).toMatch(/^store: sqlite:\.switchyard\/switchyard\.db \(\/.*\/\.switchyard\/switchyard\.db\) \(not opened by check/);
    expect(lines[4]).toMatch(/^id\s+when\s+agent\s+priority\s+action\s+origin$/);
    const rows = lines.slice(5, lines.indexOf("", 5));
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(DEFAULT_IDS);
    expect(rows[13]).toMatch(/^discussion-command\s+discussion_comment\.created, commentCommand=true\s+CoordinatorAgent\s+critical\s+Answer command in discussion\s+default$/);
    expect(rows[0]).toMatch(/^issue-agent-execute\s+issues\.labeled, labelAdded=agent-execute\s+CoordinatorAgent\s+critical\s+Execute autonomous task\s+default$/);
    expect(rows[10]).toMatch(/^push-deploy\s+push, deployBranch=true, tag=false, deleted=false\s+DeploymentAgent\s+medium\s+Deploy to production\s+default$/);
    // Then the agents with their executors, and what no deployer means.
    const agents = lines.slice(6 + rows.length);
    expect(agents[0]).toMatch(/^agent\s+executor\s+rules$/);
    expect(agents.slice(1, 6).map((row) => row.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      "IssueAgent builtin 3",
      "ReviewAgent builtin 4",
      "DeploymentAgent builtin 2",
      "CoordinatorAgent builtin 3",
      "Guardian builtin 2",
    ]);
    expect(agents.slice(6)).toEqual(["", NO_DEPLOYER]);
  });

  it("--json prints one line with the 14 rules in the default table's order", async () => {
    const result = await run(["check", "--json"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(result.stdout.slice(0, -1)).not.toContain("\n");
    const json = JSON.parse(result.stdout) as CheckJson;
    expect(JSON.stringify(json) + "\n").toBe(result.stdout);
    expect(json.ok).toBe(true);
    expect(json.source).toBeNull();
    expect(json.rules.map((r) => r.id)).toEqual(DEFAULT_IDS);
    expect(json).toMatchObject({ deployer: false, notes: [NO_DEPLOYER.slice("note: ".length)], warnings: [] });
    expect(json.agents).toContainEqual({ name: "DeploymentAgent", executor: "builtin", rules: 2 });
    expect(json.rules[2]).toEqual({
      id: "workflow-failure",
      when: { event: "workflow_run", action: "completed", conclusion: ["failure", "timed_out", "startup_failure"], defaultBranch: true },
      agent: "Guardian",
      priority: "critical",
      action: "Escalate workflow failure",
      continue: false,
      origin: "default",
    });
  });

  it("shows a config file's rules: replaced in place, added at the end, disabled gone", async () => {
    const dir = createWorkdir();
    try {
      dir.write(
        "switchyard.config.yaml",
        [
          "agents:",
          "  TriageBot: { exec: [./triage.sh] }",
          "  Notifier: { builtin: log }",
          "routing:",
          "  disable: [pr-synchronize]",
          "  rules:",
          "    - { id: issue-opened, when: { event: issues, action: opened }, agent: TriageBot, priority: high, action: Triage }",
          "    - { id: notify, when: { event: push }, agent: Notifier, priority: low, action: Tell chat, continue: true }",
        ].join("\n"),
      );
      const table = await runCli(["check"], { cwd: dir.dir });
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^config OK \(.*switchyard\.config\.yaml\)$/m);
      expect(table.stdout).toMatch(/^notify \(continue\)\s+push\s+Notifier\s+low\s+Tell chat\s+config$/m);

      const json = JSON.parse((await runCli(["check", "--json"], { cwd: dir.dir })).stdout) as CheckJson;
      expect(json.source).toMatch(/switchyard\.config\.yaml$/);
      expect(json.rules.map((r) => r.id)).toEqual([...DEFAULT_IDS.filter((id) => id !== "pr-synchronize"), "notify"]);
      expect(json.rules[3]).toMatchObject({ id: "issue-opened", agent: "TriageBot", origin: "replaced" });
      expect(json.rules.at(-1)).toMatchObject({ id: "notify", continue: true, origin: "config" });
    } finally {
      dir.remove();
    }
  });

  it("--config bad.yaml exits 2 naming the key", async () => {
    work.write("bad.yaml", "server:\n  prot: 3000\n");
    const result = await run(["check", "--config", "bad.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^switchyard: bad\.yaml: unknown key "server\.prot" \(did you mean port\?\): remove it or check its spelling/);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("--config with a bad rule regex exits 2 naming the rule's key", async () => {
    work.write("bad-regex.yaml", "routing:\n  rules:\n    - { id: x, when: { event: push, branch: '/[/' }, agent: A, priority: low, action: y }\n");
    const result = await run(["check", "--config", "bad-regex.yaml", "--json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^switchyard: bad-regex\.yaml: routing\.rules\[0\]\.when\.branch: \/\[\/ is not a valid regular expression/);
    // --json still prints its one line, the verdict with the same message.
    expect(result.stdout).toBe(JSON.stringify({ ok: false, error: result.stderr.slice("switchyard: ".length).trimEnd() }) + "\n");
  });

  it("--json prints ok:false for what serve would refuse, and for a bad environment value", async () => {
    const samePort = await run(["check", "--json"], { PORT: "3301", ADMIN_PORT: "3301" });
    expect(samePort.code).toBe(2);
    expect(JSON.parse(samePort.stdout)).toEqual({ ok: false, error: "server.port (PORT) and admin.port (ADMIN_PORT) are both 3301: the webhook and admin listeners need a port each" });
    const badEnv = await run(["check", "--json"], { LOG_LEVEL: "loud" });
    expect(badEnv.code).toBe(2);
    expect(JSON.parse(badEnv.stdout).ok).toBe(false);
    expect(JSON.parse(badEnv.stdout).error).toContain("LOG_LEVEL");
  });

  it("a bad environment value exits 2 naming the variable", async () => {
    const result = await run(["check"], { SWITCHYARD_DRY_RUN: "perhaps" });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe('switchyard: SWITCHYARD_DRY_RUN="perhaps" is not a boolean: use 1/true/yes or 0/false/no\n');
  });

  it("an out-of-range environment value is named as the environment's, not the config file's", async () => {
    const dir = createWorkdir();
    try {
      dir.write("switchyard.config.yaml", "comments: off\n");
      const result = await runCli(["check"], { cwd: dir.dir, env: { PORT: "70000" } });
      expect(result).toMatchObject({ code: 2, stdout: "" });
      expect(result.stderr).toBe('switchyard: environment: PORT="70000" (server.port): out of range: write 65535 or less\n');
    } finally {
      dir.remove();
    }
  });

  it("refuses what serve would refuse: one port for both listeners", async () => {
    const samePort = await run(["check"], { PORT: "3301", ADMIN_PORT: "3301" });
    expect(samePort).toMatchObject({ code: 2, stdout: "" });
    expect(samePort.stderr).toBe("switchyard: server.port (PORT) and admin.port (ADMIN_PORT) are both 3301: the webhook and admin listeners need a port each\n");
  });

  it("refuses what serve would refuse: a PostgreSQL store without WEBHOOK_SECRET, unless the role verifies no webhook", async () => {
    const url = "postgres://sw:pw@127.0.0.1:5432/swdb";
    const bare = await run(["check"], { DATABASE_URL: url });
    expect(bare).toMatchObject({ code: 2, stdout: "" });
    expect(bare.stderr).toBe(
      "switchyard: no WEBHOOK_SECRET configured, and the store is PostgreSQL: set WEBHOOK_SECRET (the same on every instance); a secret generated here would differ from the other instances' and GitHub's deliveries would fail on them\n",
    );
    expect((await run(["check"], { DATABASE_URL: url, WEBHOOK_SECRET: "s3cret" })).code).toBe(0);
    expect((await run(["check"], { DATABASE_URL: url, SWITCHYARD_ROLE: "worker" })).code).toBe(0);
  });

  it("refuses, as serve does, an admin listener off loopback without a token or with one under 16 characters", async () => {
    const dir = createWorkdir();
    try {
      dir.write("switchyard.config.yaml", "admin:\n  host: 0.0.0.0\n");
      const inDir = (args: string[], env?: Record<string, string>) => runCli(args, { cwd: dir.dir, env: { ADMIN_PORT: "0", PORT: "0", ...env } });
      const short = "switchyard: admin.host is 0.0.0.0, which is not loopback, and the admin token (ADMIN_TOKEN, or admin.token in the config) has 1 character: use at least 16 (e.g. openssl rand -hex 32)\n";
      expect(await inDir(["check"], { ADMIN_TOKEN: "x" })).toMatchObject({ code: 2, stdout: "", stderr: short });
      expect(await inDir(["serve"], { ADMIN_TOKEN: "x" })).toMatchObject({ code: 2, stdout: "", stderr: short });
      expect((await inDir(["check"], { ADMIN_TOKEN: "x".repeat(15) })).stderr).toContain("has 15 characters: use at least 16");
      expect((await inDir(["check"])).stderr).toContain("admin.host is 0.0.0.0, which is not loopback: set ADMIN_TOKEN");
      expect((await inDir(["check"], { ADMIN_TOKEN: "0123456789abcdef" })).code).toBe(0);
      // On loopback the token is not the only protection: any length is taken.
      expect((await run(["check"], { ADMIN_TOKEN: "x" })).code).toBe(0);
      // Loopback is an address, not a name that starts like one.
      dir.write("switchyard.config.yaml", "admin:\n  host: 127.0.0.1.example.com\n");
      expect((await inDir(["check"])).stderr).toContain("admin.host is 127.0.0.1.example.com, which is not loopback: set ADMIN_TOKEN");
      for (const host of ["localhost", "127.0.0.2", "::1"]) {
        dir.write("switchyard.config.yaml", `admin:\n  host: "${host}"\n`);
        expect((await inDir(["check"])).code, host).toBe(0);
      }
    } finally {
      dir.remove();
    }
  });

  it("refuses a PostgreSQL URL that does not parse, and sqlite://NAME, as serve does", async () => {
    const unencoded = await run(["check"], { DATABASE_URL: "postgres://sw:hunter2@x:y/z@127.0.0.1:5432/swdb", WEBHOOK_SECRET: "s3cret" });
    expect(unencoded).toMatchObject({ code: 2, stdout: "" });
    expect(unencoded.stderr).toMatch(/^switchyard: DATABASE_URL is not a valid URL: percent-encode/);
    expect(unencoded.stderr).not.toContain("hunter2");
    const slip = await run(["check"], { DATABASE_URL: "sqlite://data.db" });
    expect(slip).toMatchObject({ code: 2, stdout: "" });
    expect(slip.stderr).toContain("write sqlite:data.db for a file in the working directory");
  });

  it("notes (exit 0) bodies kept longer than their rows, which go first", async () => {
    const dir = createWorkdir();
    dir.write("switchyard.config.yaml", "store:\n  retention: { bodies: 100d, rows: 90d }\n");
    try {
      const result = await runCli(["check"], { cwd: dir.dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("note: store.retention.bodies (100d) is longer than store.retention.rows (90d): a delivery's row goes with its body, so bodies are kept 90d\n");
      const json = JSON.parse((await runCli(["check", "--json"], { cwd: dir.dir })).stdout) as { notes: string[] };
      expect(json.notes).toContain("store.retention.bodies (100d) is longer than store.retention.rows (90d): a delivery's row goes with its body, so bodies are kept 90d");
    } finally {
      dir.remove();
    }
  });

  it("notes (exit 0) that an ingest-only instance on SQLite leaves its tasks waiting, as serve does", async () => {
    const result = await run(["check"], { SWITCHYARD_ROLE: "ingest" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "note: role ingest on SQLite: no worker runs here and no other process may open this database, so tasks stay ready until a serve with role all or worker runs on it\n",
    );
    expect((await run(["check"], { SWITCHYARD_ROLE: "ingest", DATABASE_URL: "postgres://sw:pw@127.0.0.1:5432/swdb", WEBHOOK_SECRET: "s3cret" })).stdout).not.toContain("role ingest on SQLite");
  });

  it("says which variable holds a malformed database URL", async () => {
    const result = await run(["check"], { DATABASE_URL: "/tmp/x.db" });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^switchyard: environment: DATABASE_URL="\/tmp\/x\.db" \(store\.url\): must be sqlite:PATH/);
  });

  it("an unknown YAML tag: one switchyard line, no (node:…) YAMLWarning before it", async () => {
    work.write("tag.yaml", 'x: !!js/function "f"\n');
    const result = await run(["check", "-c", "tag.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("switchyard: tag.yaml: Unresolved tag: tag:yaml.org,2002:js/function at line 1, column 4: switchyard's config is plain YAML: remove the tag\n");
  });

  it("names store.url, not DATABASE_URL, for a sqlite:// slip written in the file", async () => {
    work.write("sqlite-slip.yaml", 'store: { url: "sqlite://data.db" }\n');
    const result = await run(["check", "-c", "sqlite-slip.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "switchyard: sqlite-slip.yaml: store.url: sqlite://data.db names the file /data.db, at the filesystem's root (everything after sqlite: is the path): write sqlite:data.db for a file in the working directory, or sqlite:/data.db if the root is meant\n",
    );
    const fromVariable = await run(["check"], { DATABASE_URL: "sqlite://data.db" });
    expect(fromVariable.stderr).toMatch(/^switchyard: environment: DATABASE_URL="sqlite:\/\/data\.db" \(store\.url\): sqlite:\/\/data\.db names the file \/data\.db/);
  });
});

const FIX_KEY = "remove it or check its spelling (docs/configuration.md lists every key)";

describe("switchyard check: strict names", () => {
  const rule = (agent: string, when: string) => `routing:\n  rules:\n    - { id: mine, when: ${when}, agent: ${agent}, priority: critical, action: Do it }\n`;
  const TYPOS = [
    ["agent: IsueAgent", rule("IsueAgent", "{ event: issues, action: opened }"), 'routing.rules[0].agent: "IsueAgent" is neither a built-in agent nor configured under agents: did you mean IssueAgent?'],
    ["event: issue", rule("IssueAgent", "{ event: issue, action: opened }"), 'routing.rules[0].when.event: "issue" is not a GitHub webhook event: did you mean issues?'],
    ["action: opend", rule("IssueAgent", "{ event: issues, action: opend }"), 'routing.rules[0].when.action: "opend" is not an action of issues events: did you mean opened?'],
    [
      "event: pull_request_target",
      rule("ReviewAgent", "{ event: pull_request_target, action: opened }"),
      'routing.rules[0].when.event: "pull_request_target" is a GitHub Actions trigger, not a webhook event: route reads its payload as a pull_request event\'s, so write event: pull_request',
    ],
    [
      "agent: MyAgnet beside agents.MyAgent",
      `agents:\n  MyAgent: { exec: [./a.js] }\n${rule("MyAgnet", "{ event: issues, action: opened }")}`,
      'routing.rules[0].agent: "MyAgnet" is neither a built-in agent nor configured under agents: did you mean MyAgent?',
    ],
    [
      "an agent's settings not indented under it",
      "agents:\n  MyAgent:\n  exec: [./a.js]\n  timeout: 10s\n",
      'agents.MyAgent: "MyAgent" is empty (null), and exec:, timeout: beside it look like its settings: indent them under MyAgent: (deeper than it)',
    ],
    ["agents: {IsueAgent: builtin}", "agents:\n  IsueAgent: builtin\n", 'agents.IsueAgent: "IsueAgent" is not a known agent and no rule uses it: did you mean IssueAgent?'],
    ["retry: {initial: 200}", "retry: {initial: 200}\n", `unknown key "retry.initial" (did you mean initialDelayMs?): ${FIX_KEY}`],
    [
      "a rule's event under event:",
      "routing:\n  rules: [{ id: mine, event: issues, agent: IssueAgent, priority: high, action: Do it }]\n",
      `routing.rules[0].when: missing: write the rule's when, the event it routes and its conditions, like {event: issues, action: opened}; unknown key "routing.rules[0].event" (did you mean when?): ${FIX_KEY}`,
    ],
  ] as const;

  it("refuses each typo with exit 2, naming the key, the value and the nearest valid name", async () => {
    const results = await runAll(TYPOS, ([name, yaml]) => {
      work.write(`typo-${name.replace(/\W+/g, "-")}.yaml`, yaml);
      return run(["check", "--config", `typo-${name.replace(/\W+/g, "-")}.yaml`]);
    });
    results.forEach((result, i) => {
      const [name, , message] = TYPOS[i]!;
      expect(result.code, name).toBe(2);
      expect(result.stdout, name).toBe("");
      expect(result.stderr, name).toBe(`switchyard: typo-${name.replace(/\W+/g, "-")}.yaml: ${message}\n`);
    });
  });

  it("names the config file as it was given, directory and all", async () => {
    mkdirSync(path.join(work.dir, "ci"), { recursive: true });
    work.write("ci/a.yaml", "agents:\n  IsueAgent: builtin\n");
    const result = await run(["check", "--config", "ci/a.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^switchyard: ci\/a\.yaml: agents\.IsueAgent: /);
  });

  it("accepts custom rules with exec agents, lists each agent's executor, and warns (exit 0) about a program it cannot run", async () => {
    const dir = createWorkdir();
    try {
      const triage = dir.write("triage.sh", "#!/bin/sh\nexit 0\n");
      chmodSync(triage, 0o755);
      dir.write("not-executable.sh", "#!/bin/sh\nexit 0\n");
      dir.write(
        "switchyard.config.yaml",
        [
          "deploy: { workflow: deploy.yml }",
          "agents:",
          "  TriageBot: { exec: [./triage.sh, --fast], timeout: 5m }",
          "  Lint: { exec: [./not-executable.sh] }",
          "  Missing: { exec: [./agents/missing.sh] }",
          "  OnPath: { exec: [node, agent.js] }",
          "  Nowhere: { exec: [no-such-program-anywhere] }",
          "  Notifier: { http: { url: 'https://hooks.example/run', secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw } }",
          "  ExecutionAgent: { workflow: { id: agent-runner.yml } }",
          "routing:",
          "  rules:",
          "    - { id: triage, when: { event: issues, action: [opened, reopened] }, agent: TriageBot, priority: high, action: Triage }",
          "    - { id: lint, when: { event: pull_request, action: /^(opened|synchronize)$/ }, agent: Lint, priority: low, action: Lint, continue: true }",
          "    - { id: missing, when: { event: push }, agent: Missing, priority: low, action: Nothing }",
          "    - { id: on-path, when: { event: release, action: published }, agent: OnPath, priority: low, action: Publish }",
          "    - { id: nowhere, when: { event: workflow_run, action: completed }, agent: Nowhere, priority: low, action: Nothing }",
          "    - { id: notify, when: { event: issue_comment }, agent: Notifier, priority: low, action: Tell chat }",
        ].join("\n"),
      );
      const result = await runCli(["check"], { cwd: dir.dir, env: { PATH: path.dirname(process.execPath) } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^config OK \(.*switchyard\.config\.yaml\)$/m);
      expect(result.stdout).toMatch(/^TriageBot\s+exec \.\/triage\.sh --fast \(timeout 5m\)\s+1$/m);
      expect(result.stdout).toMatch(/^Notifier\s+http https:\/\/hooks\.example\/run \(timeout 30s\)\s+1$/m);
      expect(result.stdout).toMatch(/^ExecutionAgent\s+workflow agent-runner\.yml on main\s+- \(execute-plan, handed over by CoordinatorAgent\)$/m);
      expect(result.stdout).toMatch(/^DeploymentAgent\s+builtin, dispatches workflow deploy\.yml\s+2$/m);
      expect(result.stdout).not.toContain("no deployer");
      expect(result.stderr.trimEnd().split("\n")).toEqual([
        `warning: agents.Lint.exec[0]: "./not-executable.sh" is not executable: chmod +x ${path.join(dir.dir, "not-executable.sh")}`,
        `warning: agents.Missing.exec[0]: "./agents/missing.sh" is not found (resolved to ${path.join(dir.dir, "agents/missing.sh")})`,
        'warning: agents.Nowhere.exec[0]: "no-such-program-anywhere" is not found on PATH: install it, or write its path',
      ]);

      const json = JSON.parse((await runCli(["check", "--json"], { cwd: dir.dir, env: { PATH: path.dirname(process.execPath) } })).stdout) as CheckJson;
      expect(json).toMatchObject({ ok: true, deployer: true, notes: [] });
      expect(json.warnings).toHaveLength(3);
      expect(json.agents).toContainEqual({ name: "TriageBot", executor: "exec ./triage.sh --fast (timeout 5m)", rules: 1 });
    } finally {
      dir.remove();
    }
  });
});

describe.concurrent("agent settings check refuses or warns about", () => {
  const checkFile = async (name: string, yaml: string, env: Record<string, string> = {}) => {
    work.write(name, yaml);
    return run(["check", "--config", name], env);
  };

  it.each([
    ["a URL that does not parse", "agents:\n  Hook: { http: { url: 'not a url', secret: s3cret-agent-key-0000 } }\n", /^switchyard: bad-[\w-]+\.yaml: agents\.Hook\.http\.url: /],
    ["a URL with an unclosed IPv6 bracket", "agents:\n  Hook: { http: { url: 'http://[::1', secret: s3cret-agent-key-0000 } }\n", /^switchyard: bad-[\w-]+\.yaml: agents\.Hook\.http\.url: /],
    ["a whsec_ secret that is not base64", "agents:\n  Hook: { http: { url: 'https://a.example/', secret: 'whsec_!!!notbase64' } }\n", /agents\.Hook\.http\.secret: a whsec_ secret is base64 after the prefix/],
    ["a variable never passed to agents", "agents:\n  Bot: { exec: [node, bot.js], env: [OPENAI_API_KEY, WEBHOOK_SECRET] }\n", /agents\.Bot\.env\[1\]: WEBHOOK_SECRET is never passed to an agent .*: remove it/],
  ])("%s: exit 2 naming the key", async (name, yaml, message) => {
    const result = await checkFile(`bad-${name.replace(/\W+/g, "-")}.yaml`, yaml);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("a config rule that can never run: outranked on every event it matches, by a rule that does not continue", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: my-issue, when: { event: issues, action: opened }, agent: Mine, priority: high, action: Mine }",
      "    - { id: my-push, when: { event: push, branch: main }, agent: Mine, priority: low, action: Mine }",
      "    - { id: my-critical, when: { event: issues, action: [opened, reopened] }, agent: Mine, priority: critical, action: Mine }",
      "    - { id: my-reopened, when: { event: issues, action: reopened, label: bug }, agent: Mine, priority: low, action: Mine }",
    ].join("\n");
    const result = await checkFile("shadowed.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      // my-issue comes before my-critical in the file: critical too is enough for it to win.
      "warning: routing rule my-issue never runs: every event it matches, rule my-critical matches too and wins (priority critical over high) without continue: true. Give my-issue priority critical, give my-issue the id my-critical to replace that rule, add my-critical to routing.disable, or set continue: true on my-critical (then both run)",
      // my-reopened comes after it: no priority is higher than critical, so the advice is to list it first.
      "warning: routing rule my-reopened never runs: every event it matches, rule my-critical matches too and wins (priority critical over low) without continue: true. List my-reopened before my-critical in routing.rules, with priority critical, give my-reopened the id my-critical to replace that rule, add my-critical to routing.disable, or set continue: true on my-critical (then both run)",
    ]);
    // Outranked by a default rule of the same priority, earlier in the table; a narrower winner (push-deploy needs a deploy branch) is no shadow.
    const byDefault = await checkFile("shadowed-default.yaml", yaml.split("\n").slice(0, 6).join("\n"));
    expect(byDefault.stderr).toContain(
      "warning: routing rule my-issue never runs: every event it matches, rule issue-opened matches too and wins (priority high too, and earlier in the table) without continue: true. Give my-issue priority critical,",
    );
    expect(byDefault.stderr).not.toContain("my-push");
  });

  it("a command rule of the config that can never run: advice that can work, and continue: true on the rule that wins", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "routing:",
      "  rules:",
      // The built-in comment-command rule (critical, earlier in the table) answers every command that no rule names.
      "    - { id: my-commands, when: { event: issue_comment, action: created, commentCommand: true }, agent: Mine, priority: critical, action: Mine }",
      // A wider rule earlier in the file takes these words: by a list, and by a pattern.
      "    - { id: my-list, when: { event: issue_comment, commentCommand: [mycmd, other] }, agent: Mine, priority: critical, action: Mine }",
      "    - { id: my-word, when: { event: issue_comment, action: created, commentCommand: mycmd }, agent: Mine, priority: critical, action: Mine }",
      "    - { id: my-pattern, when: { event: issue_comment, commentCommand: /^ship/ }, agent: Mine, priority: high, action: Mine }",
      "    - { id: ship-it, when: { event: issue_comment, commentCommand: [ship-it, shipit] }, agent: Mine, priority: low, action: Mine }",
    ].join("\n");
    const result = await checkFile("shadowed-commands.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule my-commands never runs: every event it matches, rule comment-command matches too and wins (priority critical too, and earlier in the table) without continue: true. " +
        "Give my-commands the id comment-command to replace that rule, add comment-command to routing.disable, or set continue: true on comment-command, copied into routing.rules with its id, when, agent, priority and action (then both run)",
      "warning: routing rule my-word never runs: every event it matches, rule my-list matches too and wins (priority critical too, and earlier in the table) without continue: true. " +
        "List my-word before my-list in routing.rules, give my-word the id my-list to replace that rule, add my-list to routing.disable, or set continue: true on my-list (then both run)",
      "warning: routing rule ship-it never runs: every event it matches, rule my-pattern matches too and wins (priority high over low) without continue: true. " +
        "Give ship-it priority critical, give ship-it the id my-pattern to replace that rule, add my-pattern to routing.disable, or set continue: true on my-pattern (then both run)",
      // Should it be made to run, commentCommand: true would hand it the write commands too.
      "warning: routing rule my-commands routes /agent execute, /agent deploy, /agent rollback to Mine checking only the commenter's author association (commands.associations): the write access commands.writeRequired asks for is checked by CoordinatorAgent alone. Leave execute, deploy, rollback to CoordinatorAgent, or have Mine check write access itself",
    ]);
  });

  it("command rules of one's own: no never-runs warning, and the table says whom each routes commands from", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: my-command, when: { event: issue_comment, action: created, commentCommand: mycmd }, agent: Mine, priority: critical, action: Mine }",
      // A rule that routes commands from anyone does not hide one that routes them only from commands.associations.
      "    - { id: my-status, when: { event: issue_comment, action: created, commentCommand: status }, agent: Mine, priority: critical, action: Mine }",
      "    - { id: status-answered, when: { event: issue_comment, action: created, commentCommand: status }, agent: CoordinatorAgent, priority: low, action: Answer }",
    ].join("\n");
    const result = await checkFile("own-command.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    // The table says who a command rule routes: commands.associations, unless CoordinatorAgent checks that itself.
    expect(result.stdout).toMatch(/^my-command\s+issue_comment\.created, commentCommand=mycmd, association=OWNER\|MEMBER\|COLLABORATOR\s+Mine\s/m);
    expect(result.stdout).toMatch(/^status-answered\s+issue_comment\.created, commentCommand=status\s+CoordinatorAgent\s/m);
    expect(result.stdout).toMatch(/^comment-command\s+issue_comment\.created, commentCommand=true\s+CoordinatorAgent\s/m);
  });

  it("a command word written with capitals, which no comment can carry (commands are read lower-cased)", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: my-command, when: { event: issue_comment, action: created, commentCommand: [MyCmd, other] }, agent: Mine, priority: critical, action: Mine }",
    ].join("\n");
    const result = await checkFile("capital-command.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule my-command never runs for MyCmd: command words are read in lower case (`/agent MyCmd` is mycmd). Write commentCommand: mycmd",
    ]);
  });

  it("a command word the parser never yields: written with its /agent, with a space, or with a slash (a Probot app's command ported as is)", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: probot-fix, when: { event: issue_comment, action: created, commentCommand: /agent fix }, agent: Mine, priority: low, action: Fix }",
      "    - { id: two-words, when: { event: issue_comment, action: created, commentCommand: [fix it, /fix] }, agent: Mine, priority: low, action: Fix }",
      // A /pattern/ and a plain word are what the parser reads: no warning.
      "    - { id: fine, when: { event: issue_comment, action: created, commentCommand: [/^fix-.+$/, triage] }, agent: Mine, priority: low, action: Fix }",
    ].join("\n");
    const result = await checkFile("agent-in-command.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      'warning: routing rule probot-fix never runs for "/agent fix": commentCommand names the word after /agent, not the whole command (the comment `/agent fix` is the command fix). Write commentCommand: fix',
      'warning: routing rule two-words never runs for "fix it": a command is one word, and the words after it are its arguments (`/agent fix it` is the command fix; the agent gets the arguments in event.commands). Write commentCommand: fix',
      "warning: routing rule two-words runs for /fix only on the comment `/agent /fix`: commentCommand names the word after /agent, without a slash (a /pattern/ needs its closing /). Write commentCommand: fix",
    ]);
  });

  it("a rule that takes a write-access command from CoordinatorAgent: only the association is checked for it", async () => {
    const yaml = [
      "agents:",
      "  Deployer: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: my-deploy, when: { event: issue_comment, action: created, commentCommand: /^(deploy|rollback|status)$/ }, agent: Deployer, priority: critical, action: Deploy }",
      // Routed to CoordinatorAgent: it checks write access itself.
      "    - { id: deploy-answered, when: { event: issue_comment, action: created, commentCommand: execute }, agent: CoordinatorAgent, priority: low, action: Answer }",
    ].join("\n");
    const result = await checkFile("unchecked-deploy.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule my-deploy routes /agent deploy, /agent rollback to Deployer checking only the commenter's author association (commands.associations): " +
        "the write access commands.writeRequired asks for is checked by CoordinatorAgent alone. Leave deploy, rollback to CoordinatorAgent, or have Deployer check write access itself",
    ]);
  });

  it("a config rule whose commentCommand its event can never carry (only comment events hold /agent commands)", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: deploy-on-issue, when: { event: issues, commentCommand: deploi }, agent: Mine, priority: low, action: Mine }",
      "    - { id: deploy-command, when: { event: issue_comment, commentCommand: deploy }, agent: Mine, priority: low, action: Mine }",
      "    - { id: any-comment, when: { event: /_comment$/, commentCommand: true }, agent: Mine, priority: low, action: Mine, continue: true }",
      "    - { id: no-command, when: { event: push, commentCommand: false }, agent: Mine, priority: low, action: Mine }",
    ].join("\n");
    const result = await checkFile("command-on-issue.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule deploy-on-issue never runs: its commentCommand needs an /agent command, which only issue_comment and discussion_comment events carry, and its event is issues. Write event: issue_comment (or discussion_comment) for a command, or drop commentCommand",
      "warning: routing rule deploy-command routes /agent deploy to Mine checking only the commenter's author association (commands.associations): the write access commands.writeRequired asks for is checked by CoordinatorAgent alone. Leave deploy to CoordinatorAgent, or have Mine check write access itself",
      // commentCommand: true takes the write commands too.
      "warning: routing rule any-comment routes /agent execute, /agent deploy, /agent rollback to Mine checking only the commenter's author association (commands.associations): the write access commands.writeRequired asks for is checked by CoordinatorAgent alone. Leave execute, deploy, rollback to CoordinatorAgent, or have Mine check write access itself",
    ]);
  });

  it("a config rule whose commentCommand waits on edited or deleted comments, which carry no commands", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "commands: { writeRequired: [] }",
      "routing:",
      "  rules:",
      "    - { id: retriage-on-edit, when: { event: issue_comment, action: [created, edited], commentCommand: triage }, agent: Mine, priority: high, action: Mine }",
      "    - { id: edited-fix, when: { event: issue_comment, action: edited, commentCommand: true }, agent: Mine, priority: high, action: Mine }",
    ].join("\n");
    const result = await checkFile("command-on-edit.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule retriage-on-edit runs only on created comments: an edited comment carries no /agent command (commands are read from new comments only, so an edit cannot run one). Drop edited from its action",
      "warning: routing rule edited-fix never runs: an edited comment carries no /agent command (commands are read from new comments only, so an edit cannot run one). Write action: created",
    ]);
    // route --explain says the same of such a comment.
    const payload = exampleOf("issue_comment", "edited");
    payload.comment.body = "/agent triage";
    work.write("edited.json", payload);
    const explained = await run(["route", "--event", "issue_comment", "--payload", "edited.json", "--dry-run", "--explain", "--config", "command-on-edit.yaml"]);
    expect(explained.stdout).toMatch(/^retriage-on-edit\s+Mine\s+high\s+no match: an edited comment carries no \/agent command: commands are read from new comments only \(created\)$/m);
  });

  it("a config rule with a condition its event never carries (a workflow run's conclusion on check_run)", async () => {
    const yaml = [
      "agents:",
      "  Mine: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: ci-failed, when: { event: check_run, action: completed, conclusion: failure }, agent: Mine, priority: high, action: Mine }",
      "    - { id: merged-push, when: { event: push, merged: true }, agent: Mine, priority: high, action: Mine }",
      "    - { id: open-pr-push, when: { event: push, draft: false }, agent: Mine, priority: low, action: Mine }",
      "    - { id: run-failed, when: { event: workflow_run, conclusion: failure, workflow: CI }, agent: Mine, priority: high, action: Mine }",
      // A Probot app's checks, ported as is: none of these events has a branch, nor labels.
      "    - { id: suite-on-master, when: { event: check_suite, action: completed, branch: master }, agent: Mine, priority: high, action: Mine }",
      "    - { id: check-on-default, when: { event: check_run, defaultBranch: true }, agent: Mine, priority: high, action: Mine }",
      "    - { id: push-bug, when: { event: push, label: bug }, agent: Mine, priority: low, action: Mine }",
      "    - { id: opened-bug, when: { event: issues, action: opened, labelAdded: bug }, agent: Mine, priority: critical, action: Mine }",
      "    - { id: owner-only, when: { event: issues, repository: octo }, agent: Mine, priority: low, action: Mine }",
      // Conditions that can hold: no warning.
      "    - { id: push-main, when: { event: push, branch: main, defaultBranch: false }, agent: Mine, priority: low, action: Mine }",
      "    - { id: issue-not-default, when: { event: issues, defaultBranch: false, labelAdded: bug, action: [opened, labeled] }, agent: Mine, priority: low, action: Mine }",
      "    - { id: octo-any, when: { event: issues, repository: [/^octo\\//i, octo/hello] }, agent: Mine, priority: low, action: Mine }",
      // Events whose payload has a branch besides push, pull requests and workflow runs (a top-level ref, a deployment's run).
      "    - { id: dispatch-main, when: { event: workflow_dispatch, branch: main }, agent: Mine, priority: low, action: Mine }",
      "    - { id: alert-default, when: { event: code_scanning_alert, defaultBranch: true }, agent: Mine, priority: low, action: Mine }",
      "    - { id: review-sample, when: { event: deployment_review, branch: sample }, agent: Mine, priority: low, action: Mine }",
    ].join("\n");
    const result = await checkFile("uncarried.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule ci-failed never runs: conclusion is read from the workflow run, which only workflow_run events carry, and its event is check_run. Write event: workflow_run, or drop conclusion",
      "warning: routing rule merged-push never runs: merged is read from the pull request, which only pull_request, pull_request_target, pull_request_review, pull_request_review_comment, pull_request_review_thread events carry, and its event is push. Write event: pull_request, or drop merged",
      "warning: routing rule suite-on-master never runs: branch is read from a pushed ref, a pull request's base or a workflow run's head, and a check_suite event has none. Write event: workflow_run, or drop branch",
      "warning: routing rule check-on-default never runs: defaultBranch is read from a pushed ref, a pull request's base or a workflow run's head, and a check_run event has none. Write event: workflow_run, or drop defaultBranch",
      "warning: routing rule push-bug never runs: label is read from the issue, pull request or discussion, which only issues, issue_comment, pull_request, pull_request_target, pull_request_review, pull_request_review_comment, pull_request_review_thread, discussion, discussion_comment events carry, and its event is push. Write event: issues, or drop label",
      "warning: routing rule opened-bug never runs: labelAdded is the label a labeled action just added, and its action is opened. Write action: labeled, or label: (a label the issue or pull request carries) instead of labelAdded",
      "warning: routing rule owner-only never runs: repository is matched against the full name (owner/name), and \"octo\" has no owner. Write octo/<name>, or a /pattern/ such as /^octo\\//i for every repository of octo",
    ]);
    const payload = exampleOf("check_run", "completed");
    work.write("check-run.json", payload);
    const explained = await run(["route", "--event", "check_run", "--payload", "check-run.json", "--dry-run", "--explain", "--config", "uncarried.yaml"]);
    expect(explained.stdout).toMatch(/^ci-failed\s+Mine\s+high\s+no match: conclusion is read from a workflow_run event, and this is check_run \(wanted failure\)$/m);
    expect(explained.stdout).toMatch(/^check-on-default\s+Mine\s+high\s+no match: .*default branch/m);
    // A check suite of master (head_branch master): still no branch is read.
    const suite = exampleOf("check_suite", "completed");
    work.write("check-suite.json", { ...suite, check_suite: { ...suite.check_suite, head_branch: "master" } });
    const suiteExplained = await run(["route", "--event", "check_suite", "--payload", "check-suite.json", "--dry-run", "--explain", "--config", "uncarried.yaml"]);
    expect(suiteExplained.stdout).toMatch(/^suite-on-master\s+Mine\s+high\s+no match: branch is missing \(wanted master\)$/m);
  });

  it("a config rule that routes discussions to a built-in agent that works on issues and pull requests", async () => {
    const yaml = [
      "agents:",
      "  Triage: { builtin: IssueAgent }",
      "routing:",
      "  rules:",
      "    - { id: new-discussion, when: { event: discussion, action: created }, agent: IssueAgent, priority: high, action: Triage }",
      "    - { id: aliased, when: { event: discussion_comment, action: created }, agent: Triage, priority: low, action: Triage }",
      "    - { id: logged, when: { event: discussion, action: edited }, agent: log, priority: low, action: Log it }",
    ].join("\n");
    const result = await checkFile("discussion-agents.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule new-discussion's tasks fail: IssueAgent (built in) works on issues and pull requests, and a discussion is neither (GitHub answers its issue calls 404); discussions are answered by /agent commands (CoordinatorAgent) and /convert-to-issue, or route them to an exec or http agent of yours",
      "warning: routing rule aliased's tasks fail: Triage (built in) works on issues and pull requests, and a discussion is neither (GitHub answers its issue calls 404); discussions are answered by /agent commands (CoordinatorAgent) and /convert-to-issue, or route them to an exec or http agent of yours",
    ]);
  });

  it("a config rule that waits on a bot's label or comment, which switchyard ignores", async () => {
    const yaml = [
      "agents:",
      "  Deps: { builtin: log }",
      "routing:",
      "  rules:",
      "    - { id: dependabot-labeled, when: { event: pull_request, action: labeled, senderType: Bot, labelAdded: dependencies }, agent: Deps, priority: high, action: x }",
      "    - { id: bot-comment, when: { event: issue_comment, action: created, sender: 'renovate[bot]' }, agent: Deps, priority: high, action: y }",
      "    - { id: dependabot-opened, when: { event: pull_request, action: opened, senderType: Bot }, agent: Deps, priority: high, action: z }",
    ].join("\n");
    const result = await checkFile("bot-rules.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "warning: routing rule dependabot-labeled never runs: switchyard ignores labels by bots (no bot can drive it, nor can it drive itself), and the rule asks for a bot's. Other events from bots (a Dependabot pull request opened) route as usual",
      "warning: routing rule bot-comment never runs: switchyard ignores comments by bots (no bot can drive it, nor can it drive itself), and the rule asks for a bot's. Other events from bots (a Dependabot pull request opened) route as usual",
    ]);
  });

  it("a command rule when commands.associations is empty: nobody may run it", async () => {
    const yaml = ["agents:", "  Mine: { builtin: log }", "commands: { associations: [], writeRequired: [] }", "routing:", "  rules:", "    - { id: triage, when: { event: issue_comment, action: created, commentCommand: triage }, agent: Mine, priority: low, action: Mine }"].join("\n");
    const result = await checkFile("no-associations.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("warning: routing rule triage never runs: commands.associations is empty, so no commenter's author association may run its command; list who may (e.g. [OWNER, MEMBER, COLLABORATOR])\n");
  });

  it("a config rule that routing.disable lists too", async () => {
    const yaml = ["agents:", "  Mine: { builtin: log }", "routing:", "  disable: [mine]", "  rules:", "    - { id: mine, when: { event: star }, agent: Mine, priority: low, action: Mine }"].join("\n");
    const result = await checkFile("disabled-own.yaml", yaml);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("warning: routing rule mine (routing.rules[0]) never runs: routing.disable lists it too; take it out of one of them\n");
  });

  /** `check` in a fresh directory holding these executable scripts and this config. */
  async function checkScripts(scripts: Record<string, string>, config: string) {
    const dir = createWorkdir();
    try {
      for (const [name, text] of Object.entries(scripts)) chmodSync(dir.write(name, text), 0o755);
      dir.write("switchyard.config.yaml", config);
      return await runCli(["check"], { cwd: dir.dir });
    } finally {
      dir.remove();
    }
  }

  it("a script with Windows line endings: found, but its #! line is named", async () => {
    const result = await checkScripts({ "crlf.sh": "#!/bin/sh\r\nexit 0\r\n" }, "agents:\n  IssueAgent: { exec: [./crlf.sh] }\n");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`warning: agents.IssueAgent.exec[0]: "./crlf.sh" is found, but its #! line ends with a carriage return (Windows line endings): convert the file with dos2unix, or sed -i 's/\\r$//'\n`);
  });

  it("a Node script with no #! line: found, but it would run under /bin/sh; a shell script without one is fine", async () => {
    const result = await checkScripts(
      { "label.js": 'import fs from "node:fs";\nconsole.log("labelled");\n', "plain.sh": "echo plain\n" },
      "agents:\n  IssueAgent: { exec: [./label.js] }\n  ReviewAgent: { exec: [./plain.sh] }\n",
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'warning: agents.IssueAgent.exec[0]: "./label.js" is found, but it has no #! line, so it is run by /bin/sh, not node: make its first line #!/usr/bin/env node, or put node first in the agent\'s exec list\n',
    );
  });

  it("a script whose #! line runs env with a program on no PATH directory: found, but the program is named", async () => {
    const result = await checkScripts(
      { "env.sh": "#!/usr/bin/env nodejs-missing\n", "split.sh": "#!/usr/bin/env -S nodejs-missing --flag\n", "fine.sh": "#!/usr/bin/env -S sh -e\nexit 0\n" },
      "agents:\n  IssueAgent: { exec: [./env.sh] }\n  ReviewAgent: { exec: [./split.sh] }\n  Guardian: { exec: [./fine.sh] }\n",
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `warning: agents.IssueAgent.exec[0]: "./env.sh" is found, but its #! line runs env nodejs-missing, and nodejs-missing is not found on PATH\n` +
        `warning: agents.ReviewAgent.exec[0]: "./split.sh" is found, but its #! line runs env nodejs-missing, and nodejs-missing is not found on PATH\n`,
    );
  });

  it.each([
    [{}, "GitHub: dry-run (no credentials): writes are recorded, not sent", { dry_run: true, auth: "none", app_id: null }],
    [{ GITHUB_TOKEN: "ghp_example" }, "GitHub: writes sent with a token", { dry_run: false, auth: "token", app_id: null }],
    [{ GITHUB_TOKEN: "ghp_example", SWITCHYARD_DRY_RUN: "1" }, "GitHub: dry-run (github.dryRun is true (the config file or SWITCHYARD_DRY_RUN), though credentials are set: a token): writes are recorded, not sent", { dry_run: true, auth: "token", app_id: null }],
    [{ GITHUB_APP_ID: "123", GITHUB_APP_PRIVATE_KEY: APP_KEY }, "GitHub: writes sent as a GitHub App (app id 123)", { dry_run: false, auth: "app", app_id: "123" }],
  ])("says whether GitHub writes are sent (%o)", async (env, line, json) => {
    const text = await runCli(["check"], { cwd: work.dir, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split("\n")[1]).toBe(line);
    const result = await runCli(["check", "--json"], { cwd: work.dir, env });
    expect((JSON.parse(result.stdout) as { github: unknown }).github).toEqual(json);
    expect(result.stdout).not.toContain("ghp_example");
  });

  it("names the store it resolves to, without a password and without opening it", async () => {
    const env = { DATABASE_URL: "postgres://app:pw-secret@127.0.0.1:1/switchyard?password=qs-secret", WEBHOOK_SECRET: "an-example-secret-1234" };
    const text = await runCli(["check"], { cwd: work.dir, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split("\n")[2]).toBe("store: postgres://***@127.0.0.1:1/switchyard?password=*** (not opened by check: serve's start refuses one it cannot use)");
    expect(text.stdout).not.toContain("qs-secret");
    const json = await runCli(["check", "--json"], { cwd: work.dir, env: { DATABASE_URL: "sqlite:data/sy.db" } });
    expect((JSON.parse(json.stdout) as { store: unknown }).store).toEqual({ kind: "sqlite", location: path.join(work.dir, "data/sy.db") });
    expect(text.stdout).not.toContain("pw-secret");
  });

  it("an http agent's URL shows its query's names, not their values (text and --json)", async () => {
    const dir = createWorkdir();
    try {
      dir.write("switchyard.config.yaml", "agents:\n  Remote: { http: { url: 'http://127.0.0.1:9521/agent?token=qs-secret-123', secret: s3cret-agent-key-0000 } }\nrouting:\n  rules:\n    - { id: remote, when: { event: issues, action: opened }, agent: Remote, priority: low, action: Remote }\n");
      const text = await runCli(["check"], { cwd: dir.dir });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain("http http://127.0.0.1:9521/agent?token=… (timeout 30s)");
      const json = await runCli(["check", "--json"], { cwd: dir.dir });
      const agents = (JSON.parse(json.stdout) as { agents: { name: string; executor: string }[] }).agents;
      expect(agents.find((a) => a.name === "Remote")?.executor).toBe("http http://127.0.0.1:9521/agent?token=… (timeout 30s)");
      expect(text.stdout + text.stderr + json.stdout + json.stderr).not.toContain("qs-secret-123");
    } finally {
      dir.remove();
    }
  });

  it("an http secret read from the environment: listed, warned of where the variable is unset, and a ${VAR} literal named", async () => {
    const yaml = [
      "agents:",
      "  FromEnv: { http: { url: 'https://a.example/', secret: { env: AGENT_SECRET } } }",
      "  Literal: { http: { url: 'https://b.example/', secret: '${AGENT_SIGNING_SECRET}' } }",
      "  Quick: { exec: [node, quick.js], timeout: 10 }",
      "  Unlimited: { exec: [node, forever.js], timeout: 0 }",
      "  ExecutionAgent: { workspace: { run: [no-such-coding-agent, '{promptFile}'], timeout: 5 } }",
      "routing:",
      "  rules:",
      "    - { id: a, when: { event: issues }, agent: FromEnv, priority: low, action: A }",
      "    - { id: b, when: { event: push }, agent: Literal, priority: low, action: B }",
      "    - { id: c, when: { event: release }, agent: Quick, priority: low, action: C }",
      "    - { id: d, when: { event: fork }, agent: Unlimited, priority: low, action: D }",
    ].join("\n");
    const unset = await checkFile("secret-env.yaml", yaml, { PATH: path.dirname(process.execPath) });
    expect(unset.code, unset.stderr).toBe(0);
    expect(unset.stdout).toMatch(/^FromEnv\s+http https:\/\/a\.example\/ \(timeout 30s, secret from AGENT_SECRET\)\s+1$/m);
    expect(unset.stdout).toMatch(/^Unlimited\s+exec node forever\.js \(no timeout\)\s+1$/m);
    // No rule names ExecutionAgent: the table says where its tasks come from.
    expect(unset.stdout).toMatch(/^ExecutionAgent\s+workspace no-such-coding-agent \{promptFile\} .*\s+- \(execute-plan, handed over by CoordinatorAgent\)$/m);
    expect(unset.stderr.trimEnd().split("\n")).toEqual([
      "warning: agents.FromEnv.http.secret is read from AGENT_SECRET, which is not set in this process's environment: set it where switchyard runs",
      'warning: agents.Literal.http.secret: "${AGENT_SIGNING_SECRET}" is used as the key itself (switchyard does not expand variables): write secret: { env: AGENT_SIGNING_SECRET } to read it from the environment',
      "warning: agents.Quick.timeout: 10ms is under a second, so every run would time out: a bare number counts milliseconds (write 10s for seconds)",
      "warning: agents.ExecutionAgent.workspace.timeout: 5ms is under a second, so every run would time out: a bare number counts milliseconds (write 5s for seconds)",
      'warning: agents.ExecutionAgent.workspace.run[0]: "no-such-coding-agent" is not found on PATH: install it, or write its path',
    ]);
    const set = await run(["check", "--config", "secret-env.yaml"], { PATH: path.dirname(process.execPath), AGENT_SECRET: "s3cret-agent-key-0000" });
    expect(set.stderr).not.toContain("AGENT_SECRET, which is not set");
  });

  it("an http secret shorter than 16 characters: refused in the file, and from the environment when check reads it (exit 2, never showing it)", async () => {
    const literal = await checkFile("short-secret.yaml", "agents:\n  Hook: { http: { url: 'https://a.example/', secret: ab } }\n");
    expect(literal.code).toBe(2);
    expect(literal.stderr).toBe(
      "switchyard: short-secret.yaml: agents.Hook.http.secret: a secret of 2 characters is too short (at least 16): a short key is easily guessed, and one under 4 characters is not even masked in stored output; " +
        "make one with `openssl rand -hex 32` (or `whsec_` and the base64 of 32 random bytes)\n",
    );
    // A ${VAR} too short to sign with is told the fix it needs: {env: VAR}.
    const reference = await checkFile("short-reference.yaml", "agents:\n  Hook: { http: { url: 'https://a.example/', secret: '${KEY}' } }\n");
    expect(reference.stderr).toContain('agents.Hook.http.secret: "${KEY}" is used as the key itself (switchyard does not expand variables): write secret: { env: KEY }');
    work.write("env-secret.yaml", "agents:\n  FromEnv: { http: { url: 'https://a.example/', secret: { env: AGENT_SECRET } } }\nrouting:\n  rules:\n    - { id: a, when: { event: issues }, agent: FromEnv, priority: low, action: A }\n");
    const short = await run(["check", "--config", "env-secret.yaml"], { AGENT_SECRET: "s3cret" });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/^switchyard: environment: AGENT_SECRET \(agents\.FromEnv\.http\.secret\): a secret of 6 characters is too short \(at least 16\)/);
    expect(short.stderr).not.toContain("s3cret");
    // serve, where the agents run, refuses it at start the same way, before it opens anything.
    const serve = await run(["serve", "--config", "env-secret.yaml"], { AGENT_SECRET: "s3cret", PORT: "0", ADMIN_PORT: "0" });
    expect(serve).toMatchObject({ code: 2, stderr: short.stderr });
    expect((await run(["check", "--config", "env-secret.yaml"], { AGENT_SECRET: "s3cret-agent-key-0000" })).code).toBe(0);
  });
});

describe("the names an exec or workspace agent lists under env:", () => {
  const yaml = [
    "agents:",
    "  IssueAgent: { exec: [node, agent.js], env: [OPENAI_API_KEY, GITHUB_TOKEN] }",
    "  ExecutionAgent: { workspace: { run: [node, '{promptFile}'], env: [ANTHROPIC_API_KEY, GITHUB_TOKEN] } }",
  ].join("\n");

  it("are a warning each when unset (empty counts), saying the service's own environment may set them; exit 0", async () => {
    work.write("env-names.yaml", yaml);
    const unset = await run(["check", "--config", "env-names.yaml"], { PATH: path.dirname(process.execPath), OPENAI_API_KEY: "" });
    expect(unset.code, unset.stderr).toBe(0);
    const caveat = "fine if it is set where switchyard really runs (a service's environment file, a workflow step's env:), which check cannot see; else set it there";
    expect(unset.stderr.trimEnd().split("\n")).toEqual([
      `warning: agents.IssueAgent.env: OPENAI_API_KEY is not set in the environment check runs in, so IssueAgent runs without it: ${caveat}`,
      `warning: agents.IssueAgent.env: GITHUB_TOKEN is not set in the environment check runs in, so IssueAgent runs without it: ${caveat}`,
      // A workspace agent listing GITHUB_TOKEN gets the token switchyard pushes with: not warned of.
      `warning: agents.ExecutionAgent.workspace.env: ANTHROPIC_API_KEY is not set in the environment check runs in, so ExecutionAgent runs without it: ${caveat}`,
    ]);
    const set = await run(["check", "--config", "env-names.yaml"], { PATH: path.dirname(process.execPath), OPENAI_API_KEY: "sk", GITHUB_TOKEN: "ghp_x", ANTHROPIC_API_KEY: "sk-ant" });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toBe("");
  });

  it("in serve, whose environment the agents' comes from, say so without check's caveat", () => {
    const { config } = parseConfig({ agents: { IssueAgent: { exec: ["node", "agent.js"], env: ["OPENAI_API_KEY"] } } });
    expect(findAgentProblems(config, { cwd: work.dir, env: { PATH: path.dirname(process.execPath) }, serving: true })).toEqual([
      "agents.IssueAgent.env: OPENAI_API_KEY is not set in this process's environment, so IssueAgent runs without it: set it where switchyard runs, or remove it from env:",
    ]);
  });
});

describe.concurrent("--config before the command", () => {
  work.write("before.yaml", "routing:\n  disable: [pr-synchronize]\n");
  const source = (result: { stdout: string }) => (JSON.parse(result.stdout) as CheckJson).source;

  it.each([
    ["--config FILE", ["--config", "before.yaml", "check", "--json"]],
    ["--config=FILE", ["--config=before.yaml", "check", "--json"]],
    ["-c FILE", ["-c", "before.yaml", "check", "--json"]],
    ["the same file on both sides", ["--config", "./before.yaml", "check", "--config", "before.yaml", "--json"]],
  ])("%s is the command's --config", async (_, args) => {
    const result = await run(args);
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(source(result)).toBe(path.join(work.dir, "before.yaml"));
  });

  it("reaches the other commands too: route follows the file's deployBranches", async () => {
    work.write("release-only.yaml", "routing:\n  deployBranches: [release]\n");
    const push = work.write("before-push.json", { ref: "refs/heads/master", repository: { default_branch: "master" } });
    const args = ["route", "--event", "push", "--payload", push, "--dry-run", "--json"];
    expect(JSON.parse((await run(args)).stdout)).toMatchObject({ matched: true });
    expect(JSON.parse((await run(["--config=release-only.yaml", ...args])).stdout)).toMatchObject({ matched: false });
  });

  it("a bad file given before the command is refused as after it", async () => {
    const result = await run(["--config", "bad-before.yaml", "check"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^switchyard: config file .*bad-before\.yaml does not exist: check the --config path\n$/);
  });

  it("two different files, before and after the command, exit 2 saying so", async () => {
    const result = await run(["--config", "before.yaml", "check", "--config", "other.yaml"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe("switchyard: --config names two files, before.yaml before the command and other.yaml after it: give one\n");
  });
});

describe.concurrent("switchyard --help", () => {
  it("lists --config among the options taken before the command", async () => {
    const result = await run(["--help"]);
    expect(result.stdout).toMatch(/^\s+-c, --config <file>\s+config file, for any command/m);
  });

  it("lists route and check", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: switchyard /);
    expect(result.stdout).toMatch(/^\s+route \[options\]\s+Actions mode/m);
    expect(result.stdout).toMatch(/^\s+check \[options\]\s+validate the config/m);
  });

  it("route --help lists its options", async () => {
    const result = await run(["route", "--help"]);
    expect(result.code).toBe(0);
    for (const option of ["--event <name>", "--payload <file>", "--dry-run", "--json", "--explain", "--config <file>"]) expect(result.stdout).toContain(option);
  });

  it("an unknown command exits 2", async () => {
    const result = await run(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("unknown command 'frobnicate'");
    expect(result.stderr).toBe("error: unknown command 'frobnicate' (switchyard --help lists the commands)\n");
  });

  it("an option a subcommand does not take exits 2 naming that subcommand's help", async () => {
    const result = await run(["deliveries", "show", "some-id", "--status", "failed"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    // One line, as every usage error: what is wrong, then where to look.
    expect(result.stderr).toBe("error: unknown option '--status' (switchyard deliveries show --help lists what it takes)\n");
    const suggested = await run(["tasks", "--limt", "3"]);
    expect(suggested.stderr).toBe("error: unknown option '--limt' (Did you mean --limit?) (switchyard tasks --help lists what it takes)\n");
  });
});

describe("switchyard check refuses GitHub settings that every call would fail on", () => {
  it("a GitHub App private key that does not parse: exit 2 naming the variable, never the key", async () => {
    const result = await run(["check"], { GITHUB_APP_ID: "123", GITHUB_APP_PRIVATE_KEY: "notapem" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/GITHUB_APP_PRIVATE_KEY="…" \(github\.privateKey\): not a private key switchyard can read: write a PEM RSA key/);
    expect(result.stderr).not.toContain("notapem");
  });
});
