import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { runCli } from "../support/run-cli.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

/** What a command given --json prints on stdout when it fails: the stderr message as one JSON line. */
const failedJson = (args: readonly string[], message: string): string => (args.includes("--json") ? `${JSON.stringify({ ok: false, error: message })}\n` : "");

// `deliveries show` and `tasks show`: what a delivery's tasks did, including the GitHub
// writes a dry run only recorded, read from the store by the real CLI.
describe("deliveries show / tasks show", () => {
  let server: TestServer;
  let env: Record<string, string>;
  let issueDelivery: string;
  let issueTask: string;
  let deadTask: string;

  beforeAll(async () => {
    // No GitHub credentials: IssueAgent runs in dry-run and records what it would write.
    server = await startTestServer({ agents: { ReviewAgent: { exec: [process.execPath, "-e", "console.error('lint failed: 3 errors'); process.exit(1)"] } } });
    env = { DATABASE_URL: `sqlite:${server.dbFile}` };
    const opened = exampleOf("issues", "opened") as { issue: { title: string; body: string | null } };
    opened.issue.title = "Crash on save: TypeError in the editor";
    opened.issue.body = "Steps:\n1. open\n2. save\nIt crashes.";
    issueDelivery = "show-issue-1";
    const res = await server.deliver("issues", opened, { delivery: issueDelivery });
    expect(res.status).toBe(202);
    issueTask = res.body.routed[0].task;
    const pr = await server.deliver("pull_request", exampleOf("pull_request", "opened"), { delivery: "show-pr-1" });
    expect(pr.status).toBe(202);
    deadTask = pr.body.routed.find((r: { agent: string }) => r.agent === "ReviewAgent").task;
    await waitFor(async () => (await server.store.getTask(issueTask))?.status === "succeeded" && (await server.store.getTask(deadTask))?.status === "dead", 20_000);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("tasks show --json prints the task whole with the label names and comment body it would have written", async () => {
    const result = await runCli(["tasks", "show", issueTask, "--json"], { cwd: server.dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    const task = JSON.parse(result.stdout);
    expect(task).toMatchObject({ id: issueTask, delivery: issueDelivery, agent: "IssueAgent", rule: "issue-opened", status: "succeeded", attempts: 1 });
    expect(task.attempt_log).toEqual([expect.objectContaining({ n: 1, outcome: "succeeded", error: null, retry_delay_ms: null })]);
    const writes = task.github_writes as { method: string; route: string; body: Record<string, unknown>; dry_run: boolean }[];
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((w) => w.dry_run)).toBe(true);
    const labels = writes.find((w) => w.route.endsWith("/issues/1/labels"));
    // The route's placeholders filled in from the request, the body without them.
    expect(labels).toMatchObject({ method: "POST", route: "/repos/Codertocat/Hello-World/issues/1/labels" });
    expect(labels!.body).toEqual({ labels: expect.arrayContaining(["type:bug"]) });
    // The comment it would have posted, whole.
    const comments = writes.filter((w) => w.route === "/repos/Codertocat/Hello-World/issues/1/comments").map((w) => w.body.body as string);
    expect(comments).toEqual([expect.stringContaining("| issues.opened | IssueAgent (issue-opened) | succeeded")]);
  });

  it("tasks show prints the same for people", async () => {
    const result = await runCli(["tasks", "show", issueTask], { cwd: server.dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`task ${issueTask}  IssueAgent  rule issue-opened`);
    expect(result.stdout).toContain("GitHub writes (dry-run: recorded, not sent):");
    expect(result.stdout).toContain("POST /repos/Codertocat/Hello-World/issues/1/labels");
    expect(result.stdout).toMatch(/labels: \[.*"type:bug".*\]/);
    // A comment's Markdown as text, line by line.
    expect(result.stdout).toContain("| issues.opened | IssueAgent (issue-opened) | succeeded");
  });

  it("deliveries show --json has the headers (no secrets), the decision, each task, attempt and error", async () => {
    const result = await runCli(["deliveries", "show", "show-pr-1", "--json"], { cwd: server.dir, env });
    expect(result.code).toBe(0);
    const d = JSON.parse(result.stdout);
    expect(d).toMatchObject({ delivery: "show-pr-1", event: "pull_request", action: "opened", status: "failed", repository: "Codertocat/Hello-World" });
    expect(d.headers).toMatchObject({ "x-github-event": "pull_request", "x-github-delivery": "show-pr-1" });
    expect(Object.keys(d.headers).some((h) => /authorization|cookie|token/i.test(h))).toBe(false);
    expect(d.decision).toMatchObject({ agent: "ReviewAgent" });
    expect(typeof d.received_at).toBe("string");
    const dead = d.tasks.find((t: { id: string }) => t.id === deadTask);
    expect(dead).toMatchObject({ status: "dead", agent: "ReviewAgent" });
    expect(dead.attempt_log[0]).toMatchObject({ outcome: "permanent" });
    expect(dead.attempt_log[0].output).toContain("lint failed: 3 errors");
    expect(d.payload.pull_request.number).toBe(exampleOf("pull_request", "opened").pull_request.number);
  });

  it("deliveries show prints it for people, and `deliveries` still lists", async () => {
    const shown = await runCli(["deliveries", "show", issueDelivery], { cwd: server.dir, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`delivery ${issueDelivery}`);
    expect(shown.stdout).toContain("decision: issue-opened → IssueAgent (high)");
    expect(shown.stdout).toContain("x-github-event: issues");
    const listed = await runCli(["deliveries", "--json"], { cwd: server.dir, env });
    expect(JSON.parse(listed.stdout).map((r: { delivery: string }) => r.delivery).sort()).toEqual([issueDelivery, "show-pr-1"].sort());
  });

  it("deliveries lists one event's or one repository's; tasks lists one delivery's; a mistyped event is refused", async () => {
    const ids = async (args: string[]) => {
      const result = await runCli(["deliveries", ...args, "--json"], { cwd: server.dir, env });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout).map((r: { delivery: string }) => r.delivery);
    };
    expect(await ids(["--event", "pull_request"])).toEqual(["show-pr-1"]);
    expect(await ids(["--event", "pull_request", "--status", "failed"])).toEqual(["show-pr-1"]);
    expect((await ids(["--repository", (exampleOf("issues", "opened") as { repository: { full_name: string } }).repository.full_name])).sort()).toContain(issueDelivery);
    expect(await ids(["--repository", "nobody/nothing"])).toEqual([]);
    const typo = await runCli(["deliveries", "--event", "pull_requst"], { cwd: server.dir, env });
    expect(typo).toMatchObject({ code: 2, stdout: "" });
    expect(typo.stderr).toBe('switchyard: event "pull_requst" is not a GitHub webhook event: did you mean pull_request?\n');
    const badRepo = await runCli(["deliveries", "--repository", "hello"], { cwd: server.dir, env });
    expect(badRepo.code).toBe(2);
    expect(badRepo.stderr).toContain("--repository is owner/name");
    const tasks = await runCli(["tasks", "--delivery", "show-pr-1", "--json"], { cwd: server.dir, env });
    expect(JSON.parse(tasks.stdout).map((t: { id: string }) => t.id)).toContain(deadTask);
    expect(JSON.parse(tasks.stdout).every((t: { delivery: string }) => t.delivery === "show-pr-1")).toBe(true);
  });

  it("deliveries --repository R --number N lists what came about one issue or pull request, on the CLI and the admin API", async () => {
    const issue = exampleOf("issues", "opened") as { repository: { full_name: string }; issue: { number: number } };
    const pr = exampleOf("pull_request", "opened") as { repository: { full_name: string }; pull_request: { number: number } };
    expect(issue.issue.number).not.toBe(pr.pull_request.number);
    const ids = async (args: string[]) => {
      const result = await runCli(["deliveries", ...args, "--json"], { cwd: server.dir, env });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout).map((r: { delivery: string }) => r.delivery);
    };
    expect(await ids(["--repository", issue.repository.full_name, "--number", String(issue.issue.number)])).toEqual([issueDelivery]);
    expect(await ids(["--repository", pr.repository.full_name, "--number", String(pr.pull_request.number)])).toEqual(["show-pr-1"]);
    const api = (await (await fetch(`${server.adminUrl}/api/deliveries?repository=${issue.repository.full_name}&number=${issue.issue.number}`)).json()) as { delivery: string }[];
    expect(api.map((d) => d.delivery)).toEqual([issueDelivery]);
    const cases: [string[], string, string][] = [
      [["--number", "1"], "number=1", "--number needs the repository too: issue and pull request numbers are per repository"],
      [["--repository", "octo/hello", "--number", "#1"], "repository=octo/hello&number=%231", '--number must be an issue or pull request number (digits, from 1), not "#1"'],
    ];
    for (const [args, query, message] of cases) {
      const cli = await runCli(["deliveries", ...args], { cwd: server.dir, env });
      expect(cli, args.join(" ")).toMatchObject({ code: 2, stdout: "", stderr: `switchyard: ${message}\n` });
      const res = await fetch(`${server.adminUrl}/api/deliveries?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toEqual({ error: { code: "SWY_E_BAD_REQUEST", message: message.replace(/^--/, "") } });
    }
  });

  it("tasks --before ID pages newest first on the CLI and the admin API; the API answers at most 1000 rows a list", async () => {
    const all = await runCli(["tasks", "--json"], { cwd: server.dir, env });
    const ids = JSON.parse(all.stdout).map((t: { id: string }) => t.id) as string[];
    expect(ids.length).toBeGreaterThan(1);
    const page = await runCli(["tasks", "--before", ids[0]!, "--json"], { cwd: server.dir, env });
    expect(page.code, page.stderr).toBe(0);
    expect(JSON.parse(page.stdout).map((t: { id: string }) => t.id)).toEqual(ids.slice(1));
    const api = (await (await fetch(`${server.adminUrl}/api/tasks?before=${ids[0]}&limit=1`)).json()) as { id: string }[];
    expect(api.map((t) => t.id)).toEqual([ids[1]]);
    const bad = await runCli(["tasks", "--before", "abc"], { cwd: server.dir, env });
    expect(bad).toMatchObject({ code: 2, stderr: 'switchyard: --before must be a task id (digits, as the lists print them), not "abc"\n' });
    const badApi = await fetch(`${server.adminUrl}/api/tasks?before=abc`);
    expect(badApi.status).toBe(400);
    for (const list of ["deliveries", "tasks"]) {
      expect((await fetch(`${server.adminUrl}/api/${list}?limit=1000`)).status, list).toBe(200);
      const over = await fetch(`${server.adminUrl}/api/${list}?limit=1001`);
      expect(over.status, list).toBe(400);
      expect(((await over.json()) as { error: { message: string } }).error.message).toMatch(/^limit 1001 is over the 1000 rows one admin API list answers: page with before/);
    }
  });

  it("options given between the list and show are show's: --config and --json are honoured, never dropped", async () => {
    // No DATABASE_URL: the store is the config file's, so a dropped --config opens the default database.
    const cfg = path.join(server.dir, "s2.yaml");
    writeFileSync(cfg, `store:\n  url: "sqlite:${server.dbFile}"\n`);
    const elsewhere = mkdtempSync(path.join(tmpdir(), "switchyard-show-"));
    try {
      for (const args of [["tasks", "-c", cfg, "show", issueTask, "--json"], ["tasks", "--config", cfg, "--json", "show", issueTask], ["--config", cfg, "tasks", "show", issueTask, "--json"]]) {
        const result = await runCli(args, { cwd: elsewhere });
        expect(result, args.join(" ")).toMatchObject({ code: 0, stderr: "" });
        expect(JSON.parse(result.stdout)).toMatchObject({ id: issueTask });
      }
      const delivery = await runCli(["deliveries", "-c", cfg, "--json", "show", issueDelivery], { cwd: elsewhere });
      expect(delivery).toMatchObject({ code: 0, stderr: "" });
      expect(JSON.parse(delivery.stdout)).toMatchObject({ delivery: issueDelivery });
      // The same file on both sides is one --config; two files are refused.
      expect((await runCli(["tasks", "-c", cfg, "show", issueTask, "-c", cfg, "--json"], { cwd: elsewhere })).code).toBe(0);
      const two = await runCli(["tasks", "-c", cfg, "show", issueTask, "-c", "other.yaml"], { cwd: elsewhere });
      expect(two).toMatchObject({ code: 2, stdout: "" });
      expect(two.stderr).toBe(`switchyard: --config names two files, ${cfg} before the command and other.yaml after it: give one\n`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
    const json = await runCli(["deliveries", "--json", "show", issueDelivery], { cwd: server.dir, env });
    expect(json).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(json.stdout)).toMatchObject({ delivery: issueDelivery });
  });

  it("a list's filter given before show is refused (exit 2), not ignored", async () => {
    const cases: [string[], string][] = [
      [["deliveries", "--status", "failed", "show", issueDelivery], "deliveries show takes no --status: it is an option of deliveries"],
      [["deliveries", "--limit", "5", "--json", "show", issueDelivery], "deliveries show takes no --limit: it is an option of deliveries"],
      [["tasks", "--agent", "IssueAgent", "show", issueTask], "tasks show takes no --agent: it is an option of tasks"],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { cwd: server.dir, env });
      expect(result, args.join(" ")).toMatchObject({ code: 2, stdout: failedJson(args, message), stderr: `switchyard: ${message}\n` });
    }
  });

  it("an empty --limit or ?limit= is refused (exit 2, 400), not taken as the default 50", async () => {
    const message = '--limit must be a positive whole number, not ""';
    for (const args of [["deliveries", "--limit", "", "--json"], ["tasks", "--limit="]]) {
      const result = await runCli(args, { cwd: server.dir, env });
      expect(result, args.join(" ")).toMatchObject({ code: 2, stdout: failedJson(args, message), stderr: `switchyard: ${message}\n` });
    }
    for (const list of ["deliveries", "tasks"]) {
      const res = await fetch(`${server.adminUrl}/api/${list}?limit=`);
      expect(res.status, list).toBe(400);
      expect(await res.json()).toEqual({ error: { code: "SWY_E_BAD_REQUEST", message: 'limit must be a positive whole number, not ""' } });
    }
  });

  it("the admin API refuses a mistyped ?event= or a ?repository= that is not owner/name as the CLI does, with the same message", async () => {
    const cases: [string[], string, string][] = [
      [["--event", "isues"], "event=isues", 'event "isues" is not a GitHub webhook event: did you mean issues?'],
      [["--repository", "hello"], "repository=hello", '--repository is owner/name, like octo-org/hello, not "hello"'],
      // The event as the lists show it, with its action.
      [["--event", "issues.opened"], "event=issues.opened", 'event "issues.opened" names an action as well: give the event alone, issues'],
      [["--event", "pull_request_target"], "event=pull_request_target", 'event "pull_request_target" is a GitHub Actions trigger, never sent as a webhook: its payload is a pull_request event\'s (use pull_request)'],
    ];
    for (const [args, query, message] of cases) {
      const cli = await runCli(["deliveries", ...args, "--json"], { cwd: server.dir, env });
      expect(cli, args.join(" ")).toMatchObject({ code: 2, stdout: failedJson(["--json"], message), stderr: `switchyard: ${message}\n` });
      const res = await fetch(`${server.adminUrl}/api/deliveries?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toEqual({ error: { code: "SWY_E_BAD_REQUEST", message: message.replace(/^--/, "") } });
    }
  });

  it("an event newer than switchyard's table is stored, so its deliveries can be listed by it on the CLI and the admin API", async () => {
    // A signed delivery of an event GitHub may add later: the webhook stores it (no rule routes it).
    const res = await server.deliver("code_quality_finding", { action: "created", repository: exampleOf("issues", "opened").repository }, { delivery: "show-new-event-1" });
    expect(res.status).toBe(202);
    const cli = await runCli(["deliveries", "--event", "code_quality_finding", "--json"], { cwd: server.dir, env });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).map((d: { delivery: string }) => d.delivery)).toEqual(["show-new-event-1"]);
    const api = (await (await fetch(`${server.adminUrl}/api/deliveries?event=code_quality_finding`)).json()) as { delivery: string }[];
    expect(api.map((d) => d.delivery)).toEqual(["show-new-event-1"]);
    // An unknown name nothing was stored under is still a typo.
    const none = await runCli(["deliveries", "--event", "code_quality_findings"], { cwd: server.dir, env });
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('event "code_quality_findings" is not a GitHub webhook event') });
  });

  it("the repository filter ignores letter case, as GitHub's names do, on the CLI and the admin API", async () => {
    for (const repository of ["codertocat/hello-world", "CODERTOCAT/Hello-World"]) {
      const cli = await runCli(["deliveries", "--repository", repository, "--json"], { cwd: server.dir, env });
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).map((d: { delivery: string }) => d.delivery)).toContain(issueDelivery);
      const api = (await (await fetch(`${server.adminUrl}/api/deliveries?repository=${encodeURIComponent(repository)}`)).json()) as { delivery: string; repository: string }[];
      // Listed as GitHub spelled it.
      expect(api.find((d) => d.delivery === issueDelivery)).toMatchObject({ repository: "Codertocat/Hello-World" });
    }
  });

  it("an unknown id is exit 2 with a message that says what to do", async () => {
    const task = await runCli(["tasks", "show", "999999"], { cwd: server.dir, env });
    expect(task.code).toBe(2);
    expect(task.stderr).toMatch(/no task 999999 .*switchyard tasks/);
    // Retention is one reason an id that once existed is gone: said, so no one hunts for a bug.
    expect(task.stderr).toContain("no task had that id, or it was deleted with its delivery once that was older than store.retention.rows");
    const api = await fetch(`${server.adminUrl}/api/tasks/999999`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { message: string } }).error.message).toContain("store.retention.rows");
    for (const [kind, args] of [["task", ["replay", "--task", "999999"]], ["delivery", ["replay", "nope"]]] as const) {
      const replay = await runCli([...args], { cwd: server.dir, env });
      expect(replay.code, replay.stderr).toBe(2);
      expect(replay.stderr).toContain(`no such ${kind}:`);
      expect(replay.stderr).toContain("(nothing was replayed): ");
      expect(replay.stderr).toContain("store.retention.rows");
    }
    const delivery = await runCli(["deliveries", "show", "nope"], { cwd: server.dir, env });
    expect(delivery.code).toBe(2);
    expect(delivery.stderr).toMatch(/no delivery nope/);
  });

  it("a duplicate's id is not in the store, and the message says why and where to look", async () => {
    const again = await server.deliver("issues", null, { raw: (await server.store.getDelivery(issueDelivery))!.body, delivery: "show-issue-dup" });
    expect(again.body).toMatchObject({ duplicate: true, duplicate_of: issueDelivery });
    const expected =
      "no delivery show-issue-dup in the store: a duplicate (the same body as a stored delivery) and a refused request (bad signature, rate limit, too large…) are not stored; the server's log names the delivery id of a duplicate (with duplicate_of, the stored one), of a failed signature check and, at info, of a request refused as malformed or too large; a delivery older than store.retention.rows is deleted";
    const shown = await runCli(["deliveries", "show", "show-issue-dup"], { cwd: server.dir, env });
    expect(shown).toMatchObject({ code: 2, stderr: `switchyard: ${expected}; switchyard deliveries lists the recent ones\n` });
    const api = await fetch(`${server.adminUrl}/api/deliveries/show-issue-dup`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: { code: "SWY_E_NOT_FOUND", message: expected } });
  });

  it("the admin API answers the same documents", async () => {
    const task = await (await fetch(`${server.adminUrl}/api/tasks/${issueTask}`)).json();
    const cli = JSON.parse((await runCli(["tasks", "show", issueTask, "--json"], { cwd: server.dir, env })).stdout);
    expect(task).toEqual(cli);
    const delivery = await (await fetch(`${server.adminUrl}/api/deliveries/show-pr-1`)).json();
    expect(delivery.tasks.map((t: { id: string }) => t.id)).toContain(deadTask);
    expect((await fetch(`${server.adminUrl}/api/tasks/999999`)).status).toBe(404);
  });

  it("deliveries --before ID and ?before= list the next page, after that delivery, with the filters", async () => {
    const all = JSON.parse((await runCli(["deliveries", "--json"], { cwd: server.dir, env })).stdout).map((d: { delivery: string }) => d.delivery);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const page = async (args: string[]) => JSON.parse((await runCli(["deliveries", ...args, "--json"], { cwd: server.dir, env })).stdout).map((d: { delivery: string }) => d.delivery);
    expect(await page(["--before", all[0]])).toEqual(all.slice(1));
    expect(await page(["--before", all[0], "--limit", "1"])).toEqual([all[1]]);
    expect(await page(["--before", all.at(-1)])).toEqual([]);
    const api = async (query: string) => ((await (await fetch(`${server.adminUrl}/api/deliveries?${query}`)).json()) as { delivery: string }[]).map((d) => d.delivery);
    expect(await api(`before=${encodeURIComponent(all[0])}`)).toEqual(all.slice(1));
    expect(await api(`before=${encodeURIComponent(all[0])}&event=issues&limit=1`)).toEqual([all.slice(1).find((id: string) => id.startsWith("show-issue"))]);
    // An id no list gave is a typo: refused, not an empty page that reads as "nothing older".
    const message = "before nope: no delivery with this id is stored (before takes the id of a listed delivery; one older than store.retention.rows is deleted)";
    const cli = await runCli(["deliveries", "--before", "nope", "--json"], { cwd: server.dir, env });
    expect(cli).toMatchObject({ code: 2, stdout: failedJson(["--json"], `--${message}`), stderr: `switchyard: --${message}\n` });
    const res = await fetch(`${server.adminUrl}/api/deliveries?before=nope`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "SWY_E_BAD_REQUEST", message } });
    const empty = await fetch(`${server.adminUrl}/api/deliveries?before=`);
    expect(await empty.json()).toEqual({ error: { code: "SWY_E_BAD_REQUEST", message: "before is empty: give the id of a listed delivery" } });
  });

  it("tasks show says a skipped task was not run and will not be, with why, not as an error", async () => {
    const later = Date.now() + 3_600_000;
    const push = (id: string) => ({ id, signature: null, event: "push", action: null, repository: "octo/hello", installation: null, headers: {}, body: Buffer.from("{}"), receivedAt: Date.now() });
    const task = { rule: "deploy-main", agent: "DeploymentAgent", action: "Deploy", priority: "high" as const, idempotencyKey: "deploy:octo/hello:abc:prod", runAt: later };
    const first = await server.store.accept(push("show-skip-1"), [task], { replayWindowMs: 0 });
    const second = await server.store.accept(push("show-skip-2"), [task], { replayWindowMs: 0 });
    if (first.duplicate || second.duplicate) throw new Error("not stored");
    const skipped = second.tasks[0]!;
    expect(skipped.status).toBe("skipped");
    const shown = await runCli(["tasks", "show", skipped.id], { cwd: server.dir, env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`  skipped: not run, nor will it be unless replayed: task ${first.tasks[0]!.id} already holds idempotency key deploy:octo/hello:abc:prod\n`);
    expect(shown.stdout).not.toContain("last error");
    // The JSON keeps its shape: the reason is still the task's last_error.
    const json = JSON.parse((await runCli(["tasks", "show", skipped.id, "--json"], { cwd: server.dir, env })).stdout);
    expect(json).toMatchObject({ status: "skipped", last_error: `skipped: task ${first.tasks[0]!.id} already holds idempotency key deploy:octo/hello:abc:prod` });
  });
});
