import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signPayload } from "../../src/security/verify-signature.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { exampleOf } from "../support/examples.js";
import { BIN } from "../support/run-cli.js";
import { postSigned, runCli, startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

const SECRET = "process-test-secret";

async function post(server: ServeProcess, n: number): Promise<{ status: number; delivery: string }> {
  const payload = exampleOf("issues", "opened") as unknown as { issue: { number: number; title: string } };
  payload.issue.number = n;
  payload.issue.title = `crash test ${n}`;
  const body = JSON.stringify(payload);
  const delivery = randomUUID();
  const res = await fetch(server.webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": delivery, "x-hub-signature-256": signPayload(SECRET, body) },
    body,
  });
  return { status: res.status, delivery };
}

describe("serve as a process", () => {
  let dir: string;
  const children: ServeProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-serve-"));
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("kill -9 under load: every acknowledged delivery is stored exactly once and every task finishes once after restart", async () => {
    // IssueAgent is a slow exec agent, so tasks are mid-run when the process dies.
    const agent = path.join(dir, "slow-agent.mjs");
    writeFileSync(agent, `setTimeout(() => console.log("done " + process.env.SWITCHYARD_TASK), 300);`);
    writeFileSync(
      path.join(dir, "switchyard.config.yaml"),
      `worker: { concurrency: 4, leaseMs: 2000 }\nretry: { initialDelayMs: 100, maxDelayMs: 500 }\nagents:\n  IssueAgent: { exec: ["${process.execPath}", "${agent}"] }\n`,
    );
    const env = { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:data/switchyard.db" };
    const first = await startServeProcess(dir, env);
    children.push(first);

    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => post(first, i + 1)));
    const acknowledged = results.filter((r) => r.status === 202).map((r) => r.delivery);
    expect(acknowledged).toHaveLength(40);
    await new Promise((resolve) => setTimeout(resolve, 400)); // some tasks done, some running
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await startServeProcess(dir, env);
    children.push(second);
    const dbFile = path.join(dir, "data", "switchyard.db");
    const tasks = await waitFor(async () => {
      const store = createSqliteStore(dbFile, { readonly: true });
      try {
        const all = await store.listTasks({ limit: 1000 });
        return all.length === 40 && all.every((t) => t.status === "succeeded") ? all : null;
      } finally {
        await store.close();
      }
    }, 60_000, 200);

    const store = createSqliteStore(dbFile, { readonly: true });
    try {
      const deliveries = await store.listDeliveries({ limit: 1000 });
      expect(deliveries.map((d) => d.id).sort()).toEqual([...acknowledged].sort());
      expect(deliveries.every((d) => d.status === "succeeded")).toBe(true);
      let cutOff = 0;
      for (const task of tasks) {
        const full = (await store.getTask(task.id))!;
        cutOff += full.attemptLog.filter((a) => a.outcome === "lease-expired").length;
        // Exactly one attempt succeeded; an attempt cut off by the kill is closed as lease-expired, never as success.
        expect(full.attemptLog.filter((a) => a.outcome === "succeeded")).toHaveLength(1);
        expect(full.attemptLog.every((a) => a.outcome === "succeeded" || a.outcome === "lease-expired")).toBe(true);
        expect(full.attempts).toBe(full.attemptLog.length);
      }
      // The kill really did land on running tasks: their attempts were reclaimed, not lost.
      expect(cutOff).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("ends a crash loop: an agent that kills serve on every run is given up after its last allowed attempt", async () => {
    const agent = path.join(dir, "crashing-agent.mjs");
    writeFileSync(agent, `process.kill(process.ppid, "SIGKILL");\nsetTimeout(() => {}, 5000);\n`);
    writeFileSync(
      path.join(dir, "switchyard.config.yaml"),
      `retry: { maxRetries: 1, initialDelayMs: 100 }\nagents:\n  IssueAgent: { exec: ["${process.execPath}", "${agent}"] }\n`,
    );
    const env = { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:loop.db" };
    const dbFile = path.join(dir, "loop.db");

    // Attempt 1 takes the first process down; the restart reclaims it, attempt 2 takes the second down.
    const first = await startServeProcess(dir, env);
    children.push(first);
    const { status, delivery } = await post(first, 1);
    expect(status).toBe(202);
    await first.exited;
    // The restart claims the task at once, so it may die before it ever answers /healthz.
    const second = spawn(process.execPath, [BIN, "serve"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env, PORT: "0", ADMIN_PORT: "0" },
      stdio: "ignore",
    });
    const secondExit = await new Promise<NodeJS.Signals | null>((resolve) => second.once("exit", (_code, signal) => resolve(signal)));
    expect(secondExit).toBe("SIGKILL");

    // The third process gives the task up at start-up instead of running it again, and stays up.
    const third = await startServeProcess(dir, env);
    children.push(third);
    const store = createSqliteStore(dbFile, { readonly: true });
    try {
      const [summary] = await store.listTasks({ delivery, limit: 10 });
      const task = (await store.getTask(summary!.id))!;
      expect(task).toMatchObject({ status: "dead", attempts: 2 });
      expect(task.lastError).toMatch(/^gave up after 2 attempts: lease expired/);
      expect(task.attemptLog.map((a) => a.outcome)).toEqual(["lease-expired", "lease-expired"]);
    } finally {
      await store.close();
    }
    expect(third.stderr()).toMatch(/gave up on tasks whose last allowed attempt ended with an expired lease/);
    expect((await fetch(`${third.adminUrl}/healthz`)).status).toBe(200);
  });

  it("a database path that cannot hold a database is exit 2 naming the file, for serve and the reading commands", async () => {
    writeFileSync(path.join(dir, "notes.json"), "{}\n");
    const env = { WEBHOOK_SECRET: SECRET, PORT: "0", ADMIN_PORT: "0" };
    const notDb = await runCli(["serve"], { cwd: dir, env: { ...env, DATABASE_URL: "sqlite:notes.json" } });
    expect(notDb.code).toBe(2);
    expect(notDb.stderr).toContain(`cannot use the database ${path.join(dir, "notes.json")}: it is not a SQLite database`);
    const underFile = await runCli(["serve"], { cwd: dir, env: { ...env, DATABASE_URL: "sqlite:notes.json/x.db" } });
    expect(underFile.code).toBe(2);
    expect(underFile.stderr).toMatch(/cannot use the database .*notes\.json\/x\.db: .*DATABASE_URL/);
    const listed = await runCli(["deliveries"], { cwd: dir, env: { DATABASE_URL: "sqlite:notes.json" } });
    expect(listed.code).toBe(2);
    expect(listed.stderr).toContain("it is not a SQLite database");
    // Nothing was written: the file is as it was, and no lock is left behind.
    expect(readFileSync(path.join(dir, "notes.json"), "utf8")).toBe("{}\n");
    expect(existsSync(path.join(dir, "notes.json.lock"))).toBe(false);
  });

  it("a serve that cannot listen exits 2 at once and releases its database (no lingering worker)", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const started = Date.now();
      const result = await runCli(["serve"], { cwd: dir, env: { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:busy.db", PORT: String(taken), ADMIN_PORT: "0" } });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`webhook port ${taken} is already in use`);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(existsSync(path.join(dir, "busy.db.lock"))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("refuses a second serve on the same SQLite file, with a message saying why", async () => {
    const env = { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:one.db" };
    children.push(await startServeProcess(dir, env));
    const second = await runCli(["serve"], { cwd: dir, env: { ...env, PORT: "0", ADMIN_PORT: "0" } });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another switchyard serve .*pid/i);
    // The same file through a symlink, and through a symlinked directory, is the same database.
    symlinkSync(path.join(dir, "one.db"), path.join(dir, "link.db"));
    symlinkSync(dir, path.join(dir, "linked-dir"));
    for (const url of ["sqlite:link.db", "sqlite:linked-dir/one.db"]) {
      const viaLink = await runCli(["serve"], { cwd: dir, env: { ...env, DATABASE_URL: url, PORT: "0", ADMIN_PORT: "0" } });
      expect(viaLink.code, url).toBe(2);
      expect(viaLink.stderr, url).toMatch(/another switchyard serve .*pid/i);
    }
  });

  it("generates a webhook secret (0600) on first run and `send` signs with it", async () => {
    const server = await startServeProcess(dir, { DATABASE_URL: "sqlite:s.db" });
    children.push(server);
    const secretFile = path.join(dir, ".switchyard", "webhook-secret");
    expect(existsSync(secretFile)).toBe(true);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, "utf8").trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // Said once the server listens, with the command as it was run here.
    await waitFor(() => server.stderr().includes(secret));
    // The test's PORT is not 3000: a send from another terminal, without that PORT, needs the URL.
    expect(server.stderr()).toContain(`\n    node ${BIN} send issues.opened --url ${server.webhookUrl}\n`);
    expect(server.stderr()).toContain(`switchyard: store sqlite:s.db (${path.join(dir, "s.db")})\nswitchyard: created the database's tables (schema version `);
    expect(server.stderr()).toContain("switchyard: GitHub: dry-run (no credentials): writes are recorded, not sent\n");
    // The default host listens beyond loopback, and the start says so beside the loopback URL.
    expect(server.stderr()).toMatch(/switchyard: receiving webhooks at http:\/\/127\.0\.0\.1:\d+\/webhooks\/github \(listening on every interface, server\.host 0\.0\.0\.0: SWITCHYARD_HOST=127\.0\.0\.1 keeps it on this machine\)\n/);

    const sent = await runCli(["send", "issues.opened", "--url", server.webhookUrl, "--json"], { cwd: dir });
    expect(sent.code).toBe(0);
    const reply = JSON.parse(sent.stdout);
    expect(reply.status).toBe(202);
    expect(reply.body.routed[0]).toMatchObject({ rule: "issue-opened", agent: "IssueAgent" });

    const listed = await runCli(["deliveries", "--json"], { cwd: dir, env: { DATABASE_URL: "sqlite:s.db" } });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split("\n")).toHaveLength(1);
    const rows = JSON.parse(listed.stdout);
    expect(rows[0]).toMatchObject({ delivery: reply.delivery, event: "issues", action: "opened" });
    expect(Object.keys(rows[0]).sort()).toEqual(["ack_ms", "action", "delivery", "event", "received_at", "repository", "status", "tasks"]);
  });

  it("says where the webhook secret came from, and that an empty WEBHOOK_SECRET counts as unset", async () => {
    const first = await startServeProcess(dir, { DATABASE_URL: "sqlite:s.db" });
    await waitFor(() => first.stderr().includes("Next step"));
    first.child.kill("SIGTERM");
    await new Promise((resolve) => first.child.once("exit", resolve));

    const again = await startServeProcess(dir, { DATABASE_URL: "sqlite:s.db", WEBHOOK_SECRET: " " });
    children.push(again);
    await waitFor(() => again.stderr().includes("webhook secret from"));
    expect(again.stderr()).toContain("switchyard: WEBHOOK_SECRET is set but empty, so it counts as unset\n");
    expect(again.stderr()).toContain(`switchyard: webhook secret from ${path.join(".switchyard", "webhook-secret")} (generated by an earlier start; WEBHOOK_SECRET overrides it)`);
    expect(again.stderr()).not.toContain("Next step");

    // SWITCHYARD_HOST keeps the listener on loopback, and the start line has nothing to warn of.
    const configured = await startServeProcess(dir, { DATABASE_URL: "sqlite:t.db", WEBHOOK_SECRET: `${SECRET},older-secret`, SWITCHYARD_HOST: "127.0.0.1" });
    children.push(configured);
    await waitFor(() => configured.stderr().includes("receiving webhooks at"));
    expect(configured.stderr()).toContain("switchyard: webhook secret from WEBHOOK_SECRET (2 secrets)");
    expect(configured.stderr()).toMatch(/switchyard: receiving webhooks at http:\/\/127\.0\.0\.1:\d+\/webhooks\/github\n/);
    expect((await postSigned(configured.webhookUrl, SECRET, "issues", exampleOf("issues", "opened"))).status).toBe(202);
  });

  it("warns at start, as check does, of agents whose tasks would fail here; an ingest-only start runs no agent and says nothing", async () => {
    writeFileSync(
      path.join(dir, "switchyard.config.yaml"),
      "agents:\n  IssueAgent: { exec: [./agents/missing.sh] }\n  ReviewAgent: { http: { url: 'https://a.example/', secret: { env: REVIEW_SECRET } } }\n",
    );
    const server = await startServeProcess(dir, { DATABASE_URL: "sqlite:s.db", WEBHOOK_SECRET: SECRET });
    children.push(server);
    await waitFor(() => server.stderr().includes("receiving webhooks at"));
    expect(server.stderr()).toContain(`switchyard: warning: agents.IssueAgent.exec[0]: "./agents/missing.sh" is not found (resolved to ${path.join(dir, "agents", "missing.sh")})\n`);
    expect(server.stderr()).toContain("switchyard: warning: agents.ReviewAgent.http.secret is read from REVIEW_SECRET, which is not set in this process's environment: set it where switchyard runs\n");
    server.child.kill("SIGTERM");
    await server.exited;

    const ingest = await startServeProcess(dir, { DATABASE_URL: "sqlite:s.db", WEBHOOK_SECRET: SECRET }, ["serve", "--role", "ingest"]);
    children.push(ingest);
    await waitFor(() => ingest.stderr().includes("receiving webhooks at"));
    expect(ingest.stderr()).not.toContain("warning:");
  });

  it("warns at start, as check does, of a rule of the config that never runs: the first routed event is not the first sign", async () => {
    writeFileSync(
      path.join(dir, "switchyard.config.yaml"),
      "routing:\n  rules:\n    - { id: my-issue, when: { event: issues, action: opened }, agent: IssueAgent, priority: high, action: Triage }\n",
    );
    const server = await startServeProcess(dir, { DATABASE_URL: "sqlite:r.db", WEBHOOK_SECRET: SECRET });
    children.push(server);
    await waitFor(() => server.stderr().includes("receiving webhooks at"));
    expect(server.stderr()).toMatch(/^switchyard: warning: routing rule my-issue never runs: /m);
  });

  it("a first start that fails still shows the secret it generated (the next start reads the file as an earlier one's and would not)", async () => {
    const fresh = mkdtempSync(path.join(tmpdir(), "switchyard-first-"));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(["serve"], { cwd: fresh, env: { DATABASE_URL: "sqlite:s.db", PORT: String(taken), ADMIN_PORT: "0" } });
      expect(result.code).toBe(2);
      const secret = readFileSync(path.join(fresh, ".switchyard", "webhook-secret"), "utf8").trim();
      expect(result.stderr).toContain(`a new one was generated and kept in ${path.join(".switchyard", "webhook-secret")} (mode 0600); the next start uses it:\n\n    ${secret}\n`);
      expect(result.stderr).not.toContain("Next step");
    } finally {
      blocker.close();
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("a start that fails says nothing of next steps, and DATABASE_URL=sqlite://x is refused", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(["serve"], { cwd: dir, env: { DATABASE_URL: "sqlite:s.db", PORT: String(taken), ADMIN_PORT: "0" } });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`webhook port ${taken} is already in use`);
      expect(result.stderr).not.toContain("Next step");
    } finally {
      blocker.close();
    }
    const url = await runCli(["serve"], { cwd: dir, env: { DATABASE_URL: "sqlite://data.db", PORT: "0", ADMIN_PORT: "0" } });
    expect(url.code).toBe(2);
    expect(url.stderr).toContain("write sqlite:data.db for a file in the working directory");
    expect(existsSync("/data.db")).toBe(false);
  });

  it("stops gracefully on SIGTERM", async () => {
    const server = await startServeProcess(dir, { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:t.db" });
    children.push(server);
    expect((await post(server, 1)).status).toBe(202);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(existsSync(path.join(dir, "t.db.lock"))).toBe(false);
  });

  it("reading commands never create a database: a missing one is exit 2", async () => {
    for (const command of [["deliveries", "--json"], ["tasks", "--json"]]) {
      const result = await runCli(command, { cwd: dir, env: { DATABASE_URL: "sqlite:missing.db" } });
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/does not exist yet/) });
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(existsSync(path.join(dir, "missing.db"))).toBe(false);
    }
  });
});
