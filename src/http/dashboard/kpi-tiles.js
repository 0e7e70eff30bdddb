import { api, ApiError } from "./api.js";
import { badge, fill, h } from "./dom.js";

function withUnit(value, unit) {
  return unit ? `${value} ${unit}` : String(value);
}

function tile(kpi) {
  return h(
    "li",
    { class: `tile tile-${kpi.status === "n/a" ? "na" : kpi.status}` },
    h("h3", {}, kpi.name),
    h("p", { class: "tile-value" }, kpi.actual === null ? "n/a" : withUnit(kpi.actual, kpi.unit)),
    h("p", { class: "tile-target" }, `target ${withUnit(kpi.target, kpi.unit)} `, badge(kpi.status)),
  );
}

/**
 * How often the tiles are asked for again. A day's KPIs read every delivery of the day, on
 * the server's serving thread with SQLite, and barely move in a few seconds: the rest of
 * the overview refreshes every 2 s, the tiles every 30.
 */
const KPI_REFRESH_MS = 30_000;

/** The six KPI tiles over the last 24 hours, from `GET /api/kpi`; "unavailable" when the server has none. */
export function createKpiTiles() {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const el = h("section", { "aria-labelledby": "kpi-title" }, h("h2", { id: "kpi-title" }, "KPIs, last 24 hours"), body);
  let shown = null;
  let askedAt = -Infinity;

  async function refresh() {
    if (Date.now() - askedAt < KPI_REFRESH_MS) return;
    askedAt = Date.now();
    let report;
    try {
      report = await api("/api/kpi?since=24h");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const text = error.status === 404 ? "KPIs unavailable: this server does not compute them." : `KPIs unavailable: ${error.message}`;
      if (shown !== text) fill(body, h("p", { class: "muted" }, text));
      shown = text;
      return;
    }
    const text = JSON.stringify(report.kpis);
    if (text === shown) return;
    shown = text;
    fill(body, h("ul", { class: "tiles" }, report.kpis.map(tile)));
  }

  return { el, refresh };
}
