import { api } from "./api.js";
import { deliveryHref, fill, h, table, time } from "./dom.js";
import { replayButton } from "./replay-button.js";

const LIMIT = 100;

/** Dead tasks, newest first, each with a Replay button. */
export function createDeadTasks(refreshAll) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const el = h("section", { "aria-labelledby": "dead-title" }, h("h2", { id: "dead-title" }, "Dead tasks"), body);
  let shown = null;

  async function refresh() {
    // One more than shown: whether there are more than LIMIT, without a count of them all.
    const asked = await api(`/api/tasks?status=dead&limit=${LIMIT + 1}`);
    const more = asked.length > LIMIT;
    const tasks = asked.slice(0, LIMIT);
    const text = JSON.stringify(asked);
    if (text === shown) return;
    shown = text;
    fill(
      body,
      table(
        more
          ? `More than ${LIMIT} dead tasks: the newest ${LIMIT} shown (switchyard tasks --status dead lists them all; switchyard_queue_depth counts them)`
          : `${tasks.length} dead task${tasks.length === 1 ? "" : "s"}`,
        ["Task", "Agent", "Delivery", "Attempts", "Last error", "Updated", "Replay"],
        tasks.map((t) => [
          t.id,
          t.agent,
          h("a", { href: deliveryHref(t.delivery) }, t.delivery),
          String(t.attempts),
          h("span", { class: "error-text" }, t.last_error ?? "—"),
          time(t.updated_at),
          replayButton(t, refreshAll),
        ]),
        { emptyText: "No dead tasks." },
      ),
    );
  }

  return { el, refresh };
}
