import { api } from "./api.js";
import { badge, deliveryHref, duration, facts, fill, h, pre, table, time } from "./dom.js";
import { replayButton } from "./replay-button.js";

function attemptDuration(a) {
  return a.finished_at ? duration(Date.parse(a.finished_at) - Date.parse(a.started_at)) : "running";
}

/** "task N", linked to its delivery's page once the API says which delivery that is. */
function taskLink(id) {
  const el = h("span", {}, `task ${id}`);
  api(`/api/tasks/${encodeURIComponent(id)}`).then(
    (holder) => fill(el, h("a", { href: deliveryHref(holder.delivery), title: `delivery ${holder.delivery}` }, `task ${id}`)),
    () => {}, // gone (retention) or unreachable: the plain words stay
  );
  return el;
}

/**
 * Why a task was skipped: another task held its idempotency key when it was routed (a second
 * push of the same sha), so it never ran and never will. Said as that, not as an error.
 */
function skipReason(task) {
  const held = /^skipped: task (\d+) already holds idempotency key ([^]*)$/.exec(task.last_error ?? "");
  const why = held ? [taskLink(held[1]), " already holds its idempotency key ", h("code", {}, held[2])] : (task.last_error ?? "").replace(/^skipped: /, "");
  return h("p", { class: "skip-reason" }, "Not run, nor will it be unless replayed", why.length === 0 ? "." : [": ", why, "."]);
}

function attempts(task) {
  return table(
    `Attempts of task ${task.id}`,
    ["#", "Started", "Took", "Outcome", "Error", "Retry after", "Output"],
    task.attempt_log.map((a) => [
      // An attempt another agent ran (the delivery was replayed after a config change) says so.
      a.agent && a.agent !== task.agent ? `${a.n} (run by ${a.agent})` : String(a.n),
      time(a.started_at),
      attemptDuration(a),
      a.outcome ? badge(a.outcome) : h("span", { class: "muted" }, "running"),
      a.error ? pre(a.error) : h("span", { class: "muted" }, "—"),
      a.retry_delay_ms === null ? "—" : duration(a.retry_delay_ms),
      a.output ? pre(a.output) : h("span", { class: "muted" }, "—"),
    ]),
    { emptyText: task.status === "skipped" ? "None: the task was skipped." : "Not run yet." },
  );
}

/** A write's body: strings (comment and review text) as text blocks, everything else as JSON. */
function writeBody(body) {
  if (body === null || body === undefined) return h("span", { class: "muted" }, "no body");
  if (typeof body !== "object" || Array.isArray(body)) return pre(JSON.stringify(body, null, 2));
  return facts(Object.entries(body).map(([key, value]) => [key, typeof value === "string" ? pre(value) : h("code", {}, JSON.stringify(value))]));
}

function writes(task) {
  // Writes GitHub refused or never answered, read from the attempts by the server (`tasks show` lists the same).
  const failed = task.failed_writes ?? [];
  if (task.github_writes.length === 0 && failed.length === 0) return h("p", { class: "muted" }, "No GitHub writes.");
  const list = h(
    "ol",
    { class: "writes", "aria-label": `GitHub writes of task ${task.id}` },
    task.github_writes.map((w) =>
      h(
        "li",
        { class: "write" },
        h("p", { class: "write-line" }, h("code", { class: "method" }, w.method), " ", h("code", {}, w.route), " ", w.dry_run ? badge("dry-run") : badge("sent"), " ", time(w.at)),
        writeBody(w.body),
      ),
    ),
    failed.map((w) =>
      h(
        "li",
        { class: "write" },
        h("p", { class: "write-line" }, h("code", { class: "method" }, w.method), " ", h("code", {}, w.route), " ", badge("failed"), " ", h("span", { class: "muted" }, `in attempt ${w.attempt}, not recorded: see its ${w.see}`)),
      ),
    ),
  );
  return task.github_writes.length === 0 ? [h("p", { class: "muted" }, "None went through:"), list] : list;
}

/** One task of a delivery: what it is, its attempts, its GitHub writes, and Replay when dead. */
export function taskView(task, refresh) {
  return h(
    "article",
    { class: "task", "aria-labelledby": `task-${task.id}` },
    h("h3", { id: `task-${task.id}` }, `Task ${task.id} · ${task.agent} `, badge(task.status), task.status === "dead" ? [" ", replayButton(task, refresh)] : null),
    facts([
      ["Rule", task.rule],
      ["Action", task.action],
      ["Priority", task.priority],
      ["Attempts", String(task.attempts)],
      ["Idempotency key", task.idempotency_key],
      ["Runs at", task.status === "ready" ? time(task.run_at) : undefined],
      task.status === "skipped" ? ["Skipped", skipReason(task)] : ["Last error", task.last_error ? pre(task.last_error) : undefined],
    ]),
    h("h4", {}, "Attempts"),
    attempts(task),
    h("h4", {}, task.github_writes.some((w) => w.dry_run) ? "GitHub writes (dry-run: recorded, not sent)" : "GitHub writes"),
    writes(task),
  );
}
