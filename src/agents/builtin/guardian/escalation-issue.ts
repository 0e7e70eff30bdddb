import { OWN_MARKER } from "../../../commands/parse-commands.js";
import type { EventPayload } from "../../../events/event-payload.js";
import type { SearchHit } from "../../../github/github-client.js";
import { terminalText } from "../../../present/terminal-text.js";
import { cellCode, codeSpan, escapeMarkdown, linkIfPlain } from "../../../summary/escape-markdown.js";
import { isOwnComment } from "../../own-comment.js";

/** The label that marks Guardian's escalation issues, and how it looks when Guardian creates it. */
export const ESCALATION_LABEL = "guardian:escalation";
export const ESCALATION_LABEL_STYLE = { color: "b60205", description: "switchyard Guardian: a workflow on the default branch is failing" } as const;

/** Conclusions Guardian escalates (rule workflow-failure, docs/routing.md). */
export const FAILED_CONCLUSIONS: ReadonlySet<string> = new Set(["failure", "timed_out", "startup_failure"]);

/** One completed workflow run, as the escalation texts need it. */
export interface WorkflowRun {
  /** The workflow's name: it titles the issue, so one issue per workflow. */
  name: string;
  path: string | null;
  conclusion: string;
  runId: number | null;
  attempt: number | null;
  url: string | null;
  sha: string | null;
  branch: string | null;
  actor: string | null;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * The run a `workflow_run` event reports, or null for any other event. The actor is who
 * started this attempt (`triggering_actor`), falling back to the run's actor and the sender.
 *
 * @example workflowRunOf(normalizeEvent("workflow_run", payload), payload)?.conclusion // "failure"
 */
export function workflowRunOf(event: EventPayload, payload: Json): WorkflowRun | null {
  const w = event.workflow;
  if (event.type !== "workflow_run" || !w) return null;
  const run = obj(payload.workflow_run);
  const actor = str(obj(run?.triggering_actor)?.login) ?? str(obj(run?.actor)?.login) ?? event.sender?.login ?? null;
  return {
    name: w.name ?? w.path ?? "unnamed workflow",
    path: w.path,
    conclusion: w.conclusion ?? "unknown",
    runId: w.runId,
    attempt: w.attempt,
    url: w.url,
    sha: event.sha,
    branch: event.branch,
    actor,
  };
}

/**
 * Hidden in the issue body: which workflow the issue is about (its file, which outlives renames of its name).
 *
 * @example escalationMarker(run) // "<!-- switchyard:guardian:.github/workflows/ci.yml -->"
 */
export function escalationMarker(run: WorkflowRun): string {
  return `<!-- switchyard:guardian:${markerText(run.path ?? run.name)} -->`;
}

// Whoever writes a workflow chooses its file name and name: a `-->` (or `--!>`) in either
// would end the hidden comment and publish what follows, so every character outside a plain
// set is percent-encoded (its UTF-8 bytes).
function markerText(text: string): string {
  return text.replace(/[^A-Za-z0-9._/ -]/gu, (c) => [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""));
}

/**
 * Hidden in every issue body and comment: which run (and attempt) it reports, so a retried task never reports it twice.
 *
 * @example runMarker(run) // "<!-- switchyard:guardian:run:1234:2 -->"
 */
export function runMarker(run: WorkflowRun): string {
  return `<!-- switchyard:guardian:run:${run.runId ?? "unknown"}:${run.attempt ?? 1} -->`;
}

/**
 * The issue's title: one per workflow name, which is what `findEscalation` matches.
 *
 * @example escalationTitle(run) // 'Workflow "CI" is failing'
 */
export function escalationTitle(run: WorkflowRun): string {
  // A title renders no links, images, mentions or HTML; control and bidi characters are still written out.
  return `Workflow "${terminalText(run.name, { oneLine: true })}" is failing`;
}

/**
 * The workflow's open escalation among the repository's open labelled issues: opened by
 * switchyard (`ownLogins`), open, labelled, and titled exactly as Guardian titles it ("CI"
 * must not match the issue of "CI nightly"). The author matters: anyone with triage rights
 * can open an issue with that label and title, and Guardian would comment on it and close it
 * (docs/security.md#comments-switchyard-edits). The oldest wins if a race ever opened two,
 * so every later run reports to the same one.
 *
 * @example findEscalation(await github.listOpenIssuesWithLabel(repo, ESCALATION_LABEL), run, ctx.ownLogins)?.number
 */
export function findEscalation(hits: readonly SearchHit[], run: WorkflowRun, ownLogins: readonly string[]): SearchHit | null {
  const title = escalationTitle(run);
  const matching = hits.filter((h) => h.state === "open" && h.title === title && h.labels.includes(ESCALATION_LABEL) && isOwnComment({ user: h.user ?? null }, ownLogins));
  return matching.sort((a, b) => a.number - b.number)[0] ?? null;
}


function runLink(run: WorkflowRun): string {
  const label = `run ${run.runId ?? "(unknown)"}${run.attempt && run.attempt > 1 ? `, attempt ${run.attempt}` : ""}`;
  // A run's link goes to GitHub's run page: anything but a plain http(s) address is shown as no link.
  return linkIfPlain(label, run.url);
}

// A GitHub login (a user's, or an app's `slug[bot]`): only then is it linked to a profile.
const LOGIN = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})(\[bot\])?$/;

// A profile link, not an @mention: an escalation should not ping whoever pushed on every failure.
function actorLink(run: WorkflowRun): string {
  if (!run.actor) return "unknown";
  const login = LOGIN.exec(run.actor);
  if (!login) return escapeMarkdown(run.actor);
  const profile = login[2] ? `https://github.com/apps/${login[1]}` : `https://github.com/${login[1]}`;
  return `[${escapeMarkdown(run.actor)}](${profile})`;
}

const shortSha = (run: WorkflowRun): string => (run.sha && /^[0-9a-f]{7,64}$/i.test(run.sha) ? codeSpan(run.sha.slice(0, 7)) : "unknown");

// GitHub's tables split a row at every `|`, inside a code span too, unless it is escaped.

// The workflow's name is chosen by whoever writes the workflow file: it reads as text, never as markup.
const workflowName = (run: WorkflowRun): string => `**${escapeMarkdown(run.name)}**`;

/**
 * The escalation issue's body: markers, then what failed, where and for whom.
 *
 * @example renderEscalationBody(run).includes(escalationMarker(run)) // true
 */
export function renderEscalationBody(run: WorkflowRun): string {
  return [
    OWN_MARKER,
    escalationMarker(run),
    runMarker(run),
    `The workflow ${workflowName(run)}${run.path ? ` (${codeSpan(run.path)})` : ""} failed${run.branch ? ` on ${codeSpan(run.branch)}` : ""}.`,
    "",
    "| | |",
    "|---|---|",
    `| Run | ${runLink(run)} |`,
    `| Conclusion | ${cellCode(run.conclusion)} |`,
    `| Commit | ${shortSha(run)} |`,
    `| Actor | ${actorLink(run)} |`,
    "",
    "switchyard's Guardian keeps this one issue open while the workflow fails: later failures are added as comments, and the issue is closed when the workflow succeeds again.",
  ].join("\n");
}

/**
 * A later failure of the same workflow, as a comment on its open escalation.
 *
 * @example await github.createComment(repo, issue.number, renderFailureComment(run));
 */
export function renderFailureComment(run: WorkflowRun): string {
  return [OWN_MARKER, runMarker(run), `${workflowName(run)} failed again: ${runLink(run)}, ${codeSpan(run.conclusion)}, commit ${shortSha(run)}, actor ${actorLink(run)}.`].join("\n");
}

/**
 * The success that closes the escalation.
 *
 * @example await github.createComment(repo, issue.number, renderRecoveryComment(run));
 */
export function renderRecoveryComment(run: WorkflowRun): string {
  return [OWN_MARKER, runMarker(run), `${workflowName(run)} succeeded again: ${runLink(run)}, commit ${shortSha(run)}. Closing this escalation.`].join("\n");
}
