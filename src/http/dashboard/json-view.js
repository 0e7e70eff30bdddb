import { h } from "./dom.js";

// A payload viewer: objects and arrays fold (<details>), their children are built when first
// opened, so a large payload costs nothing until it is explored. Keys and values are text.

const PREVIEW_KEYS = 4;

function scalar(value) {
  if (value === null) return h("span", { class: "j-null" }, "null");
  if (typeof value === "string") return h("span", { class: "j-str" }, JSON.stringify(value));
  if (typeof value === "number") return h("span", { class: "j-num" }, String(value));
  return h("span", { class: "j-bool" }, String(value));
}

function preview(value) {
  if (Array.isArray(value)) return `[ ${value.length} item${value.length === 1 ? "" : "s"} ]`;
  const keys = Object.keys(value);
  return `{ ${keys.slice(0, PREVIEW_KEYS).join(", ")}${keys.length > PREVIEW_KEYS ? ", …" : ""} }`;
}

function node(label, value, open) {
  const key = label === null ? null : h("span", { class: "j-key" }, label);
  if (value === null || typeof value !== "object") return h("div", { class: "j-line" }, key, key && ": ", scalar(value));
  const details = h("details", { class: "j-node" }, h("summary", {}, key, key && ": ", h("span", { class: "muted" }, preview(value))));
  const children = h("div", { class: "j-children" });
  details.append(children);
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    for (const [k, v] of entries) children.append(node(k, v, false));
  };
  details.addEventListener("toggle", () => details.open && build());
  if (open) {
    details.open = true;
    build();
  }
  return details;
}

/** A folding view of a JSON value, its top level open. */
export function jsonView(value) {
  return h("div", { class: "json" }, node(null, value, true));
}
