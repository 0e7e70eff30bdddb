import { codeSpan, escapeMarkdown, linkIfPlain, quoteText } from "../../../summary/escape-markdown.js";
import type { AgentContext } from "../../agent.js";
import { isOwnComment } from "../../own-comment.js";
import type { DiscussionThread } from "./discussion-thread.js";

/**
 * In the issue's body, as its last line: what a later `/convert-to-issue` (or a retried attempt) finds it by.
 *
 * @example convertedFromMarker("D_kwDOABC") // "<!-- switchyard:converted-from:D_kwDOABC -->"
 */
export function convertedFromMarker(discussionNodeId: string): string {
  return `<!-- switchyard:converted-from:${discussionNodeId} -->`;
}

/** In switchyard's reply in the discussion, as its last line: the issue it was converted to. */
const CONVERTED_TO = /^<!-- switchyard:converted-to:(\d+) -->$/;

/** A body's last line, where switchyard puts its marker: after everything it quotes or names. */
function lastLine(body: string): string {
  return body.replace(/\r\n/g, "\n").trimEnd().split("\n").at(-1)!.trim();
}

/**
 * Whether an issue body carries `marker` where a conversion puts it: once, on its last line.
 * Text a conversion copied (or anything else in the body) cannot stand for it: a discussion
 * body holding another discussion's marker must not make that discussion "already converted".
 */
function placedMarker(body: string | null | undefined, marker: string): boolean {
  return typeof body === "string" && lastLine(body) === marker && body.split(marker).length === 2;
}

/**
 * The issue this discussion was converted to, if any. First the discussion's own replies
 * (switchyard's link names the issue; no lag), then a search for the marker in issue bodies,
 * which covers an attempt that created the issue and failed before it could link it.
 */
async function findConverted(ctx: AgentContext, thread: DiscussionThread): Promise<{ number: number; linked: boolean } | null> {
  // Only what switchyard wrote: anyone can write either marker, to block the conversion or
  // have switchyard's reply point at an issue of their choosing.
  // Only as the last line of the reply: a label or category name a status reply shows may hold one too.
  for (const comment of thread.state?.comments ?? []) {
    if (!isOwnComment(comment, ctx.ownLogins)) continue;
    const match = CONVERTED_TO.exec(lastLine(comment.body));
    if (match) return { number: Number(match[1]), linked: true };
  }
  if (!ctx.github.canRead) return null;
  const marker = convertedFromMarker(thread.ref.nodeId);
  const hits = await ctx.github.searchIssues(`repo:${thread.repository} is:issue in:body "switchyard:converted-from:${thread.ref.nodeId}"`);
  const found = hits.find((h) => isOwnComment({ user: h.user ?? null }, ctx.ownLogins) && placedMarker(h.body, marker));
  return found ? { number: found.number, linked: false } : null;
}

// GitHub refuses an issue body over 65,536 characters; escaping makes the quote longer than the text.
const QUOTE_LIMIT = 60_000;

/**
 * The discussion's body as the issue shows it: quoted as text (quoteText), so whatever the
 * discussion's author wrote publishes no mention, image, link, HTML or switchyard marker
 * under switchyard's name. Cut at a line when too long, saying where the rest is.
 */
function quotedBody(body: string): string {
  if (body.trim() === "") return "_The discussion has no text._";
  const quoted = quoteText(body);
  if (quoted.length <= QUOTE_LIMIT) return quoted;
  const cut = quoted.lastIndexOf("\n", QUOTE_LIMIT);
  return `${quoted.slice(0, cut > 0 ? cut : QUOTE_LIMIT)}\n>\n> …\n\n_The rest is in the discussion._`;
}


/** The discussion's labels the repository has, in the repository's spelling (issue labels must exist). */
async function carriedLabels(ctx: AgentContext, repo: string, labels: readonly string[]): Promise<string[]> {
  if (labels.length === 0) return [];
  const known = (await ctx.github.listRepoLabels(repo)) ?? [];
  const byName = new Map(known.map((name) => [name.toLowerCase(), name]));
  return [...new Set(labels.map((l) => byName.get(l.toLowerCase())).filter((l): l is string => l !== undefined))];
}

/**
 * `/convert-to-issue`: one issue with the discussion's title and body (quoted as text), a
 * link back and the discussion's labels that exist on the repository; the reply (posted by the caller) links
 * it. Idempotent: when the discussion was converted before, the existing issue is named.
 * Who may ask (write access) is checked by the caller.
 *
 * @example await thread.reply(0, await convertToIssue(ctx, thread)); // "Converted to #12: the discussion continues there.…"
 */
export async function convertToIssue(ctx: AgentContext, thread: DiscussionThread): Promise<string> {
  const { event, github } = ctx;
  const repo = thread.repository;
  const existing = await findConverted(ctx, thread);
  if (existing?.linked) {
    return `This discussion was already converted to #${existing.number}; no new issue was opened.\n<!-- switchyard:converted-to:${existing.number} -->`;
  }
  // Opened by an attempt that failed before it could say so here (this task's earlier try,
  // most likely): this reply is the first the discussion hears of it.
  if (existing !== null) return `Converted to #${existing.number}: the discussion continues there.\n<!-- switchyard:converted-to:${existing.number} -->`;
  const title = thread.state?.title ?? event.title ?? `Discussion #${thread.ref.number}`;
  const body = thread.state?.body ?? event.body ?? "";
  const url = thread.state?.url ?? thread.ref.url;
  const asker = event.sender?.login;
  // The marker goes last, after the quote, which cannot hold one: findConverted reads it only there.
  const issueBody = [
    quotedBody(body),
    "",
    "---",
    `Converted from discussion ${linkIfPlain(`#${thread.ref.number}`, url)}${asker ? ` at the request of @${asker}` : ""}.`,
    convertedFromMarker(thread.ref.nodeId),
  ].join("\n");
  const labels = await carriedLabels(ctx, repo, thread.state?.labels ?? event.labels);
  const number = await github.createIssue(repo, { title, body: issueBody, labels });
  // Label names and the title are other people's text: quoted and escaped, so they publish nothing.
  const shown = labels.map(codeSpan).join(", ");
  if (number === null) return `Dry-run: switchyard would open an issue titled “${escapeMarkdown(title)}” from this discussion${labels.length ? ` with the labels ${shown}` : ""}.`;
  return `Converted to #${number}${labels.length ? ` (labels ${shown})` : ""}: the discussion continues there.\n<!-- switchyard:converted-to:${number} -->`;
}
