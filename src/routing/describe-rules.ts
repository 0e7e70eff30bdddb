import type { RuleWhen } from "../config/schema.js";
import type { CompiledRule } from "./compile-rules.js";
import type { RuleVerdict } from "./decide.js";
import { terminalText } from "../present/terminal-text.js";

function show(value: unknown): string {
  return Array.isArray(value) ? value.join("|") : String(value);
}

/** `issues.labeled, labelAdded=agent-execute` — a rule's condition on one line. */
export function describeWhen(when: RuleWhen, executeLabel: string): string {
  const { event, action, ...rest } = when;
  const head = action === undefined ? event : `${event}.${show(action)}`;
  const parts = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${show(v === "$executeLabel" ? executeLabel : v)}`);
  return [head, ...parts].join(", ");
}

/** Lays rows out as aligned columns, the way `check` and `--explain` print them. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * The compiled rules table, as `check` prints it. A command rule that routes only the
 * commenters of commands.associations says so (`association=OWNER|MEMBER|COLLABORATOR`):
 * the condition is not in its `when`, but it decides as much.
 */
export function formatRulesTable(rules: readonly CompiledRule[], executeLabel: string): string {
  const when = (r: CompiledRule) => describeWhen(r.when, executeLabel) + (r.commandAuthors === null ? "" : `, association=${show(r.commandAuthors)}`);
  return formatTable(
    ["id", "when", "agent", "priority", "action", "origin"],
    rules.map((r) => [r.id + (r.continue ? " (continue)" : ""), when(r), r.agent, r.priority, r.action, r.origin]),
  );
}

/**
 * Every rule's verdict for one event, as `route --explain` prints it. A reason quotes the
 * event (`branch is …`): each cell is escaped and kept to its line (terminalText).
 */
export function formatExplanation(verdicts: readonly RuleVerdict[]): string {
  return formatTable(
    ["rule", "agent", "priority", "verdict"],
    verdicts.map((v) =>
      [v.rule, v.agent, v.priority, v.outcome === "runs" ? "RUNS" : v.outcome === "outranked" ? `matched, outranked by ${v.by}` : `no match: ${v.reason}`].map((c) =>
        terminalText(c, { oneLine: true }),
      ),
    ),
  );
}
