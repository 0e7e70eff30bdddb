import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMigratedStore } from "../../src/store/open-store.js";
import { exampleOf } from "../support/examples.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../support/postgres.js";
import { runCli } from "../support/run-cli.js";
import { freePort, postSigned, startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

// A new user's trial: a rule ran one agent, the config was changed to route it to another,
// and the delivery was replayed. History must stay true, and a replay that routes nowhere
// (or is routed by a server with another config) must say why.

const SECRET = "replay-reroute-secret";

function ruleTo(agent: string): string {
  return [
    "agents:",
    `  ${agent}: { exec: ["${process.execPath}", "echo.mjs"] }`,
    "routing:",
    "  disable: [issue-opened]",
    "  rules:",
    `    - { id: my-issue, when: { event: issues, action: opened }, agent: ${agent}, priority: high, action: "Handle the issue" }`,
    "",
  ].join("\n");
}

function writeProject(dir: string): void {
  writeFileSync(path.join(dir, "echo.mjs"), "console.log(`ok agent: ${process.env.SWITCHYARD_AGENT}`);\n");
  writeFileSync(path.join(dir, "my.yaml"), ruleTo("MyAgent"));
  writeFileSync(path.join(dir, "other.yaml"), ruleTo("OtherAgent"));
  // Nothing routes issues.opened: the default rule is off and no rule replaces it.
  writeFileSync(path.join(dir, "none.yaml"), "routing:\n  disable: [issue-opened]\n");
}

interface AttemptJson {
  n: number;
  agent: string | null;
  outcome: string | null;
  output: string | null;
}

/** The trial on one store: the run MyAgent made is seeded through the store, then the CLI replays and shows. */
function rerouteSuite(storeUrl: () => Promise<string>): void {
  let dir: string;
  let env: Record<string, string>;
  const delivery = "trial-delivery-1";
  let taskId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-reroute-"));
    writeProject(dir);
    const url = await storeUrl();
    // An admin port nothing listens on: on PostgreSQL the CLI probes it for a server.
    env = { DATABASE_URL: url, ADMIN_PORT: String(await freePort()) };
    const store = await openMigratedStore(url, { cwd: dir, exclusive: true });
    try {
      const payload = exampleOf("issues", "opened");
      const body = Buffer.from(JSON.stringify(payload));
      const now = Date.now();
      const accepted = await store.accept(
        { id: delivery, signature: null, event: "issues", action: "opened", repository: payload.repository.full_name, installation: null, headers: {}, body, receivedAt: now },
        [{ rule: "my-issue", agent: "MyAgent", action: "Handle the issue", priority: "high", idempotencyKey: null }],
        { replayWindowMs: 0 },
      );
      if (accepted.duplicate) throw new Error("seeded twice");
      taskId = accepted.tasks[0]!.id;
      const [claimed] = await store.claim({ owner: "trial", now, leaseMs: 30_000, limit: 1 });
      expect(claimed).toMatchObject({ id: taskId, agent: "MyAgent" });
      expect(await store.complete(taskId, claimed!.leaseToken, { status: "succeeded", output: "ok agent: MyAgent\n" }, now + 5)).toBe(true);
    } finally {
      await store.close();
    }
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("a replay under a config that routes the rule elsewhere relabels the task, and attempt 1 still says MyAgent ran it", async () => {
    const replay = await runCli(["replay", "-c", "other.yaml", delivery, "--json"], { cwd: dir, env });
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual({ via: "store", replayed: [{ delivery, task: taskId, agent: "OtherAgent" }] });
    // A config file named on purpose: the move is said, not refused.
    expect(replay.stderr).toContain(`switchyard: task ${taskId} of delivery ${delivery} now runs as OtherAgent, not MyAgent: rule my-issue names OtherAgent in the config in use (other.yaml) (each attempt keeps the agent that ran it)\n`);

    const json = await runCli(["tasks", "show", taskId, "--json"], { cwd: dir, env });
    expect(json.code, json.stderr).toBe(0);
    const task = JSON.parse(json.stdout) as { agent: string; status: string; attempt_log: AttemptJson[] };
    expect(task).toMatchObject({ agent: "OtherAgent", status: "ready" });
    expect(task.attempt_log.map((a) => [a.n, a.agent, a.outcome, a.output])).toEqual([[1, "MyAgent", "succeeded", "ok agent: MyAgent\n"]]);

    const text = await runCli(["tasks", "show", taskId], { cwd: dir, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`task ${taskId}  OtherAgent  rule my-issue`);
    expect(text.stdout).toMatch(/attempt 1 .* succeeded \(\d+ ms\) {2}run by MyAgent\n/);
  });

  it("a replay that no rule of the config routes says which event, that nothing matches it, and under which config", async () => {
    const text = await runCli(["replay", "-c", "none.yaml", delivery], { cwd: dir, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(`nothing to replay for delivery ${delivery}: no rule matches issues.opened under the config in use (none.yaml)\n`);

    const json = await runCli(["replay", "-c", "none.yaml", delivery, "--json"], { cwd: dir, env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      via: "store",
      replayed: [],
      unrouted: [{ delivery, event: "issues", action: "opened", reason: "no rule matches issues.opened under the config in use (none.yaml)" }],
    });
  });
}

describe("replay after a config change (SQLite)", () => {
  rerouteSuite(async () => "sqlite:trial.db");
});

describePg("replay after a config change (PostgreSQL)", () => {
  afterAll(dropTestDatabases);
  rerouteSuite(createTestDatabase);
});

describe("replay -c FILE while a server runs with another config", () => {
  let dir: string;
  let server: ServeProcess | null = null;
  let env: Record<string, string>;
  let delivery: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-reroute-api-"));
    writeProject(dir);
    server = await startServeProcess(dir, { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:s.db" }, ["serve", "-c", "my.yaml"]);
    env = { DATABASE_URL: "sqlite:s.db" };
    const res = await postSigned(server.webhookUrl, SECRET, "issues", exampleOf("issues", "opened"));
    expect(res.status).toBe(202);
    const { delivery: id, routed } = (await res.json()) as { delivery: string; routed: { task: string }[] };
    delivery = id;
    const task = routed[0]!.task;
    await waitFor(async () => {
      const shown = await runCli(["tasks", "show", task, "--json"], { cwd: dir, env });
      return shown.code === 0 && (JSON.parse(shown.stdout) as { status: string }).status === "succeeded";
    }, 20_000, 200);
  });
  afterAll(async () => {
    if (server) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("says on stderr that the server routed it with its own config, not -c FILE", async () => {
    const result = await runCli(["replay", "-c", "other.yaml", delivery], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    // The server's config routes the rule to MyAgent, whatever other.yaml says.
    expect(result.stdout).toMatch(/^re-queued task \d+ \(MyAgent\) of delivery /);
    const mine = path.join(dir, "my.yaml");
    expect(result.stderr).toContain(`switchyard: the running server at ${server!.adminUrl} routed this replay with its own config, ${mine}, not other.yaml:`);
    expect(result.stderr.split("\n").filter((l) => l.includes("routed this replay"))).toHaveLength(1);
  });

  it("says nothing of the config when it is the server's own, and names the server's config when nothing routes", async () => {
    const same = await runCli(["replay", "-c", "my.yaml", delivery], { cwd: dir, env });
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).not.toContain("routed this replay");

    const star = await postSigned(server!.webhookUrl, SECRET, "star", exampleOf("star", "created"));
    expect(star.status).toBe(202);
    const { delivery: starDelivery } = (await star.json()) as { delivery: string };
    const unrouted = await runCli(["replay", "-c", "my.yaml", starDelivery], { cwd: dir, env });
    expect(unrouted.code, unrouted.stderr).toBe(0);
    expect(unrouted.stdout).toBe(`nothing to replay for delivery ${starDelivery}: no rule matches star.created under the running server's config (${path.join(dir, "my.yaml")})\n`);

    // The server's file edited since it started: the edit is not in force yet.
    writeFileSync(path.join(dir, "my.yaml"), "routing:\n  disable: [issue-opened]\n");
    const edited = await runCli(["replay", "-c", "my.yaml", delivery], { cwd: dir, env });
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/^re-queued task \d+ \(MyAgent\)/);
    expect(edited.stderr).toContain("routed this replay with my.yaml as it was when the server started: the file changed since");
  });
});
