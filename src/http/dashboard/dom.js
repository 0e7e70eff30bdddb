// Building the page from data without ever parsing data as HTML: every value becomes a text
// node or an attribute set through the DOM. Payloads, titles, errors and comment bodies are
// attacker-controlled text; nothing here uses innerHTML.

/**
 * An element with attributes and children; strings become text nodes, `on…` attributes
 * listeners, null/undefined/false are left out.
 *
 * @example
 * h("a", { href: "#/" }, "Back") // <a href="#/">Back</a>
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * An instant as the CLI and GitHub comments give it: UTC, 24-hour, marked "UTC", so that
 * everyone reading the page (whatever their browser's zone) sees the same time as the logs.
 *
 * @example
 * utcText("2026-01-02T03:04:05.678Z") // "2026-01-02 03:04:05 UTC"
 */
export function utcText(iso) {
  return `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * An ISO time as a `<time>`: UTC date and time (utcText), the exact ISO value in its title.
 *
 * @example
 * time("2026-01-02T03:04:05.678Z") // <time datetime="2026-01-02T03:04:05.678Z">2026-01-02 03:04:05 UTC</time>
 */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: iso }, utcText(iso));
}

/** A duration in milliseconds, as people read it. */
export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

/** A status or outcome as a labelled badge: the word itself, the colour only repeats it. */
export function badge(word) {
  return h("span", { class: `badge badge-${String(word).replace(/[^a-z0-9-]/gi, "-")}` }, word);
}

/** A table row from its cells. */
export function tableRow(cells) {
  return h("tr", {}, cells.map((cell) => h("td", {}, cell)));
}

/**
 * Makes `nodes` the children of `parent`, in order, moving only those out of place (a node
 * already where it belongs is left alone, so appending to a long list touches only the new).
 */
export function reorderChildren(parent, nodes) {
  let at = parent.firstChild;
  for (const node of nodes) {
    if (node === at) at = at.nextSibling;
    else parent.insertBefore(node, at);
  }
  while (at !== null) {
    const next = at.nextSibling;
    parent.removeChild(at);
    at = next;
  }
}

/**
 * A table that stays on the page and is updated in place: `update` sets its caption and puts
 * its rows (tableRow elements, reused from one update to the next) in order.
 */
export function liveTable(headers) {
  const caption = h("caption");
  const tbody = h("tbody");
  const el = h("div", { class: "table-wrap" }, h("table", {}, caption, h("thead", {}, h("tr", {}, headers.map((title) => h("th", { scope: "col" }, title)))), tbody));
  return {
    el,
    update(captionText, rows) {
      caption.textContent = captionText;
      reorderChildren(tbody, rows);
    },
  };
}

/** A table with a caption and column headers; `rows` are arrays of cells. */
export function table(caption, headers, rows, { emptyText = "Nothing here." } = {}) {
  if (rows.length === 0) return h("p", { class: "muted" }, emptyText);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows.map(tableRow)),
    ),
  );
}

/** A definition list from `[term, value]` pairs, skipping pairs whose value is undefined. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, value]) => value !== undefined).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value ?? h("span", { class: "muted" }, "—"))]),
  );
}

/** Preformatted text (errors, output, bodies), kept as text. */
export function pre(text) {
  return h("pre", { class: "text" }, text);
}

/** Says something in the page's live region (replays, failures), for everyone and for screen readers. */
export function announce(text, { error = false } = {}) {
  const notice = document.getElementById("notice");
  notice.className = error ? "notice notice-error" : "notice";
  notice.textContent = text;
}

/** The hash link to a delivery's page. */
export function deliveryHref(id) {
  return `#/delivery/${encodeURIComponent(id)}`;
}
