import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeId } from "../../src/store/store-id.js";
import { freePort, runCli } from "../support/serve-process.js";

// Through the admin API the CLI must exit as it does on the store: 2 when the server
// refuses the input (400), 1 when the server fails (5xx).

const PRUNED = { error: { code: "SWY_E_BAD_REQUEST", message: "delivery d1 cannot be re-routed: its body was pruned (store.retention.bodies), so it can no longer be routed or run again" } };
const FAILED = { error: { code: "SWY_E_INTERNAL", message: "internal error" } };

describe("the CLI's exit code for an admin API refusal", () => {
  let dir: string;
  let server: Server;
  let env: Record<string, string>;
  let answer: { status: number; body: unknown };
  /** An answer for one POST path, over `answer`. */
  let answers: Record<string, { status: number; body: unknown }> = {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-refusals-"));
    writeFileSync(path.join(dir, "switchyard.config.yaml"), "recovery:\n  hooks: [{ repository: octo/hello, id: 12 }]\n");
    const port = await freePort();
    // Nothing listens on this database's port: the CLI must only ever talk to the server.
    const databaseUrl = `postgres://app@127.0.0.1:${await freePort()}/switchyard`;
    env = { DATABASE_URL: databaseUrl, ADMIN_PORT: String(port) };
    // A server of this very store, answering every POST with `answer`.
    server = createServer((req, res) => {
      const reply = req.method === "POST" ? (answers[req.url ?? ""] ?? answer) : { status: 200, body: req.url === "/healthz" ? { status: "ok", role: "all" } : {} };
      res.writeHead(reply.status, { "content-type": "application/json", "x-switchyard-store": storeId(databaseUrl, dir) }).end(JSON.stringify(reply.body));
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 2 when the server refuses to replay a delivery whose body was pruned", async () => {
    answer = { status: 400, body: PRUNED };
    const result = await runCli(["replay", "d1"], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("its body was pruned");
  });

  it("names the deliveries replayed before the one refused, so that running it again leaves them out", async () => {
    answers = { "/api/deliveries/d0/replay": { status: 200, body: { tasks: [{ id: "40", agent: "IssueAgent", status: "ready" }] } } };
    answer = { status: 400, body: PRUNED };
    try {
      const result = await runCli(["replay", "d0", "d1"], { cwd: dir, env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain("its body was pruned");
      expect(result.stderr).toContain("(replayed before it: d0; leave them out when you run it again)");
    } finally {
      answers = {};
    }
  });

  it.each([
    ["replay", ["replay", "d1"]],
    ["replay --dead", ["replay", "--dead"]],
    ["prune", ["prune"]],
    ["redeliver", ["redeliver"]],
  ])("%s: exit 2 for a 400, exit 1 for a 500", async (_name, args) => {
    answer = { status: 400, body: { error: { code: "SWY_E_BAD_REQUEST", message: "bad input" } } };
    const refused = await runCli(args, { cwd: dir, env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain("bad input");
    answer = { status: 500, body: FAILED };
    const failed = await runCli(args, { cwd: dir, env });
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toContain("(500)");
  });

  it.each([
    ["replay", ["replay", "d1"]],
    ["replay --task", ["replay", "--task", "1"]],
    ["replay --dead", ["replay", "--dead"]],
    ["prune", ["prune"]],
    ["redeliver", ["redeliver"]],
  ])("%s: exit 2 for a 401, naming ADMIN_TOKEN: the fix is the token, as docs/errors.md says", async (_name, args) => {
    answer = { status: 401, body: { error: { code: "SWY_E_UNAUTHORIZED", message: "missing or invalid admin token" } } };
    const missing = await runCli(args, { cwd: dir, env });
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toMatch(/wants its admin token: set ADMIN_TOKEN/);
    const wrong = await runCli(args, { cwd: dir, env: { ...env, ADMIN_TOKEN: "not-the-servers" } });
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr).toMatch(/rejected the admin token: set ADMIN_TOKEN/);
  });
});
