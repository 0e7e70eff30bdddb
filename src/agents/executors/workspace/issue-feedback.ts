import { OWN_MARKER } from "../../../commands/parse-commands.js";
import type { GithubClient } from "../../../github/github-client.js";
import { LABEL_STYLES } from "../../builtin/issue-agent/classify-issue.js";
import { findOwnComment } from "../../own-comment.js";

const STYLES: Record<string, { color: string; description: string }> = {
  ...LABEL_STYLES,
  "state:reviewing": { color: "fbca04", description: "A pull request waits for review" },
  switchyard: { color: "5319e7", description: "Opened by switchyard" },
};

/**
 * The hidden tag of the one comment a workspace task keeps on its issue (created when it
 * starts, edited with the result): `/agent execute` links to it while the task runs.
 */
export function workspaceCommentTag(task: string): string {
  return `<!-- switchyard:workspace:${task} -->`;
}

/** Creates or edits the task's comment on the issue: switchyard's own (`ownLogins`), never one that only carries the tag. */
export async function postTaskComment(github: GithubClient, ownLogins: readonly string[], repo: string, issue: number, task: string, text: string): Promise<void> {
  const tag = workspaceCommentTag(task);
  const body = `${OWN_MARKER}\n${tag}\n${text}`;
  const existing = findOwnComment(await github.listComments(repo, issue), ownLogins, (body) => body.includes(tag));
  if (existing) await github.updateComment(repo, existing.id, body);
  else await github.createComment(repo, issue, body);
}

/** Creates the labels a repository lacks, with switchyard's colours. */
export async function ensureLabels(github: GithubClient, repo: string, names: readonly string[]): Promise<void> {
  const existing = new Set(github.canRead ? ((await github.listRepoLabels(repo)) ?? []) : []);
  for (const name of names) {
    if (!existing.has(name)) await github.createLabel(repo, { name, ...(STYLES[name] ?? { color: "ededed", description: "" }) });
  }
}

/**
 * Leaves exactly `wanted` among the issue's `state:*` labels: the others are removed, the
 * missing ones added. Labels of other kinds are never touched. `fallback` are the labels
 * to assume when GitHub cannot be read (dry-run without credentials).
 */
export async function setStateLabels(github: GithubClient, repo: string, issue: number, wanted: readonly string[], fallback: readonly string[]): Promise<void> {
  const current = (github.canRead ? (await github.getIssue(repo, issue))?.labels : null) ?? fallback;
  for (const label of current) {
    if (label.startsWith("state:") && !wanted.includes(label)) await github.removeLabel(repo, issue, label);
  }
  const missing = wanted.filter((l) => !current.includes(l));
  if (missing.length === 0) return;
  await ensureLabels(github, repo, missing);
  await github.addLabels(repo, issue, missing);
}
