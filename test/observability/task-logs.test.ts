import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/app/start-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { PermanentError, TransientError } from "../../src/queue/agent-errors.js";
import { signPayload } from "../../src/security/verify-signature.js";
import { exampleOf } from "../support/examples.js";
import { waitFor } from "../support/wait-for.js";

const SECRET = "log-test-webhook-secret-value";
const TITLE = `a title that must never reach the log ${Math.random()}`;

interface Line {
  level: number;
  msg: string;
  [key: string]: unknown;
}

describe("logs of a delivery and its tasks", () => {
  const lines: Line[] = [];
  const raw: string[] = [];
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-logs-"));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString("utf8").split("\n").filter(Boolean)) {
          raw.push(text);
          lines.push(JSON.parse(text) as Line);
        }
        done();
      },
    });
    const loaded = parseConfig({
      server: { port: 0, host: "127.0.0.1" },
      admin: { port: 0 },
      store: { url: `sqlite:${path.join(dir, "s.db")}` },
      retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20, multiplier: 2 },
      agents: { Broken: { exec: ["true"] }, Flaky: { exec: ["true"] } },
      routing: {
        rules: [
          { id: "broken", when: { event: "issues", action: "opened", label: "broken" }, agent: "Broken", priority: "critical", action: "break" },
          { id: "flaky", when: { event: "issues", action: "opened", label: "flaky" }, agent: "Flaky", priority: "critical", action: "retry once" },
        ],
      },
    });
    let flakyRuns = 0;
    server = await startServer({
      loaded,
      secrets: [SECRET],
      logger: createLogger("info", sink),
      cwd: dir,
      env: {},
      pollMs: 20,
      executorFor: (agent) => async () => {
        if (agent === "Broken") throw new PermanentError("bad input");
        if (++flakyRuns === 1) throw new TransientError("busy");
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function deliver(label: string, delivery: string): Promise<string> {
    const payload = exampleOf("issues", "opened") as unknown as { issue: { title: string; labels: { name: string }[] } };
    payload.issue.title = TITLE;
    payload.issue.labels = [{ name: label }];
    const body = JSON.stringify(payload);
    const res = await fetch(server.webhookUrl!, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": delivery, "x-hub-signature-256": signPayload(SECRET, Buffer.from(body)) },
      body,
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { routed: { task: string }[] }).routed[0]!.task;
  }

  it("carries delivery, task and agent on every task line, warns for a dead task, and never logs the payload or the secret", async () => {
    const brokenTask = await deliver("broken", "log-broken");
    const flakyTask = await deliver("flaky", "log-flaky");
    const finished = (task: string) => lines.filter((l) => l.msg === "task attempt finished" && l.task === task);
    await waitFor(() => finished(brokenTask).length === 1 && finished(flakyTask).length === 2);

    const accepted = lines.find((l) => l.msg === "delivery accepted" && l.delivery === "log-broken");
    expect(accepted).toMatchObject({ level: 30, delivery: "log-broken", event: "issues", routed: [{ agent: "Broken", task: brokenTask }] });

    // pino levels: 30 info, 40 warn.
    expect(finished(brokenTask)).toEqual([expect.objectContaining({ level: 40, delivery: "log-broken", task: brokenTask, agent: "Broken", attempt: 1, status: "dead", error: "bad input" })]);
    expect(finished(flakyTask).map((l) => [l.level, l.status, l.attempt, l.delivery, l.agent])).toEqual([
      [30, "ready", 1, "log-flaky", "Flaky"],
      [30, "succeeded", 2, "log-flaky", "Flaky"],
    ]);
    // When each attempt started and how long its agent ran.
    for (const line of [...finished(brokenTask), ...finished(flakyTask)]) {
      expect(line.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(line.runMs).toEqual(expect.any(Number));
    }
    expect(raw.some((text) => text.includes(TITLE))).toBe(false);
    expect(raw.some((text) => text.includes(SECRET))).toBe(false);
  });
});
