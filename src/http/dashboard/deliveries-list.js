import { api } from "./api.js";
import { badge, deliveryHref, duration, fill, h, table, time } from "./dom.js";

/** How many recent deliveries the list reads; event, agent and repository filter within them. */
const LIMIT = 200;
const STATUSES = ["unrouted", "pending", "succeeded", "failed"];

function select(id, label, onChange) {
  const el = h("select", { id, name: id });
  el.addEventListener("change", () => onChange(el.value));
  return { el, field: h("div", { class: "field" }, h("label", { for: id }, label), el) };
}

/** Sets a select's options to "all" + `values`, keeping the chosen one even when no row has it now. */
function setOptions(el, values, chosen) {
  const wanted = [...new Set([...values, ...(chosen ? [chosen] : [])])].sort();
  const current = [...el.options].slice(1).map((o) => o.value);
  if (current.length === wanted.length && current.every((v, i) => v === wanted[i])) return;
  fill(el, h("option", { value: "" }, "all"), wanted.map((v) => h("option", { value: v }, v)));
  el.value = chosen;
}

function decision(d) {
  const [first, ...more] = d.tasks;
  if (!first) return h("span", { class: "muted" }, "no rule matched");
  return [first.agent, more.length > 0 ? h("span", { class: "muted" }, ` +${more.length}`) : null];
}

/**
 * Recent deliveries with filters by status (asked of the API), event, agent and repository
 * (applied here, over the newest LIMIT). `filters` outlives the view, so coming back from a
 * delivery's page keeps them.
 */
export function createDeliveriesList(filters) {
  const status = select("filter-status", "Status", (v) => change("status", v));
  const event = select("filter-event", "Event", (v) => change("event", v));
  const agent = select("filter-agent", "Agent", (v) => change("agent", v));
  const repository = select("filter-repository", "Repository", (v) => change("repository", v));
  fill(status.el, h("option", { value: "" }, "all"), STATUSES.map((s) => h("option", { value: s }, s)));
  status.el.value = filters.status;

  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const el = h(
    "section",
    { "aria-labelledby": "deliveries-title" },
    h("h2", { id: "deliveries-title" }, "Recent deliveries"),
    h("div", { class: "filters", role: "search", "aria-label": "Filter deliveries" }, status.field, event.field, agent.field, repository.field),
    body,
  );
  let rows = [];
  let fetched = null;

  function change(key, value) {
    filters[key] = value;
    if (key === "status") void refresh();
    else render();
  }

  function render() {
    setOptions(event.el, rows.map((d) => d.event), filters.event);
    setOptions(agent.el, rows.flatMap((d) => d.tasks.map((t) => t.agent)), filters.agent);
    setOptions(repository.el, rows.map((d) => d.repository).filter((r) => r !== null), filters.repository);
    const shown = rows.filter(
      (d) =>
        (!filters.event || d.event === filters.event) &&
        (!filters.agent || d.tasks.some((t) => t.agent === filters.agent)) &&
        (!filters.repository || d.repository === filters.repository),
    );
    fill(
      body,
      table(
        `${shown.length} of the ${rows.length} newest deliveries${filters.status ? ` with status ${filters.status}` : ""}`,
        ["Received", "Delivery", "Event", "Repository", "Decision", "Status", "Ack"],
        shown.map((d) => [
          time(d.received_at),
          h("a", { href: deliveryHref(d.delivery) }, d.delivery),
          d.action ? `${d.event}.${d.action}` : d.event,
          d.repository ?? h("span", { class: "muted" }, "—"),
          decision(d),
          badge(d.status),
          duration(d.ack_ms),
        ]),
        { emptyText: rows.length === 0 ? "No deliveries yet." : "No delivery matches these filters." },
      ),
    );
  }

  const currentQuery = () => `/api/deliveries?limit=${LIMIT}${filters.status ? `&status=${encodeURIComponent(filters.status)}` : ""}`;

  async function refresh() {
    const query = currentQuery();
    const list = await api(query);
    // The status filter changed while this was on its way: the newer call draws the list.
    if (query !== currentQuery()) return;
    const text = query + JSON.stringify(list);
    if (text === fetched) return;
    fetched = text;
    rows = list;
    render();
  }

  return { el, refresh };
}
