import { api, ApiError } from "./api.js";
import { badge, deliveryHref, duration, fill, h, liveTable, tableRow, time } from "./dom.js";

/** How many deliveries one request reads: the newest page, and each page "Show older" adds. */
const PAGE = 200;
const STATUSES = ["unrouted", "pending", "succeeded", "failed"];

function select(id, label, onChange) {
  const el = h("select", { id, name: id });
  el.addEventListener("change", () => onChange(el.value));
  return { el, field: h("div", { class: "field" }, h("label", { for: id }, label), el) };
}

/**
 * A text field with suggestions, for a filter the API applies: any value can be typed (an
 * event only older deliveries have, too), the suggestions are the values seen so far. It
 * applies on Enter, on leaving the field, or on picking a suggestion, not at each key.
 */
function combo(id, label, hint, onChange) {
  const list = h("datalist", { id: `${id}-values` });
  const el = h("input", { id, name: id, list: list.id, autocomplete: "off", spellcheck: "false", placeholder: "all", "aria-describedby": `${id}-hint` });
  const apply = () => onChange(el.value.trim());
  el.addEventListener("change", apply);
  el.addEventListener("input", () => {
    if ([...list.options].some((o) => o.value === el.value)) apply();
  });
  const field = h("div", { class: "field" }, h("label", { for: id }, label), el, list, h("span", { id: `${id}-hint`, class: "visually-hidden" }, hint));
  return { el, list, field };
}

/** Sets a select's options to "all" + `values`, keeping the chosen one even when no row has it now. */
function setOptions(el, values, chosen) {
  const wanted = [...new Set([...values, ...(chosen ? [chosen] : [])])].sort();
  const current = [...el.options].slice(1).map((o) => o.value);
  if (current.length === wanted.length && current.every((v, i) => v === wanted[i])) return;
  fill(el, h("option", { value: "" }, "all"), wanted.map((v) => h("option", { value: v }, v)));
  el.value = chosen;
}

/** Sets a datalist's suggestions, when they changed (redrawing it would close an open list). */
function setSuggestions(list, values) {
  const wanted = [...values].sort();
  const current = [...list.options].map((o) => o.value);
  if (current.length === wanted.length && current.every((v, i) => v === wanted[i])) return;
  fill(list, wanted.map((v) => h("option", { value: v })));
}

/** The decision cell; a delivery whose every task was skipped says so, as "succeeded" alone would not. */
function decision(d) {
  const [first, ...more] = d.tasks;
  if (!first) return h("span", { class: "muted" }, "no rule matched");
  const allSkipped = d.tasks.every((t) => t.status === "skipped");
  return [first.agent, more.length > 0 ? h("span", { class: "muted" }, ` +${more.length}`) : null, allSkipped ? [" ", badge("skipped")] : null];
}

function caption(shown, rows, filters, more) {
  const scope = more ? `the ${rows.length} newest deliveries loaded` : `all ${rows.length} deliveries`;
  const asked = [filters.status && `status ${filters.status}`, filters.event && `event ${filters.event}`, filters.repository && `repository ${filters.repository}`].filter(Boolean);
  const of = asked.length > 0 ? `${scope} with ${asked.join(", ")}` : scope;
  return filters.agent ? `${shown.length} of ${of} have a task of ${filters.agent}` : `${of[0].toUpperCase()}${of.slice(1)}`;
}

/**
 * Recent deliveries, newest first, with filters by status, event and repository (asked of
 * the API, over every stored delivery) and by agent (applied here, over the loaded ones: the
 * API has no agent filter). "Show older" loads the next page through the API's `before`
 * cursor; a refresh reads again from the newest down to the oldest delivery shown, so a
 * delivery arriving meanwhile neither hides nor repeats one. `filters` outlives the view, so
 * coming back from a delivery's page keeps them.
 */
export function createDeliveriesList(filters) {
  const status = select("filter-status", "Status", (v) => change("status", v));
  const event = combo("filter-event", "Event", "Any event name; applies on Enter.", (v) => change("event", v));
  const agent = select("filter-agent", "Agent", (v) => change("agent", v));
  const repository = combo("filter-repository", "Repository", "owner/name; applies on Enter.", (v) => change("repository", v));
  fill(status.el, h("option", { value: "" }, "all"), STATUSES.map((s) => h("option", { value: s }, s)));
  status.el.value = filters.status;
  event.el.value = filters.event;
  repository.el.value = filters.repository;

  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const older = h("button", { type: "button", class: "older", hidden: true, onclick: () => void showOlder() }, "Show older");
  const el = h(
    "section",
    { "aria-labelledby": "deliveries-title" },
    h("h2", { id: "deliveries-title" }, "Recent deliveries"),
    h("div", { class: "filters", role: "search", "aria-label": "Filter deliveries" }, status.field, event.field, agent.field, repository.field),
    body,
    older,
  );
  // What is loaded: the newest deliveries down to `floor` (null: the newest page only), and
  // whether older ones are left. Event, repository and agent names seen so far, to suggest.
  let rows = [];
  let more = false;
  let floor = null;
  // The oldest delivery with nothing older, once a page said so.
  let last = null;
  let problem = null;
  let drawn = null;
  // Each delivery's drawn row, with the JSON it was drawn from: a redraw builds only the rows
  // that are new or changed (with thousands loaded, building them all took seconds a click).
  let drawnRows = new Map();
  const drawnTable = liveTable(["Received", "Delivery", "Event", "Repository", "Decision", "Status", "Ack"]);
  const seen = { event: new Set(), repository: new Set(), agent: new Set() };

  function change(key, value) {
    if (filters[key] === value) return;
    filters[key] = value;
    if (key === "agent") return render();
    floor = null;
    last = null;
    void refresh();
  }

  const query = () => {
    const asked = ["status", "event", "repository"].filter((key) => filters[key]);
    return `/api/deliveries?limit=${PAGE}${asked.map((key) => `&${key}=${encodeURIComponent(filters[key])}`).join("")}`;
  };
  const page = (base, before) => api(before ? `${base}&before=${encodeURIComponent(before)}` : base);

  /**
   * Reads from the newest down to `to` (null: one page), page by page through the cursor. `to`
   * lies within a page past the `shown` rows (Show older adds one page; arrivals in a refresh's
   * 2 s are fewer): not found there, it is gone (deleted by retention, or no longer matching a
   * status filter), and `shown` rows are kept, with `floorGone` saying the floor must move.
   */
  async function load(base, to, shown) {
    const loaded = [];
    for (;;) {
      const next = await page(base, loaded.at(-1)?.delivery);
      loaded.push(...next);
      const full = next.length === PAGE;
      const end = to === null ? -1 : loaded.findIndex((d) => d.delivery === to);
      if (end >= 0) return { loaded: loaded.slice(0, end + 1), more: full || end < loaded.length - 1, floorGone: false };
      if (to === null || !full) return { loaded, more: full, floorGone: to !== null };
      if (loaded.length >= shown + PAGE) return { loaded: loaded.slice(0, Math.max(shown, 1)), more: true, floorGone: true };
    }
  }

  function settle(base, result) {
    // The filters changed while this was on its way: the newer call draws the list.
    if (base !== query()) return;
    rows = result.loaded;
    more = result.more && rows.at(-1)?.delivery !== last;
    problem = null;
    render();
  }

  /** A filter the API refused (an event name nothing has, a repository not owner/name): said in the list. */
  function refuse(base, error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error;
    if (base !== query()) return;
    rows = [];
    more = false;
    problem = error.message;
    render();
  }

  async function refresh() {
    const base = query();
    const to = floor;
    try {
      const result = await load(base, to, rows.length);
      // "Show older" moved the floor meanwhile: its own refresh draws the longer list.
      if (to !== floor) return;
      // Without this, every live refresh would page down to the end again.
      if (result.floorGone) floor = result.loaded.at(-1)?.delivery ?? null;
      settle(base, result);
    } catch (error) {
      refuse(base, error);
    }
  }

  /** Appends the page after the oldest delivery shown; the live refresh then reads from the newest down to its end. */
  async function showOlder() {
    const base = query();
    const oldest = rows.at(-1)?.delivery;
    if (!oldest) return;
    older.disabled = true;
    try {
      const next = await page(base, oldest);
      if (base !== query()) return;
      if (next.length === 0) {
        last = oldest;
        more = false;
        return render();
      }
      // Appended as read: a reload from the newest here would have to find the new floor past
      // a page of rows plus whatever arrived meanwhile. The live refresh reads down to it.
      const shown = new Set(rows.map((d) => d.delivery));
      rows = [...rows, ...next.filter((d) => !shown.has(d.delivery))];
      floor = next.at(-1).delivery;
      if (next.length < PAGE) last = floor;
      more = next.length === PAGE;
      render();
    } catch (error) {
      // The oldest row shown was deleted meanwhile (retention): not a bad filter, so start over from the newest.
      if (error instanceof ApiError && error.status === 400 && error.message.startsWith("before ")) {
        floor = null;
        return void (await refresh());
      }
      refuse(base, error);
    } finally {
      older.disabled = false;
    }
  }

  /** A delivery's row: the one drawn before when the delivery has not changed since. */
  function row(d) {
    const key = JSON.stringify(d);
    const before = drawnRows.get(d.delivery);
    if (before?.key === key) return before.tr;
    const tr = tableRow([
      time(d.received_at),
      h("a", { href: deliveryHref(d.delivery) }, d.delivery),
      d.action ? `${d.event}.${d.action}` : d.event,
      d.repository ?? h("span", { class: "muted" }, "—"),
      decision(d),
      badge(d.status),
      duration(d.ack_ms),
    ]);
    drawnRows.set(d.delivery, { key, tr });
    return tr;
  }

  function render() {
    for (const d of rows) {
      seen.event.add(d.event);
      if (d.repository !== null) seen.repository.add(d.repository);
      for (const t of d.tasks) seen.agent.add(t.agent);
    }
    setSuggestions(event.list, seen.event);
    setSuggestions(repository.list, seen.repository);
    setOptions(agent.el, seen.agent, filters.agent);
    const text = JSON.stringify([rows, more, problem, filters]);
    if (text === drawn) return;
    drawn = text;
    older.hidden = !more;
    if (problem !== null) return fill(body, h("p", { class: "error-text" }, `No delivery listed: ${problem}`));
    const shown = filters.agent ? rows.filter((d) => d.tasks.some((t) => t.agent === filters.agent)) : rows;
    // Rows no longer shown are forgotten, so the map holds what the table holds.
    const kept = new Set(shown.map((d) => d.delivery));
    drawnRows = new Map([...drawnRows].filter(([id]) => kept.has(id)));
    const filtered = filters.status || filters.event || filters.repository;
    const note = filters.agent && more ? h("p", { class: "muted" }, "The agent filter looks only at the deliveries loaded here; Show older loads more.") : null;
    if (shown.length === 0) {
      const emptyText = rows.length === 0 && !filtered ? "No deliveries yet." : rows.length > 0 && more ? "No loaded delivery matches these filters; Show older loads more." : "No delivery matches these filters.";
      return fill(body, note, h("p", { class: "muted" }, emptyText));
    }
    // The table stays; its rows are put in order, moving only what moved: with thousands
    // drawn, rebuilding the table made the browser lay every row out again per page added.
    drawnTable.update(caption(shown, rows, filters, more), shown.map(row));
    if (note !== null || body.childNodes.length !== 1 || body.firstChild !== drawnTable.el) fill(body, note, drawnTable.el);
  }

  return { el, refresh };
}
