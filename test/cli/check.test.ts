import { afterAll, describe, expect, it } from "vitest";
import { createWorkdir, runCli } from "../support/run-cli.js";

const work = createWorkdir();
afterAll(() => work.remove());

const run = (args: string[], env?: Record<string, string>) => runCli(args, { cwd: work.dir, env });

// DESIGN.md section 6, in its order.
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
];

interface CheckJson {
  ok: boolean;
  source: string | null;
  rules: { id: string; agent: string; priority: string; action: string; continue: boolean; origin: string; when: Record<string, unknown> }[];
}

describe.concurrent("switchyard check", () => {
  it("prints the 13-rule table and exits 0", async () => {
    const result = await run(["check"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("config OK (no config file: defaults and environment)");
    expect(lines[2]).toMatch(/^id\s+when\s+agent\s+priority\s+action\s+origin$/);
    const rows = lines.slice(3);
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(DEFAULT_IDS);
    expect(rows[0]).toMatch(/^issue-agent-execute\s+issues\.labeled, labelAdded=agent-execute\s+CoordinatorAgent\s+critical\s+Execute autonomous task\s+default$/);
    expect(rows[10]).toMatch(/^push-deploy\s+push, deployBranch=true, tag=false, deleted=false\s+DeploymentAgent\s+medium\s+Deploy to production\s+default$/);
  });

  it("--json prints one line with the 13 rules in DESIGN.md section 6's order", async () => {
    const result = await run(["check", "--json"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(result.stdout.slice(0, -1)).not.toContain("\n");
    const json = JSON.parse(result.stdout) as CheckJson;
    expect(JSON.stringify(json) + "\n").toBe(result.stdout);
    expect(json.ok).toBe(true);
    expect(json.source).toBeNull();
    expect(json.rules.map((r) => r.id)).toEqual(DEFAULT_IDS);
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
    expect(result.stderr).toMatch(/^switchyard: bad\.yaml: unknown key "server\.prot": remove it or check its spelling/);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("--config with a bad rule regex exits 2 naming the rule's key", async () => {
    work.write("bad-regex.yaml", "routing:\n  rules:\n    - { id: x, when: { event: push, branch: '/[/' }, agent: A, priority: low, action: y }\n");
    const result = await run(["check", "--config", "bad-regex.yaml", "--json"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^switchyard: bad-regex\.yaml: routing\.rules\[0\]\.when\.branch: \/\[\/ is not a valid regular expression/);
  });

  it("a bad environment value exits 2 naming the variable", async () => {
    const result = await run(["check"], { SWITCHYARD_DRY_RUN: "perhaps" });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe('switchyard: SWITCHYARD_DRY_RUN="perhaps" is not a boolean: use 1/true/yes or 0/false/no\n');
  });

  it("refuses what serve would refuse: one port for both listeners", async () => {
    const samePort = await run(["check"], { PORT: "3301", ADMIN_PORT: "3301" });
    expect(samePort).toMatchObject({ code: 2, stdout: "" });
    expect(samePort.stderr).toBe("switchyard: server.port (PORT) and admin.port (ADMIN_PORT) are both 3301: the webhook and admin listeners need a port each\n");
  });

  it("says which variable holds a malformed database URL", async () => {
    const result = await run(["check"], { DATABASE_URL: "/tmp/x.db" });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/store\.url \(DATABASE_URL\) must be sqlite:PATH/);
  });
});

describe.concurrent("switchyard --help", () => {
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
  });
});
