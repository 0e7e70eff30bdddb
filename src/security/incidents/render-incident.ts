import { OWN_MARKER } from "../../commands/parse-commands.js";
import type { FailureSummary } from "./failure-summary.js";
import type { IncidentSettings } from "./step-incident.js";

export const INCIDENT_TITLE = "Webhook security failure";
export const INCIDENT_LABEL = "security:webhook";
/** Finds switchyard's incident issue among the label's open issues. */
export const INCIDENT_MARKER = "<!-- switchyard:security-incident -->";

const REASONS: Record<string, string> = {
  bad_signature: "bad signature (401)",
  missing_signature: "missing signature (401)",
  ip_not_allowed: "source outside the IP allowlist (403)",
  rate_limited: "over the failed-verification limit (429)",
};

const iso = (ms: number | null) => (ms === null ? "—" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));
const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);
// Addresses, hook ids and event names were checked for shape at the route; code spans keep
// whatever they hold from being read as Markdown or mentions.
const code = (text: string) => `\`${text.replace(/`/g, "")}\``;

/** The counts, sources, hooks and events of a summary, as Markdown. Never a payload, signature or secret: the summary holds none. */
export function renderSummary(summary: FailureSummary): string {
  const reasons = Object.entries(summary.byReason)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `| ${REASONS[reason] ?? reason} | ${count} |`);
  const sources = Object.entries(summary.sources)
    .sort(([, a], [, b]) => b - a)
    .map(([source, count]) => `| ${code(source)} | ${count} |`);
  if (summary.otherSources > 0) sources.push(`| other addresses | ${summary.otherSources} |`);
  return [
    `**${summary.total}** failed verifications, first at ${iso(summary.first)}, last at ${iso(summary.last)} (UTC).`,
    "",
    "| reason | requests |",
    "|---|---|",
    ...reasons,
    "",
    "| source address | requests |",
    "|---|---|",
    ...sources,
    "",
    `Hook ids claimed: ${summary.hookIds.map(code).join(", ") || "none"}.`,
    `Events claimed: ${summary.events.map(code).join(", ") || "none"}.`,
    "",
    "_Hook ids and events are what the requests claimed in their headers: unverified._",
  ].join("\n");
}

export function renderIncidentIssue(summary: FailureSummary, inWindow: number, settings: IncidentSettings): string {
  return [
    OWN_MARKER,
    INCIDENT_MARKER,
    // Opened late (GitHub refused the issue until now): the window it crossed the threshold in has passed.
    inWindow > settings.threshold
      ? `switchyard refused **${inWindow}** webhook requests within ${minutes(settings.windowMs)}, above the threshold of ${settings.threshold} (\`security.incidents\`).`
      : `switchyard refused **${summary.total}** webhook requests, more than the threshold of ${settings.threshold} within ${minutes(settings.windowMs)} (\`security.incidents\`); this issue could only be opened now, after GitHub refused it earlier.`,
    "",
    renderSummary(summary),
    "",
    "Deliveries signed with the right secret were not affected: each is still accepted. If these are GitHub's own deliveries, the secret on the webhook and `WEBHOOK_SECRET` differ; otherwise someone is sending forged requests.",
    `This issue is updated while failures continue, and closed after ${minutes(settings.quietMs)} without any.`,
  ].join("\n");
}

/** How the one update comment begins: what an adopted incident finds it by, to edit it. */
export const UPDATE_HEADING = "**Still failing**";

export function renderIncidentUpdate(summary: FailureSummary, reportedBefore: number, at: number): string {
  return [OWN_MARKER, `${UPDATE_HEADING} (updated ${iso(at)}): ${summary.total - reportedBefore} more since the last report.`, "", renderSummary(summary)].join("\n");
}

export function renderIncidentClosing(summary: FailureSummary, settings: IncidentSettings): string {
  // Adopted after a restart, with no failure since: the counts from before it are above.
  if (summary.total === 0) return [OWN_MARKER, `No failed verification for ${minutes(settings.quietMs)} since switchyard started again: closing. The counts from before the restart are above.`].join("\n");
  return [OWN_MARKER, `No failed verification for ${minutes(settings.quietMs)}: closing. In all:`, "", renderSummary(summary)].join("\n");
}
