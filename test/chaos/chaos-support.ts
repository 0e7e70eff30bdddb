import { createHmac, randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exampleOf } from "../support/examples.js";

/** npm run chaos sets SWITCHYARD_CHAOS=long: the same scenarios, larger and longer. */
export const LONG = process.env.SWITCHYARD_CHAOS === "long";

export interface Signed {
  id: string;
  body: string;
  signature: string;
}

export type Answer = { status: number; body: Record<string, unknown> | null; ms: number } | { error: string; ms: number };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A signed issues.opened delivery with a unique id and body (so a unique signature). */
export function issueOpened(secret: string, n: number, tag: string, padBytes = 0): Signed {
  const payload = exampleOf("issues", "opened") as unknown as { issue: { number: number; title: string; body: string | null } };
  payload.issue.number = n;
  payload.issue.title = `chaos ${tag} ${n} ${randomUUID()}`;
  if (padBytes > 0) payload.issue.body = "x".repeat(padBytes);
  const body = JSON.stringify(payload);
  return { id: randomUUID(), body, signature: `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}` };
}

/** POSTs a delivery; no answer (reset, refused, timeout) is an `error`, never thrown. */
export async function send(url: string, d: Signed, timeoutMs = 20_000): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": d.id, "x-hub-signature-256": d.signature },
      body: d.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: Record<string, unknown> | null;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { raw: text };
    }
    return { status: res.status, body, ms: Date.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (error as Error).message, ms: Date.now() - started };
  }
}

/** Acknowledged as GitHub counts it: 202 accepted, or 200 for a duplicate already stored. */
export const acknowledged = (a: Answer): boolean => "status" in a && (a.status === 202 || (a.status === 200 && a.body?.duplicate === true));

/** One run of the logging agent. */
export interface Run {
  task: string;
  pid: number;
  /** The pid of the serve process that started it. */
  parent: number;
  ended: boolean;
}

/**
 * Writes an exec agent that logs its start and end (with its own pid and its parent's,
 * the serve process) to `logFile`, taking `minMs`–`maxMs` in between. O_APPEND, one short
 * write per line, so lines from concurrent runs never interleave.
 */
export function writeLoggingAgent(dir: string, logFile: string, minMs: number, maxMs: number): string {
  const agent = path.join(dir, "logging-agent.mjs");
  writeFileSync(
    agent,
    `import { appendFileSync } from "node:fs";
const line = (kind) => appendFileSync(${JSON.stringify(logFile)}, kind + " " + process.env.SWITCHYARD_TASK + " " + process.pid + " " + process.ppid + "\\n");
line("start");
setTimeout(() => line("end"), ${minMs} + Math.floor(Math.random() * ${maxMs - minMs}));
`,
  );
  return agent;
}

export function readRuns(logFile: string): Run[] {
  if (!existsSync(logFile)) return [];
  // Pids are reused over thousands of runs: an end closes the open run of its pid and task.
  const runs: Run[] = [];
  const open = new Map<string, Run>();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (line === "") continue;
    const [kind, task, pid, parent] = line.split(" ");
    const key = `${pid} ${task}`;
    if (kind === "start") {
      const run = { task: task!, pid: Number(pid), parent: Number(parent), ended: false };
      runs.push(run);
      open.set(key, run);
    } else if (kind === "end") {
      const run = open.get(key);
      if (run) run.ended = true;
      open.delete(key);
    }
  }
  return runs;
}

/** Whether `pid` is still a run of `agent` (pids are reused: never signal a stranger). */
export function isRunOf(pid: number, agent: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(agent);
  } catch {
    return false;
  }
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
