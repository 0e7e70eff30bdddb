import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeId } from "../../src/store/store-id.js";
import { exampleOf } from "../support/examples.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../support/postgres.js";
import { freePort, postSigned, runCli, startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

// The replaying commands use a running server only when it serves the CLI's own store:
// another project's server on the admin port must get nothing, not even the token.

const SECRET = "store-id-test-secret";
const TOKEN = "this-cli-token-is-not-for-other-servers";

interface Project {
  dir: string;
  env: Record<string, string>;
  server: ServeProcess | null;
  task: string;
}

type TaskRow = { id: string; status: string; attempts: number };

function projectDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-store-id-"));
  writeFileSync(path.join(dir, "fail.mjs"), `process.exit(3);`);
  writeFileSync(path.join(dir, "switchyard.config.yaml"), `agents:\n  IssueAgent: { exec: ["${process.execPath}", "${path.join(dir, "fail.mjs")}"] }\n`);
  return dir;
}

async function tasksOf(project: Project): Promise<TaskRow[]> {
  const result = await runCli(["tasks", "--json"], { cwd: project.dir, env: project.env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

async function taskOf(project: Project): Promise<TaskRow> {
  return (await tasksOf(project)).find((t) => t.id === project.task)!;
}

/** A project with its own `serve` on `databaseUrl` and one task, dead after one attempt. */
async function startProject(databaseUrl: string): Promise<Project> {
  const dir = projectDir();
  const server = await startServeProcess(dir, { WEBHOOK_SECRET: SECRET, DATABASE_URL: databaseUrl });
  const project: Project = { dir, server, env: { DATABASE_URL: databaseUrl }, task: "" };
  const res = await postSigned(server.webhookUrl, SECRET, "issues", exampleOf("issues", "opened"));
  expect(res.status).toBe(202);
  project.task = ((await res.json()) as { routed: { task: string }[] }).routed[0]!.task;
  await waitFor(async () => (await taskOf(project))?.status === "dead", 20_000, 200);
  return project;
}

async function stopProject(project: Project | undefined): Promise<void> {
  if (!project) return;
  if (project.server) {
    project.server.child.kill("SIGTERM");
    await project.server.exited;
  }
  rmSync(project.dir, { recursive: true, force: true });
}

describe("the CLI and a server of another store", () => {
  let ours: Project;
  let other: Project;

  beforeAll(async () => {
    [ours, other] = await Promise.all([startProject("sqlite:ours.db"), startProject("sqlite:other.db")]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([stopProject(ours), stopProject(other)]);
  });

  it("names the store on /healthz in a header, the body unchanged", async () => {
    const res = await fetch(`${ours.server!.adminUrl}/healthz`);
    expect(res.headers.get("x-switchyard-store")).toBe(storeId("sqlite:ours.db", ours.dir));
    expect(res.headers.get("x-switchyard-store")).not.toBe(storeId("sqlite:other.db", other.dir));
    expect(Object.keys((await res.json()) as object).sort()).toEqual(["adminListening", "draining", "migrated", "role", "status", "webhookListening"]);
  });

  it("replays through its own server, not the one on ADMIN_PORT", async () => {
    const env = { ...ours.env, ADMIN_PORT: String(other.server!.adminPort) };
    const result = await runCli(["replay", "--task", ours.task, "--json"], { cwd: ours.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ via: "api", replayed: [{ task: ours.task }] });
    await waitFor(async () => (await taskOf(ours)).attempts === 2, 20_000, 200);
    expect(await taskOf(other)).toMatchObject({ status: "dead", attempts: 1 });
  });

  it("prune --dry-run counts through the running server on SQLite too, with its retention: the preview of what prune then does", async () => {
    // This command's own config would keep everything for 100 days; the server's keeps its defaults.
    writeFileSync(path.join(ours.dir, "long.yaml"), "store:\n  retention: { bodies: 100d, rows: 100d }\n");
    const result = await runCli(["prune", "--dry-run", "--json", "-c", "long.yaml"], { cwd: ours.dir, env: ours.env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`switchyard: counted (dry run) through the running server at ${ours.server!.adminUrl}, with the store.retention of the config it started with`);
    const summary = JSON.parse(result.stdout) as { dry_run: boolean; bodies_before: string };
    expect(summary.dry_run).toBe(true);
    // The server's 30 days, not this file's 100.
    expect(Math.round((Date.now() - Date.parse(summary.bodies_before)) / 86_400_000)).toBe(30);
  });

  it("passes over a server that the lock file names but that serves another file", async () => {
    // A lock left by a crashed serve whose pid now belongs to a live process, naming an
    // admin port another project's serve has since taken.
    const { server } = ours;
    server!.child.kill("SIGTERM");
    await server!.exited;
    ours.server = null;
    writeFileSync(path.join(ours.dir, "ours.db.lock"), `${process.pid}\nadmin ${other.server!.adminUrl}\n`);
    const env = { ...ours.env, ADMIN_TOKEN: TOKEN };

    const replay = await runCli(["replay", "--task", ours.task, "--json"], { cwd: ours.dir, env });
    expect(replay.stdout).not.toContain('"via":"api"');
    expect(replay.stderr).toContain(`not using the server at ${other.server!.adminUrl}: it serves another store`);
    // The lock still names a live process: the store refuses the direct write, as it would anyway.
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain(`pid ${process.pid}`);
    expect(await taskOf(other)).toMatchObject({ status: "dead", attempts: 1 });

    const prune = await runCli(["prune", "--json"], { cwd: ours.dir, env });
    expect(prune.stderr).not.toContain("through the running server");
    expect(prune.stderr).toContain(`not using the server at ${other.server!.adminUrl}`);
  });
});

/** An HTTP server answering /healthz like a switchyard that names no store, recording what it is sent. */
async function startOldServer(): Promise<{ server: Server; port: number; requests: { url: string; headers: IncomingHttpHeaders }[] }> {
  const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", role: "all" }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port, requests };
}

describe("the CLI and a server that does not say which store it serves", () => {
  it("sends it nothing but the health probe, and no token", async () => {
    const old = await startOldServer();
    const dir = projectDir();
    try {
      // Nothing listens on this PostgreSQL port: the direct attempt fails, which is fine here.
      const env = { DATABASE_URL: `postgres://app:pw@127.0.0.1:${await freePort()}/nowhere`, ADMIN_PORT: String(old.port), ADMIN_TOKEN: TOKEN };
      const result = await runCli(["replay", "--task", "1", "--json"], { cwd: dir, env });
      expect(result.stdout).not.toContain('"via":"api"');
      expect(result.stderr).toContain(`not using the server at http://127.0.0.1:${old.port}: it does not say which store it serves`);
      expect(old.requests.map((r) => r.url)).toEqual(["/healthz"]);
      expect(old.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      old.server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the CLI and a lock naming a port where something else answers", () => {
  it("sends it nothing but the health probe, and refuses naming the pid (a stale lock whose pid was reused)", async () => {
    const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
    const stranger = createServer((req, res) => {
      requests.push({ url: req.url ?? "", headers: req.headers });
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    });
    const port = await freePort();
    await new Promise<void>((resolve) => stranger.listen(port, "127.0.0.1", resolve));
    const dir = projectDir();
    try {
      writeFileSync(path.join(dir, "ours.db"), "");
      writeFileSync(path.join(dir, "ours.db.lock"), `${process.pid}\nadmin http://127.0.0.1:${port}\n`);
      const env = { DATABASE_URL: "sqlite:ours.db", ADMIN_TOKEN: TOKEN };
      for (const args of [["replay", "some-delivery", "--json"], ["prune", "--dry-run", "--json"]]) {
        const result = await runCli(args, { cwd: dir, env });
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toContain(`pid ${process.pid} holds`);
        expect(result.stderr).toContain("GET /healthz answered 404, not a switchyard health report");
      }
      expect(requests.map((r) => r.url)).toEqual(["/healthz", "/healthz"]);
      expect(requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    } finally {
      stranger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describePg("the CLI on PostgreSQL and the server on its admin port", () => {
  let pgProject: Project;
  let sqliteProject: Project;

  beforeAll(async () => {
    const url = await createTestDatabase();
    [pgProject, sqliteProject] = await Promise.all([startProject(url), startProject("sqlite:other.db")]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([stopProject(pgProject), stopProject(sqliteProject)]);
    await dropTestDatabases();
  });

  it("replays on its own database when another project's server answers on ADMIN_PORT", async () => {
    const env = { ...pgProject.env, ADMIN_PORT: String(sqliteProject.server!.adminPort), ADMIN_TOKEN: TOKEN };
    const result = await runCli(["replay", "--task", pgProject.task, "--json"], { cwd: pgProject.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ via: "store", replayed: [{ task: pgProject.task }] });
    expect(result.stderr).toContain(`not using the server at ${sqliteProject.server!.adminUrl}: it serves another store`);
    await waitFor(async () => (await taskOf(pgProject)).attempts === 2, 20_000, 200);
    expect(await taskOf(sqliteProject)).toMatchObject({ status: "dead", attempts: 1 });

    const prune = await runCli(["prune", "--dry-run", "--json"], { cwd: pgProject.dir, env });
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stderr).not.toContain("through the running server");
  });

  it("uses its own server however DATABASE_URL spells the same database", async () => {
    const url = new URL(pgProject.env.DATABASE_URL!);
    const respelled = `postgresql://someone:secret@${url.host.toUpperCase()}${url.pathname}`;
    const env = { DATABASE_URL: respelled, ADMIN_PORT: String(pgProject.server!.adminPort) };
    const result = await runCli(["prune", "--dry-run", "--json"], { cwd: pgProject.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`counted (dry run) through the running server at ${pgProject.server!.adminUrl}`);
  });
});
