import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { createWorkdir, runAll, runCli } from "../support/run-cli.js";

/**
 * The layout docs/operations.md recommends: `github.dryRun: false` in the config, the
 * credentials only in the service's EnvironmentFile. An on-call shell has the config and
 * the database but no GITHUB_TOKEN: the commands that never call GitHub must still run.
 */
describe("commands that never call GitHub load a config whose credentials are elsewhere", () => {
  const work = createWorkdir();
  const env = { DATABASE_URL: "sqlite:ops.db" };
  const CREDENTIALS = /no GitHub credentials are set/;

  beforeAll(async () => {
    work.write("switchyard.config.yaml", "github:\n  dryRun: false\n  appId: 123\n");
    const store = createSqliteStore(path.join(work.dir, "ops.db"), { exclusive: true });
    await store.migrate();
    await store.close();
  });
  afterAll(() => work.remove());

  it("deliveries, tasks, kpi, prune and replay run without them", async () => {
    const commands = [["deliveries"], ["tasks"], ["kpi"], ["prune", "--dry-run"], ["replay", "--dead"]];
    const results = await runAll(commands, (args) => runCli(args, { cwd: work.dir, env }), 2);
    results.forEach((result, i) => {
      expect(result.stderr, commands[i]!.join(" ")).not.toMatch(CREDENTIALS);
      expect(result.stderr, commands[i]!.join(" ")).not.toMatch(/go together/);
      expect(result.code, `${commands[i]!.join(" ")}: ${result.stderr}`).toBe(0);
    });
  });

  it("deliveries show gets as far as the store", async () => {
    const result = await runCli(["deliveries", "show", "no-such-delivery"], { cwd: work.dir, env });
    expect(result.stderr).not.toMatch(CREDENTIALS);
    expect(result.stderr).toMatch(/no-such-delivery/);
  });

  it("check, which vets the config serve starts with, still refuses, as does route when it runs tasks", async () => {
    const payload = work.write("issue.json", { action: "opened", issue: { number: 1, title: "t", body: "", labels: [], user: { login: "u", type: "User" } }, repository: { full_name: "o/r", name: "r", owner: { login: "o" }, default_branch: "main" }, sender: { login: "u", type: "User" } });
    const [check, route, decideOnly] = await runAll(
      [["check"], ["route", "--event", "issues", "--payload", payload], ["route", "--dry-run", "--event", "issues", "--payload", payload]],
      (args) => runCli(args, { cwd: work.dir, env }),
      2,
    );
    expect(check!.code).toBe(2);
    expect(check!.stderr).toMatch(CREDENTIALS);
    expect(route!.code).toBe(2);
    expect(route!.stderr).toMatch(CREDENTIALS);
    // --dry-run decides only: nothing runs, GitHub is not called.
    expect(decideOnly!.stderr).not.toMatch(CREDENTIALS);
    expect(decideOnly!.code).toBe(0);
  });
});
