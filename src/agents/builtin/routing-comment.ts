import type { Config } from "../../config/schema.js";
import { OWN_MARKER } from "../../commands/parse-commands.js";
import type { ClaimedTask, GithubActionRecord, TaskOutcome } from "../../store/store.js";
import { AfterTaskError } from "../../queue/after-task-error.js";
import type { AgentContext } from "../agent.js";
import { findOwnComment } from "../own-comment.js";
import { hasDeployer } from "./deployment-agent/has-deployer.js";

/** Finds the one routing comment on an issue or pull request. */
export const ROUTING_MARKER = "<!-- switchyard:routing -->";
const ROW_TAG = /<!-- task:([^ ]+) -->/;
const MAX_ROWS = 20;
/** The routing comment's note on a DeploymentAgent task when nothing deploys (see hasDeployer). */
export const NO_DEPLOYER_NOTE = "no deployer is configured: deployments are left queued";

function cell(text: string): string {
  const flat = text.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}…` : flat;
}

/**
 * One table row for a finished task; its hidden tag lets a later update find and replace it.
 * `note` is added to the result (e.g. that no deployer is configured). The row carries the
 * status only, never the error: the comment is public, and an agent's error text is whatever
 * its program or endpoint said (connection strings, tokens, internal addresses). A dead row
 * points to where the stored error and output are: `switchyard tasks show` under `serve`;
 * in Actions mode the store ends with the run, and the workflow run's job summary has them.
 */
export function routingRow(task: ClaimedTask, outcome: TaskOutcome, eventName: string, at: Date, note: string | null = null, mode: "server" | "actions" = "server"): string {
  const details = mode === "actions" ? "the workflow run's job summary" : `\`switchyard tasks show ${task.id}\``;
  const status = outcome.status === "dead" ? `dead (details: ${details})` : outcome.status;
  const result = note ? `${status} (${note})` : status;
  const when = at.toISOString().slice(0, 16).replace("T", " ");
  return `| ${when} | ${cell(eventName)} | ${cell(`${task.agent} (${task.rule})`)} | ${cell(result)} <!-- task:${rowKey(task, mode)} --> |`;
}

/**
 * What tells one task's row from another's. Under `serve` the task id is unique for good; in
 * Actions mode each run has a store of its own whose ids start at 1 again, so the run (its
 * delivery, `actions-run-<GITHUB_RUN_ID>`) comes first — or the second run's task 1 would
 * overwrite the first run's row. A re-run of the same workflow run replaces its own row.
 */
function rowKey(task: ClaimedTask, mode: "server" | "actions"): string {
  return mode === "actions" ? `${task.delivery.replace(/[^\w.-]/g, "_")}/${task.id}` : task.id;
}

/** Finds the comment of one delivery (`comments: every`): all of its tasks' rows, and only them. */
export function deliveryMarker(delivery: string): string {
  return `<!-- switchyard:routing:${delivery} -->`;
}

/**
 * The comment body with `row` added, or replacing the row of the same task; the newest 20
 * kept. `marker` finds the comment again: the sticky one, or one delivery's.
 */
export function renderRoutingComment(previous: string | null, row: string, marker: string = ROUTING_MARKER): string {
  const tag = ROW_TAG.exec(row)?.[1];
  const rows = (previous ?? "").split("\n").filter((line) => line.startsWith("| ") && ROW_TAG.test(line));
  const at = rows.findIndex((line) => ROW_TAG.exec(line)?.[1] === tag);
  if (at >= 0) rows[at] = row;
  else rows.push(row);
  return [
    OWN_MARKER,
    marker,
    marker === ROUTING_MARKER ? "**switchyard** routed these events here:" : "**switchyard** routed this event here:",
    "",
    "| when (UTC) | event | handled by | result |",
    "|---|---|---|---|",
    ...rows.slice(-MAX_ROWS),
  ].join("\n");
}

/** How many issues' dry-run routing comments a process remembers (the oldest is forgotten first). */
const MAX_PREVIEWS = 1000;
/** How far back a dry-run preview looks in the store for its comment: the newest deliveries about the issue. */
const PREVIEW_DELIVERIES = 20;
/**
 * The comment id a dry-run PATCH names when the comment exists only as a recorded POST:
 * GitHub never gave it an id, and no real comment has id 0.
 */
export const DRY_RUN_COMMENT_ID = 0;

/** A routing comment as dry-run recorded it last: its whole body, and the id a PATCH names. */
interface Preview {
  body: string;
  id: number;
}

/** The routing comment in the newest recorded write carrying `marker` (a POST creating it or a PATCH editing it). */
function previewFrom(writes: readonly GithubActionRecord[], marker: string): Preview | null {
  for (const write of writes) {
    const params = (write.body ?? {}) as { body?: unknown; comment_id?: unknown };
    // A routing comment as renderRoutingComment writes it, not any recorded write that quotes
    // the marker (an agent's comment echoing output that holds one).
    if (typeof params.body !== "string" || !params.body.startsWith(`${OWN_MARKER}\n${marker}\n`)) continue;
    if (write.method === "POST" && write.route.endsWith("/issues/{issue_number}/comments")) return { body: params.body, id: DRY_RUN_COMMENT_ID };
    if (write.method === "PATCH" && write.route.endsWith("/issues/comments/{comment_id}")) return { body: params.body, id: typeof params.comment_id === "number" ? params.comment_id : DRY_RUN_COMMENT_ID };
  }
  return null;
}

/**
 * The routing comment (docs/agents.md): after each task on an issue or pull request
 * finishes, one sticky comment found by its marker is edited in place (`comments: sticky`),
 * or one comment per event, found by the delivery's marker and edited as its tasks finish
 * (`every`), or nothing (`off`). Updates for one issue are
 * serialized in this process so two tasks finishing together do not both create it.
 *
 * In dry-run the comment GitHub would hold is the one dry-run recorded last, not what GitHub
 * answers (nothing was sent; without credentials nothing can be read): it is kept here per
 * issue, and looked up among the store's recorded writes for the issue when this process has
 * not written it yet, so the preview shows one comment edited in place, as a live run would.
 */
export function createRoutingCommentUpdater(mode: Config["comments"]) {
  const queues = new Map<string, Promise<void>>();
  // Also covers a write not committed yet: a task's writes are stored with its outcome, after this step.
  const previews = new Map<string, Preview>();

  async function lastPreview(ctx: AgentContext, key: string, marker: string): Promise<Preview | null> {
    const known = previews.get(key);
    if (known) return known;
    const subject = { repository: ctx.event.repository!, number: ctx.event.number! };
    return previewFrom(await ctx.store.subjectWrites(subject, { deliveries: PREVIEW_DELIVERIES, perTask: 100 }), marker);
  }

  function remember(key: string, preview: Preview): void {
    previews.delete(key);
    previews.set(key, preview);
    if (previews.size > MAX_PREVIEWS) previews.delete(previews.keys().next().value!);
  }

  return async (task: ClaimedTask, outcome: TaskOutcome, ctx: AgentContext | null): Promise<void> => {
    if (mode === "off" || !ctx || ctx.event.number === null || !ctx.event.repository) return;
    // A discussion has no issue comments to keep a routing table in: its command replies are the record.
    if (ctx.event.discussion) return;
    const { github, event } = ctx;
    const repo = event.repository!;
    const number = event.number!;
    const eventName = event.action ? `${event.type}.${event.action}` : event.type;
    // A deployment nobody will carry out must not read as done: say so where people look.
    const note = task.agent === "DeploymentAgent" && !hasDeployer(ctx.config) ? NO_DEPLOYER_NOTE : null;
    const row = routingRow(task, outcome, eventName, new Date(), note, ctx.mode);
    const key = `${repo}#${number}`;
    const previous = queues.get(key) ?? Promise.resolve();
    const update = previous
      .catch(() => undefined)
      .then(async () => {
        // sticky: one comment for the issue; every: one per event, with all of its tasks.
        const marker = mode === "every" ? deliveryMarker(task.delivery) : ROUTING_MARKER;
        // Only switchyard's own comment: a marker anyone pasted must not get their rows republished.
        const existing = findOwnComment(await github.listComments(repo, number), ctx.ownLogins, (body) => body.includes(marker));
        const previewKey = `${repo.toLowerCase()}#${number} ${marker}`;
        // A preview builds on the comment as dry-run left it; the real one (if any) names the id.
        const preview = github.dryRun ? await lastPreview(ctx, previewKey, marker) : null;
        const body = renderRoutingComment(preview?.body ?? existing?.body ?? null, row, marker);
        const id = existing?.id ?? preview?.id;
        if (id !== undefined) await github.updateComment(repo, id, body);
        else await github.createComment(repo, number, body);
        if (github.dryRun) remember(previewKey, { body, id: id ?? DRY_RUN_COMMENT_ID });
      });
    queues.set(key, update);
    try {
      await update;
    } catch (error) {
      throw new AfterTaskError(`the routing comment on ${key}`, error);
    } finally {
      if (queues.get(key) === update) queues.delete(key);
    }
  };
}
