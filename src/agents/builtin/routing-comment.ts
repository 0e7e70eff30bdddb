import type { Config } from "../../config/schema.js";
import { OWN_MARKER } from "../../commands/parse-commands.js";
import type { ClaimedTask, TaskOutcome } from "../../store/store.js";
import type { AgentContext } from "../agent.js";
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
 * points to `switchyard tasks show`, where the stored error and output are.
 */
export function routingRow(task: ClaimedTask, outcome: TaskOutcome, eventName: string, at: Date, note: string | null = null): string {
  const status = outcome.status === "dead" ? `dead (details: \`switchyard tasks show ${task.id}\`)` : outcome.status;
  const result = note ? `${status} (${note})` : status;
  const when = at.toISOString().slice(0, 16).replace("T", " ");
  return `| ${when} | ${cell(eventName)} | ${cell(`${task.agent} (${task.rule})`)} | ${cell(result)} <!-- task:${task.id} --> |`;
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

/**
 * The routing comment (docs/agents.md): after each task on an issue or pull request
 * finishes, one sticky comment found by its marker is edited in place (`comments: sticky`),
 * or one comment per event, found by the delivery's marker and edited as its tasks finish
 * (`every`), or nothing (`off`). Updates for one issue are
 * serialized in this process so two tasks finishing together do not both create it.
 */
export function createRoutingCommentUpdater(mode: Config["comments"]) {
  const queues = new Map<string, Promise<void>>();

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
    const row = routingRow(task, outcome, eventName, new Date(), note);
    const key = `${repo}#${number}`;
    const previous = queues.get(key) ?? Promise.resolve();
    const update = previous
      .catch(() => undefined)
      .then(async () => {
        // sticky: one comment for the issue; every: one per event, with all of its tasks.
        const marker = mode === "every" ? deliveryMarker(task.delivery) : ROUTING_MARKER;
        const existing = (await github.listComments(repo, number)).find((c) => c.body.includes(marker));
        const body = renderRoutingComment(existing?.body ?? null, row, marker);
        if (existing) await github.updateComment(repo, existing.id, body);
        else await github.createComment(repo, number, body);
      });
    queues.set(key, update);
    try {
      await update;
    } finally {
      if (queues.get(key) === update) queues.delete(key);
    }
  };
}
