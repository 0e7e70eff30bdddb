import { OWN_MARKER } from "../../../commands/parse-commands.js";
import type { CheckLevel } from "./check-verdict.js";
import type { ReviewReport } from "./run-checks.js";

/** Finds switchyard's one review comment on a pull request. */
export const REVIEW_MARKER = "<!-- switchyard:review -->";

const ICONS: Record<CheckLevel, string> = { pass: "✅", info: "ℹ️", warning: "⚠️", failure: "❌", skipped: "➖" };

function cell(text: string): string {
  return text.replace(/\s+/g, " ").replace(/\|/g, "\\|");
}

/**
 * The review comment: both markers (switchyard's own, so it is never parsed for commands;
 * the review's, so the next run edits it instead of adding another), a verdict per check
 * in a table, then the details of the checks that have findings.
 *
 * @example renderReview(report, { headSha: "abc1234def", filesRead: true }).startsWith(OWN_MARKER) // true
 */
export function renderReview(report: ReviewReport, meta: { headSha: string | null; filesRead: boolean }): string {
  const blocking = report.state === "failure";
  const lines = [
    OWN_MARKER,
    REVIEW_MARKER,
    `### switchyard review: ${blocking ? "❌ blocking findings" : "✅ no blocking findings"}`,
    "",
    `${meta.headSha ? `Checked \`${meta.headSha.slice(0, 7)}\`. ` : ""}Only likely secrets block (the \`switchyard/review\` status fails); the rest are advice.`,
    "",
    "| check | verdict |",
    "|---|---|",
    ...report.verdicts.map((v) => `| ${cell(v.title)} | ${ICONS[v.level]} ${cell(v.summary)} |`),
  ];
  for (const v of report.verdicts) {
    if (v.details.length === 0) continue;
    lines.push("", `**${v.title}**`, ...v.details.map((d) => `- ${d}`));
  }
  if (!meta.filesRead) lines.push("", "_switchyard had no GitHub credentials to read the changed files: only the title and description were checked._");
  lines.push("", "<sub>Updated in place on every push.</sub>");
  return lines.join("\n");
}
