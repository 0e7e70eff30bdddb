import type { DeliveryDetail, TaskDetailView } from "./load-detail.js";
import { terminalText } from "./terminal-text.js";

/**
 * `deliveries show` and `tasks show` for people: the same facts as `--json`, laid out to be
 * read in a terminal. Strings an attacker controls (payload text, agent output and errors,
 * header values) go through terminalText: control characters and bidi controls show as
 * `\u001b`-style text, never reach the terminal; one-line fields stay on one line.
 */

const INDENT = "    ";

/** A field that must stay on its line. */
const one = (text: string | number): string => terminalText(String(text), { oneLine: true });

/** `label: value` on one line, or `label:` and the value's lines indented under it. */
function field(prefix: string, label: string, value: string): string[] {
  const text = terminalText(value);
  return text.includes("\n") ? [`${prefix}${label}:`, indent(text, prefix + "  ")] : [`${prefix}${label}: ${text}`];
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}

/** A write's body: string fields (comment bodies, titles) as text, the rest as compact JSON. */
function renderBody(body: unknown, prefix: string): string[] {
  if (body === null || body === undefined) return [];
  if (typeof body !== "object" || Array.isArray(body)) return [`${prefix}${one(JSON.stringify(body))}`];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    // JSON escapes C0 controls but not C1 or bidi controls: escape both kinds of text.
    lines.push(...field(prefix, one(key), typeof value === "string" ? value : JSON.stringify(value)));
  }
  return lines;
}

/**
 * A skipped task's line: it never ran and never will (another task held its idempotency key
 * when it was routed), so its reason is no error.
 *
 * @example
 * skippedText("skipped: task 11 already holds idempotency key deploy:o/r:abc:prod")
 * // "not run, nor will it be unless replayed: task 11 already holds idempotency key deploy:o/r:abc:prod"
 */
export function skippedText(reason: string | null): string {
  const why = reason?.replace(/^skipped: /, "").trimEnd();
  return `not run, nor will it be unless replayed${why ? `: ${why}` : ""}`;
}

/** A line for each write GitHub refused or never answered (`failed_writes`): they are not among the recorded ones. */
function failedWriteLines(task: TaskDetailView, prefix: string): string[] {
  return task.failed_writes.map((w) => `${prefix}${one(w.method)} ${one(w.route)}  (failed in attempt ${w.attempt}, not recorded: see its ${w.see})`);
}

function renderTask(task: TaskDetailView, prefix: string): string[] {
  const lines = [
    `${prefix}task ${one(task.id)}  ${one(task.agent)}  rule ${one(task.rule)}  priority ${one(task.priority)}  ${one(task.status)}  attempts ${task.attempts}`,
    `${prefix}  action: ${one(task.action)}`,
  ];
  if (task.idempotency_key) lines.push(`${prefix}  idempotency key: ${one(task.idempotency_key)}`);
  if (task.status === "ready") lines.push(`${prefix}  runs at: ${task.run_at}`);
  if (task.status === "skipped") lines.push(...field(`${prefix}  `, "skipped", skippedText(task.last_error)));
  else if (task.last_error) lines.push(...field(`${prefix}  `, "last error", task.last_error.trimEnd()));
  for (const a of task.attempt_log) {
    const took = a.finished_at === null ? "running" : `${Date.parse(a.finished_at) - Date.parse(a.started_at)} ms`;
    const retry = a.retry_delay_ms ? `, retried after ${a.retry_delay_ms} ms` : "";
    // An attempt another agent ran (the delivery was replayed under a config that routes its rule elsewhere) says so.
    const by = a.agent !== null && a.agent !== task.agent ? `  run by ${one(a.agent)}` : "";
    lines.push(`${prefix}  attempt ${a.n}  ${a.started_at}  ${one(a.outcome ?? "running")} (${took}${retry})${by}`);
    if (a.error) lines.push(...field(`${prefix}${INDENT}`, "error", a.error.trimEnd()));
    if (a.output) lines.push(`${prefix}${INDENT}output:`, indent(terminalText(a.output.trimEnd()), `${prefix}${INDENT}  `));
  }
  const failed = failedWriteLines(task, `${prefix}${INDENT}`);
  if (task.github_writes.length === 0) {
    lines.push(`${prefix}  GitHub writes: ${failed.length === 0 ? "none" : "none went through:"}`, ...failed);
  } else {
    const dry = task.github_writes.every((w) => w.dry_run);
    lines.push(`${prefix}  GitHub writes${dry ? " (dry-run: recorded, not sent)" : ""}:`);
    for (const w of task.github_writes) {
      lines.push(`${prefix}${INDENT}${one(w.method)} ${one(w.route)}${w.dry_run && !dry ? "  (dry-run)" : ""}`);
      lines.push(...renderBody(w.body, `${prefix}${INDENT}  `));
    }
    lines.push(...failed);
  }
  return lines;
}

export function renderTaskDetail(task: TaskDetailView): string {
  return [`delivery ${one(task.delivery)}`, ...renderTask(task, "")].join("\n") + "\n";
}

export function renderDeliveryDetail(d: DeliveryDetail): string {
  const nothing = d.ignored ? `ignored (${d.ignored}): switchyard never acts on its own or a bot's comments and labels` : "no rule matched";
  const decision = d.decision ? `${one(d.decision.rule)} → ${one(d.decision.agent)} (${one(d.decision.priority)}): ${one(d.decision.action)}` : nothing;
  const lines = [
    `delivery ${one(d.delivery)}`,
    `  event: ${one(d.action ? `${d.event}.${d.action}` : d.event)}`,
    `  repository: ${one(d.repository ?? "-")}${d.installation === null ? "" : `  (installation ${d.installation})`}`,
    `  received: ${d.received_at}${d.ack_ms === null ? "" : `  (in a commit ${d.ack_ms} ms after it was verified and routed)`}`,
    `  status: ${one(d.status)}`,
    `  decision: ${decision}`,
    ...(d.body_pruned_at === null ? [] : [`  payload: emptied by retention at ${d.body_pruned_at} (store.retention.bodies); the record of what happened to it stays, and it can no longer be replayed`]),
    `  headers:`,
    ...Object.entries(d.headers).map(([name, value]) => `${INDENT}${one(name)}: ${one(String(value))}`),
  ];
  for (const task of d.tasks) lines.push("", ...renderTask(task, ""));
  return lines.join("\n") + "\n";
}
