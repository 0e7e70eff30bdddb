import type { AgentContext } from "../../agent.js";
import { isoTime } from "../../../present/records.js";
import { codeSpan } from "../../../summary/escape-markdown.js";

/**
 * What switchyard knows about one issue or pull request. Under `serve` that is the store:
 * every delivery about it, its tasks and their attempts (an error is pointed to, not
 * quoted: the reply is public). In Actions mode the
 * store lives for one run, so the answer comes from GitHub's own state instead.
 */
export async function renderStatus(ctx: AgentContext): Promise<string> {
  const { event, store, github } = ctx;
  const repo = event.repository!;
  const number = event.number!;
  const issue = github.canRead ? await github.getIssue(repo, number) : null;
  const labels = issue?.labels ?? event.labels;
  const state = labels.filter((l) => l.startsWith("state:")).map((l) => codeSpan(l)).join(", ") || "no `state:*` label";
  const head = `**Status of #${number}**: ${issue ? `${issue.state}, ` : ""}${state}; labels: ${renderLabels(labels)}.`;
  if (ctx.mode === "actions") {
    return `${head}\n\nswitchyard runs inside GitHub Actions here, so it keeps no history between runs: GitHub's labels and comments are the record.`;
  }
  return `${head}\n\n${await renderHistory(store, repo, number)}`;
}

/**
 * Label names as a status reply shows them, each in a code span. Whoever may label chose the
 * name, and the reply is posted by switchyard: a backtick in it would close a plain code span
 * and let the rest through as Markdown (mentions, links, images).
 *
 * @example renderLabels(["bug", "a`b"]) // "` bug `, `` a`b ``"
 */
export function renderLabels(labels: readonly string[]): string {
  return labels.map(codeSpan).join(", ") || "none";
}

/** The deliveries on record about one issue, pull request or discussion, as a table. */
export async function renderHistory(store: AgentContext["store"], repo: string, number: number): Promise<string> {
  const deliveries = await store.history({ repository: repo, number }, { limit: 20, tasksPerDelivery: 20 });
  if (deliveries.length === 0) return `No deliveries about #${number} are on record.`;
  const rows: string[] = [];
  for (const d of deliveries) {
    const summary =
      d.tasks
        // The error stays in the store, as in the routing comment: this reply is public, and an
        // agent's error is whatever its program or endpoint said (connection strings, tokens).
        .map((t) => `${t.agent}: ${t.status} (${t.attempts} attempt${t.attempts === 1 ? "" : "s"})${t.lastError && t.status !== "succeeded" ? ` — details: \`switchyard tasks show ${t.id}\`` : ""}`)
        .join("; ") || "no task";
    rows.push(`| ${isoTime(d.receivedAt).slice(0, 19).replace("T", " ")} | ${d.action ? `${d.event}.${d.action}` : d.event} | ${d.status} | ${summary} |`);
  }
  return ["| received (UTC) | event | status | tasks |", "|---|---|---|---|", ...rows].join("\n");
}
