import { maskSecrets } from "../agents/executors/workspace/mask-secrets.js";
import type { InlineRun } from "../app/run-inline.js";
import { taskOutcome } from "../app/task-outcome.js";
import type { EventPayload } from "../events/event-payload.js";
import type { RoutingDecision } from "../routing/decide.js";
import type { AttemptRecord, GithubActionRecord, TaskDetail } from "../store/store.js";
import { presentGithubWrite } from "../present/records.js";
import { codeBlock, codeSpan, escapeMarkdown } from "./escape-markdown.js";

export interface JobSummaryInput {
  event: EventPayload;
  decision: RoutingDecision;
  /** What ran; null when nothing did (no rule matched, or the run was decide-only). */
  run: InlineRun | null;
  /** `route --dry-run`: decided, nothing run. */
  decideOnly?: boolean;
}

// A job summary may hold 1 MiB per step, counted in bytes (GitHub refuses a larger one
// whole); one body must not crowd out the rest.
const MAX_BODY_CHARS = 16_000;
const MAX_SUMMARY_BYTES = 900_000;

const md = escapeMarkdown;

/** Escaped text for a table cell; nothing shows as an em dash. */
function cell(text: string | null | undefined): string {
  return text === null || text === undefined || text === "" ? "—" : md(text);
}

function heading(event: EventPayload): string {
  const name = event.action ? `${event.type}.${event.action}` : event.type;
  const where = event.repository ? ` on ${event.repository}` : "";
  // The event's own issue, linked on purpose: its number is a whole number (normalizeEvent).
  const ref = event.repository && event.number !== null ? `#${event.number}` : "";
  return `## switchyard: ${md(name + where)}${ref}`;
}

function decisionSection(input: JobSummaryInput): string[] {
  const { event, decision } = input;
  if (decision.ignored) return [`**Decision:** ignored (${md(decision.ignored)}): switchyard never acts on its own or a bot's comments and labels.`];
  if (!decision.matched) return ["**Decision:** no rule matched; nothing ran."];
  const lines = [
    "**Decision:**",
    "",
    "| rule | agent | priority | action |",
    "|---|---|---|---|",
    ...decision.decisions.map((d) => `| ${cell(d.rule)} | ${cell(d.agent)} | ${cell(d.priority)} | ${cell(d.action)} |`),
  ];
  if (event.commands.length > 0) lines.push("", `**Commands:** ${event.commands.map((c) => md([c.name, ...c.args].join(" "))).join(", ")}`);
  if (input.decideOnly) lines.push("", "Decided only (`--dry-run`): no agent ran.");
  return lines;
}

function attemptLines(a: AttemptRecord): string[] {
  // A job summary is public with its repository: an agent's output is shown with GitHub
  // tokens and URL credentials masked, as a comment would be.
  const error = a.error === null || a.error === "" ? null : maskSecrets(a.error, []);
  const output = a.output === null || a.output.trim() === "" ? null : maskSecrets(a.output, []).trimEnd();
  const block = output !== null && output.includes("\n");
  const inline = [error, block ? null : output].filter((t): t is string => t !== null);
  const head = `  - attempt ${a.n}: ${cell(a.outcome ?? "unfinished")}${inline.length > 0 ? ` — ${md(inline.join(" · "))}` : ""}`;
  // Output of several lines (a report, a stack): as the agent printed it, under its attempt.
  return block ? [head, "", indent(codeBlock(output), "    "), ""] : [head];
}

function tasksSection(tasks: readonly TaskDetail[], cancelled: string | null | undefined): string[] {
  if (tasks.length === 0) return [];
  return [
    ...(cancelled
      ? [`**Cancelled** (${md(cancelled)}: a cancelled workflow run, or \`timeout-minutes\`): the running agents were killed; the tasks that had not finished did not run to the end.`, ""]
      : []),
    "### Tasks",
    "",
    "| task | agent | rule | outcome | attempts | last error |",
    "|---|---|---|---|---|---|",
    ...tasks.map((t) => `| ${cell(t.id)} | ${cell(t.agent)} | ${cell(t.rule)} | ${cell(taskOutcome(t, cancelled))} | ${t.attempts} | ${cell(t.lastError === null ? null : maskSecrets(t.lastError, []))} |`),
    "",
    ...tasks.flatMap((t) => (t.attemptLog.length === 0 ? [] : [`- task ${cell(t.id)} (${cell(t.agent)}):`, ...t.attemptLog.flatMap(attemptLines)])),
  ];
}

function bodyText(body: unknown): string {
  const text = body === undefined || body === null ? "(no body)" : JSON.stringify(body, null, 2);
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}\n… (${text.length - MAX_BODY_CHARS} more characters not shown)` : text;
}

function writesSection(records: readonly GithubActionRecord[]): string[] {
  if (records.length === 0) return ["### GitHub writes", "", "None."];
  // As `tasks show` prints a write serve recorded: the route filled in, its parameters out of the body.
  const writes = records.map(presentGithubWrite);
  const allDryRun = writes.every((w) => w.dry_run);
  return [
    allDryRun ? "### GitHub writes that would have been made (dry-run: recorded, not sent)" : "### GitHub writes",
    "",
    ...writes.flatMap((w, i) => [
      `${i + 1}. ${cell(w.agent)} ${w.dry_run ? "would have written" : "wrote"} ${codeSpan(`${w.method} ${w.route}`)}`,
      "",
      indent(codeBlock(bodyText(w.body), "json")),
      "",
    ]),
  ];
}

function indent(text: string, by = "   "): string {
  return text
    .split("\n")
    .map((line) => `${by}${line}`)
    .join("\n");
}

/**
 * The Markdown job summary of one Actions-mode run: the routing decision, each task's
 * outcome with its attempts, and every GitHub write the tasks made or, in dry-run, would
 * have made, with its body. Everything that came from the event is escaped.
 *
 * @example
 * appendJobSummary(env, renderJobSummary({ event, decision, run }));
 */
export function renderJobSummary(input: JobSummaryInput): string {
  const parts = [heading(input.event), "", ...decisionSection(input), ""];
  if (input.run !== null) parts.push(...tasksSection(input.run.tasks, input.run.cancelled), "", ...writesSection(input.run.writes), "");
  const text = parts.join("\n");
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_SUMMARY_BYTES) return text;
  // Cut on bytes; a character cut in two decodes as U+FFFD, dropped.
  const kept = bytes.subarray(0, MAX_SUMMARY_BYTES).toString("utf8").replace(/\uFFFD$/, "");
  return `${kept}\n\n… (summary cut at ${MAX_SUMMARY_BYTES} bytes)\n`;
}

/**
 * The job summary of a run that failed before it could report (bad input, a config error):
 * the one-line error, escaped.
 */
export function renderFailureSummary(message: string): string {
  return `## switchyard: failed\n\n${md(message)}\n`;
}
