import { Unauthorized, clearToken, hasToken, setToken, takeTokenFromFragment } from "./api.js";
import { createDeadTasks } from "./dead-tasks.js";
import { createDeliveriesList } from "./deliveries-list.js";
import { createDeliveryView } from "./delivery-view.js";
import { fill, h, utcText } from "./dom.js";
import { createKpiTiles } from "./kpi-tiles.js";

// The dashboard: hash routes (`#/` the overview, `#/delivery/<id>` one delivery), redrawn
// from the admin API every few seconds while "Live refresh" is on and the tab is visible.

const REFRESH_MS = 2000;
const main = document.getElementById("main");
const updated = document.getElementById("updated");
const live = document.getElementById("live");
const errorBox = h("p", { class: "error", role: "alert", hidden: true });
/** The deliveries filters, kept while moving between pages. */
const filters = { status: "", event: "", agent: "", repository: "" };
let view = null;

function createOverview() {
  const parts = [createKpiTiles(), createDeadTasks(() => refresh()), createDeliveriesList(filters)];
  const heading = h("h1", { tabindex: "-1", class: "visually-hidden" }, "Overview");
  return {
    el: h("div", {}, heading, parts.map((p) => p.el)),
    refresh: () => Promise.all(parts.map((p) => p.refresh())),
    title: "Overview",
    focus: heading,
  };
}

function decodeHash(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function route({ focus }) {
  const match = /^#\/delivery\/(.+)$/.exec(location.hash);
  view = match ? createDeliveryView(decodeHash(match[1]), () => refresh()) : createOverview();
  document.title = `${view.title} · switchyard`;
  errorBox.hidden = true;
  fill(main, errorBox, view.el);
  // After a navigation, screen readers start at the new page's heading.
  if (focus) view.focus.focus();
  void refresh();
}

async function refresh() {
  const current = view;
  if (current === null) return;
  // One call at a time per view; a refresh asked for meanwhile (after a replay) runs next.
  if (current.busy) {
    current.again = true;
    return;
  }
  current.busy = true;
  try {
    await current.refresh();
    if (current !== view) return;
    errorBox.hidden = true;
    // The time of day as every other time on the page: UTC, 24-hour, marked.
    updated.textContent = `Updated ${utcText(new Date().toISOString()).slice(11)}`;
  } catch (error) {
    if (current !== view) return;
    if (error instanceof Unauthorized) return askForToken();
    errorBox.textContent = `Could not load: ${error.message}`;
    errorBox.hidden = false;
  } finally {
    current.busy = false;
    if (current.again && current === view) {
      current.again = false;
      void refresh();
    }
  }
}

function askForToken() {
  view = null;
  const refused = hasToken();
  clearToken();
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", spellcheck: "false", required: true });
  const form = h(
    "form",
    { class: "token-form" },
    h("h1", {}, "Admin token"),
    h("p", {}, refused ? "That token was refused. " : "", "This admin listener needs its bearer token (ADMIN_TOKEN)."),
    h("div", { class: "field" }, h("label", { for: "token" }, "Token"), input),
    h("button", { type: "submit" }, "Open the dashboard"),
    h("p", { class: "muted" }, "Kept in this tab's session storage only, and sent only to this server's API as an Authorization header."),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    route({ focus: true });
  });
  document.title = "Admin token · switchyard";
  fill(main, form);
  input.focus();
}

takeTokenFromFragment();
live.checked = sessionStorage.getItem("switchyard.live") !== "off";
live.addEventListener("change", () => {
  sessionStorage.setItem("switchyard.live", live.checked ? "on" : "off");
  if (live.checked) void refresh();
});
window.addEventListener("hashchange", () => {
  takeTokenFromFragment();
  route({ focus: true });
});
setInterval(() => {
  if (live.checked && !document.hidden) void refresh();
}, REFRESH_MS);
route({ focus: false });
