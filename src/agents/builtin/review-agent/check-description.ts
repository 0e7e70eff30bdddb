import type { CheckVerdict } from "./check-verdict.js";

// A PR template's instructions are HTML comments: a body that is only the untouched
// template is as empty as no body at all.
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;

/**
 * Whether a PR description says anything: empty, whitespace and HTML comments do not.
 *
 * @example isEmptyDescription("<!-- Describe your change -->\n") // true
 */
export function isEmptyDescription(body: string | null | undefined): boolean {
  return (body ?? "").replace(HTML_COMMENT, "").trim() === "";
}

/** @example checkDescription("").level // "warning" */
export function checkDescription(body: string | null | undefined): CheckVerdict {
  const base = { id: "description", title: "Description" };
  if (!isEmptyDescription(body)) return { ...base, level: "pass", summary: "present", details: [] };
  return { ...base, level: "warning", summary: "empty", details: ["say what changes and why, and how it was tested: reviewers and the history need it"] };
}
