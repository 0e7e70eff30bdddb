import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { createWorkdir, runCli } from "../support/run-cli.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";
import { RAW_CONTROL } from "../support/raw-control.js";

// Agents echo what strangers wrote (issue titles, comments), and their output, their errors
// and the payload are printed by the text output of `tasks show`, `deliveries show`,
// `tasks`, `deliveries` and `route`, and written into the job summary. A terminal acts on
// ESC sequences, C1 controls and bidi overrides: they must arrive as visible text
// (`\u001b`), while --json keeps the exact text.

/** ESC sequences (colour, clear screen, window title), BEL, a lone CR, C1 CSI, DEL and bidi overrides. */
const HOSTILE = "\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x1b[2J over\rwrite \x9b31m \x7f \u202eevil\u202c \u2066iso\u2069";
/** The same, as it must be shown. */
const SHOWN = "\\u001b[31mRED\\u001b[0m \\u001b]0;pwned\\u0007 \\u001b[2J over\\u000dwrite \\u009b31m \\u007f \\u202eevil\\u202c \\u2066iso\\u2069";

/** An issues.opened event whose title, and repository name, someone chose. */
function hostileIssue(): Record<string, unknown> {
  const opened = exampleOf("issues", "opened") as { issue: { title: string }; repository: { full_name: string } };
  opened.issue.title = `Crash ${HOSTILE}`;
  opened.repository.full_name = `Codertocat/Hello\x1b[5m-World`;
  return opened;
}

describe("text output never prints control characters that others wrote", () => {
  let server: TestServer;
  let agentHost: Server;
  let env: Record<string, string>;
  let echoTask: string;
  let httpTask: string;

  beforeAll(async () => {
    // An http agent that refuses with the title in its answer: the text becomes the error.
    agentHost = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const title = (JSON.parse(body) as { payload: { issue: { title: string } } }).payload.issue.title;
        res.writeHead(422, { "content-type": "text/plain" }).end(`cannot handle: ${title}`);
      });
    });
    await new Promise<void>((resolve) => agentHost.listen(0, "127.0.0.1", resolve));
    const agentUrl = `http://127.0.0.1:${(agentHost.address() as AddressInfo).port}/run`;
    // An exec agent that echoes the issue's title, as agents do, and fails.
    const echo = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const t=JSON.parse(s).payload.issue.title;console.log('title: '+t+'\\nline two');console.error('oops '+t);process.exit(1)})";
    server = await startTestServer({
      agents: { IssueAgent: { exec: [process.execPath, "-e", echo] }, Triage: { http: { url: agentUrl, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } } },
      routing: { rules: [{ id: "triage", when: { event: "issues", action: "opened" }, agent: "Triage", priority: "critical", action: "Triage", continue: true }] },
      retry: { maxRetries: 0 },
    });
    env = { DATABASE_URL: `sqlite:${server.dbFile}` };
    const res = await server.deliver("issues", hostileIssue(), { delivery: "ctl-1" });
    expect(res.status).toBe(202);
    echoTask = res.body.routed.find((r: { agent: string }) => r.agent === "IssueAgent").task;
    httpTask = res.body.routed.find((r: { agent: string }) => r.agent === "Triage").task;
    await waitFor(async () => (await server.store.getTask(echoTask))?.status === "dead" && (await server.store.getTask(httpTask))?.status === "dead", 20_000);
  });
  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => agentHost.close(resolve));
  });

  it("tasks show writes an agent's output out: \\u001b for ESC, \\u202e for a bidi override", async () => {
    const result = await runCli(["tasks", "show", echoTask], { cwd: server.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    // Line breaks stay, indented under `output:`.
    expect(result.stdout).toContain(`      title: Crash ${SHOWN}\n      line two\n`);
  });

  it("tasks show writes an error out, and keeps it on its line", async () => {
    const result = await runCli(["tasks", "show", httpTask], { cwd: server.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stdout).toMatch(/^ {2}last error: HTTP 422 from 127\.0\.0\.1:\d+: cannot handle: Crash \\u001b\[31mRED/m);
    expect(result.stdout).toMatch(/^ {4}error: HTTP 422 .*\\u202eevil\\u202c/m);
  });

  it("deliveries show, deliveries and tasks do the same", async () => {
    for (const args of [["deliveries", "show", "ctl-1"], ["deliveries"], ["tasks"]]) {
      const result = await runCli(args, { cwd: server.dir, env });
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      expect(result.stdout, args.join(" ")).not.toMatch(RAW_CONTROL);
    }
    const shown = await runCli(["deliveries", "show", "ctl-1"], { cwd: server.dir, env });
    // A repository name that is not GitHub's (control characters) is taken as absent, not printed.
    expect(shown.stdout).toContain("repository: -\n");
    expect(shown.stdout).toContain(`title: Crash ${SHOWN}`);
    const tasks = await runCli(["tasks"], { cwd: server.dir, env });
    expect(tasks.stdout).toContain("cannot handle: Crash \\u001b[31mRED");
  });

  it("--json keeps the exact text", async () => {
    const task = JSON.parse((await runCli(["tasks", "show", echoTask, "--json"], { cwd: server.dir, env })).stdout);
    expect(task.attempt_log[0].output).toContain(`title: Crash ${HOSTILE}\nline two`);
    const delivery = JSON.parse((await runCli(["deliveries", "show", "ctl-1", "--json"], { cwd: server.dir, env })).stdout);
    expect(delivery.repository).toBeNull();
    expect(delivery.tasks.find((t: { id: string }) => t.id === httpTask).last_error).toContain(HOSTILE.replace("\r", " "));
  });
});

describe("route: the job summary, the annotations and the lines printed", () => {
  const work = createWorkdir();
  afterAll(() => work.remove());

  it("write control characters out, and an annotation stays one workflow command", async () => {
    const echo = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{console.log(JSON.parse(s).payload.issue.title);process.exit(1)})";
    work.write(
      "switchyard.config.yaml",
      `agents:\n  IssueAgent: { exec: ${JSON.stringify([process.execPath, "-e", echo])} }\nretry: { maxRetries: 0 }\n`,
    );
    const payload = hostileIssue();
    // A title that tries to start a workflow command of its own on a new line.
    (payload.issue as { title: string }).title += "\n::warning::injected";
    const event = work.write("event.json", payload);
    const summary = work.write("summary.md", "");
    const result = await runCli(["route", "--event", "issues", "--payload", event], {
      cwd: work.dir,
      env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary, LOG_LEVEL: "silent" },
    });
    expect(result.code).toBe(1);
    const written = readFileSync(summary, "utf8");
    expect(written).not.toMatch(RAW_CONTROL);
    // The agent's output (the title, and the line it tried to start) is a code block: written out as \u001b.
    expect(written).toContain("\\u001b[31mRED\\u001b[0m");
    expect(written).toContain("\\u202eevil\\u202c");
    expect(written).toContain("\n    ::warning::injected\n");
    for (const stream of [result.stdout, result.stderr]) {
      expect(stream).not.toMatch(RAW_CONTROL);
      // Only switchyard's own annotation starts a line with `::`.
      expect(stream.split("\n").filter((line) => line.startsWith("::"))).toEqual(stream === result.stderr ? [expect.stringMatching(/^::error title=switchyard%3A IssueAgent failed::/)] : []);
    }
  });
});
