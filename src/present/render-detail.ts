import type { DeliveryDetail, TaskDetailView } from "./load-detail.js";

/**
 * `deliveries show` and `tasks show` for people: the same facts as `--json`, laid out to be
 * read in a terminal. Strings an attacker controls (payload text, agent output) are printed
 * as they are, indented; nothing here interprets them.
 */

const INDENT = "    ";

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}

/** A write's body: string fields (comment bodies, titles) as text, the rest as compact JSON. */
function renderBody(body: unknown, prefix: string): string[] {
  if (body === null || body === undefined) return [];
  if (typeof body !== "object" || Array.isArray(body)) return [`${prefix}${JSON.stringify(body)}`];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === "string" && value.includes("\n")) lines.push(`${prefix}${key}:`, indent(value, prefix + "  "));
    else lines.push(`${prefix}${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return lines;
}

function renderTask(task: TaskDetailView, prefix: string): string[] {
  const lines = [
    `${prefix}task ${task.id}  ${task.agent}  rule ${task.rule}  priority ${task.priority}  ${task.status}  attempts ${task.attempts}`,
    `${prefix}  action: ${task.action}`,
  ];
  if (task.idempotency_key) lines.push(`${prefix}  idempotency key: ${task.idempotency_key}`);
  if (task.status === "ready") lines.push(`${prefix}  runs at: ${task.run_at}`);
  if (task.last_error) lines.push(`${prefix}  last error: ${task.last_error}`);
  for (const a of task.attempt_log) {
    const took = a.finished_at === null ? "running" : `${Date.parse(a.finished_at) - Date.parse(a.started_at)} ms`;
    const retry = a.retry_delay_ms ? `, retried after ${a.retry_delay_ms} ms` : "";
    lines.push(`${prefix}  attempt ${a.n}  ${a.started_at}  ${a.outcome ?? "running"} (${took}${retry})`);
    if (a.error) lines.push(`${prefix}${INDENT}error: ${a.error}`);
    if (a.output) lines.push(`${prefix}${INDENT}output:`, indent(a.output.trimEnd(), `${prefix}${INDENT}  `));
  }
  if (task.github_writes.length === 0) {
    lines.push(`${prefix}  GitHub writes: none`);
  } else {
    const dry = task.github_writes.every((w) => w.dry_run);
    lines.push(`${prefix}  GitHub writes${dry ? " (dry-run: recorded, not sent)" : ""}:`);
    for (const w of task.github_writes) {
      lines.push(`${prefix}${INDENT}${w.method} ${w.route}${w.dry_run && !dry ? "  (dry-run)" : ""}`);
      lines.push(...renderBody(w.body, `${prefix}${INDENT}  `));
    }
  }
  return lines;
}

export function renderTaskDetail(task: TaskDetailView): string {
  return [`delivery ${task.delivery}`, ...renderTask(task, "")].join("\n") + "\n";
}

export function renderDeliveryDetail(d: DeliveryDetail): string {
  const lines = [
    `delivery ${d.delivery}`,
    `  event: ${d.action ? `${d.event}.${d.action}` : d.event}`,
    `  repository: ${d.repository ?? "-"}${d.installation === null ? "" : `  (installation ${d.installation})`}`,
    `  received: ${d.received_at}${d.ack_ms === null ? "" : `  (acknowledged in ${d.ack_ms} ms)`}`,
    `  status: ${d.status}`,
    `  decision: ${d.decision ? `${d.decision.rule} → ${d.decision.agent} (${d.decision.priority}): ${d.decision.action}` : "no rule matched"}`,
    `  headers:`,
    ...Object.entries(d.headers).map(([name, value]) => `${INDENT}${name}: ${value}`),
  ];
  for (const task of d.tasks) lines.push("", ...renderTask(task, ""));
  return lines.join("\n") + "\n";
}
