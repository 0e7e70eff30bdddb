import { api } from "./api.js";
import { badge, duration, facts, fill, h, table, time } from "./dom.js";
import { jsonView } from "./json-view.js";
import { taskView } from "./task-view.js";

/** Why the delivery ran what it ran, in words. */
function routing(d) {
  if (d.decision === null) {
    if (d.ignored) return h("p", {}, `Ignored (${d.ignored}): switchyard never acts on its own or a bot's comments and labels, so it was stored without tasks.`);
    return h("p", {}, d.event === "ping" ? "A ping: stored without tasks." : "No rule matched this event: it was stored without tasks (unrouted).");
  }
  const { rule, agent, priority, action } = d.decision;
  const [first, ...more] = d.tasks;
  // A skipped task never ran: another task held its idempotency key (its section says which).
  const won = first?.status === "skipped"
    ? [` ${agent} was to run `, h("code", {}, action), ", but the task was skipped: another task already holds its idempotency key, so nothing ran."]
    : [` ${agent} runs `, h("code", {}, action), "."];
  // The plan an `/agent execute` hands over is a task CoordinatorAgent added (rule execute-plan), not one a rule routed.
  const routed = more.filter((t) => t.rule !== HANDED_OVER_RULE);
  const handed = more.filter((t) => t.rule === HANDED_OVER_RULE);
  const item = (t) => h("li", {}, h("code", {}, t.rule), ` → ${t.agent} (${t.priority}, `, h("code", {}, t.action), ")", t.status === "skipped" ? " — skipped" : "");
  return [
    h("p", {}, "Rule ", h("code", {}, rule), ` won at priority ${priority}:`, won),
    routed.length === 0 ? null : [h("p", {}, "Lower rules ran too (the winner has continue: true):"), h("ul", {}, routed.map(item))],
    handed.length === 0 ? null : [h("p", {}, "Handed over by an agent as it ran (the plan of /agent execute, run as a task of its own):"), h("ul", {}, handed.map(item))],
  ];
}

/** The rule of the task CoordinatorAgent adds for `/agent execute` (EXECUTE_PLAN_RULE in the agent's code). */
const HANDED_OVER_RULE = "execute-plan";

/** The status; "succeeded" covers skipped tasks too, so a delivery whose every task was skipped says so. */
function status(d) {
  const allSkipped = d.tasks.length > 0 && d.tasks.every((t) => t.status === "skipped");
  return allSkipped ? [badge(d.status), " ", h("span", { class: "muted" }, "every task skipped: nothing ran")] : badge(d.status);
}

function summary(d) {
  return facts([
    ["Status", status(d)],
    ["Event", d.action ? `${d.event}.${d.action}` : d.event],
    ["Repository", d.repository],
    ["Installation", d.installation === null ? null : String(d.installation)],
    ["Received", time(d.received_at)],
    ["Acknowledged in", duration(d.ack_ms)],
    ["Signature", d.signature ? h("code", {}, d.signature) : null],
  ]);
}

function headers(d) {
  return table(
    "Kept request headers",
    ["Header", "Value"],
    Object.entries(d.headers).map(([name, value]) => [h("code", {}, name), h("code", {}, value)]),
    { emptyText: "No headers kept." },
  );
}

/**
 * The payload indented, or a note when it nests deeper than JSON.stringify can recurse, as a
 * body ingest accepted may (JSON.parse has no depth limit; nor has the folding view).
 */
function rawJson(d) {
  try {
    return h("pre", { class: "text" }, JSON.stringify(d.payload, null, 2));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return h("p", { class: "muted" }, "Nested too deeply to print here: ", h("code", {}, `switchyard deliveries show ${d.delivery} --json`), " prints it whole.");
  }
}

function payload(d) {
  if (d.body_pruned_at) {
    return h("p", { class: "muted" }, `Emptied by retention at ${d.body_pruned_at} (store.retention.bodies): what happened to the delivery stays on record, but its payload is gone and it can no longer be replayed.`);
  }
  if (d.payload === null) return h("p", { class: "muted" }, "The body is not a JSON object.");
  return [jsonView(d.payload), h("details", { class: "raw" }, h("summary", {}, "Raw JSON"), rawJson(d))];
}

function section(id, title, ...children) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), h("div", {}, ...children));
}

/**
 * A delivery's page: summary, routing explanation, tasks with attempts and writes (redrawn
 * when they change), headers and payload (drawn once: they never change).
 */
export function createDeliveryView(id, refreshAll) {
  const heading = h("h1", { tabindex: "-1" }, "Delivery ", h("code", {}, id));
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const el = h("div", { class: "delivery" }, h("p", {}, h("a", { href: "#/" }, "← All deliveries")), heading, body);
  const live = { summary: h("div"), routing: h("div"), tasks: h("div") };
  let shown = null;

  async function refresh() {
    let d;
    try {
      // The payload once: a refresh asks for the rest (a large body is neither parsed nor sent again).
      d = await api(`/api/deliveries/${encodeURIComponent(id)}${shown === null ? "" : "?payload=0"}`);
    } catch (error) {
      if (error.status !== 404) throw error;
      // Duplicates and refusals are not stored by design: say so, or a missing id reads as a lost delivery.
      fill(
        body,
        h("p", {}, "No delivery with this id is on record."),
        h(
          "p",
          { class: "muted" },
          "A duplicate (the same body as a stored delivery) and a refused request (bad signature, rate limit, too large…) are not stored: the server's log names the delivery id of a duplicate (with duplicate_of, the stored one), of a failed signature check and, at info, of a request refused as malformed or too large. A delivery older than store.retention.rows is deleted.",
        ),
      );
      return;
    }
    // The payload never changes (and may nest too deep to stringify): compare the rest.
    const { payload: _payload, ...rest } = d;
    const text = JSON.stringify(rest);
    if (text === shown) return;
    if (shown === null) {
      fill(
        body,
        section("summary-title", "Summary", live.summary),
        section("routing-title", "Routing", live.routing),
        section("tasks-title", "Tasks", live.tasks),
        section("headers-title", "Headers", headers(d)),
        section("payload-title", "Payload", payload(d)),
      );
    }
    shown = text;
    fill(live.summary, summary(d));
    fill(live.routing, routing(d));
    fill(live.tasks, d.tasks.length === 0 ? h("p", { class: "muted" }, "No tasks.") : d.tasks.map((t) => taskView(t, refreshAll)));
  }

  return { el, refresh, title: `Delivery ${id}`, focus: heading };
}
