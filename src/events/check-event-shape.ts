/**
 * What each event's payload must carry to be that event: the object (or value) GitHub
 * always sends with it. Events not listed are not checked.
 */
const REQUIRED_KEYS: Readonly<Record<string, readonly string[]>> = {
  issues: ["issue"],
  issue_comment: ["issue", "comment"],
  pull_request: ["pull_request"],
  pull_request_target: ["pull_request"],
  pull_request_review: ["pull_request", "review"],
  pull_request_review_comment: ["pull_request", "comment"],
  push: ["ref"],
  create: ["ref"],
  delete: ["ref"],
  workflow_run: ["workflow_run"],
  workflow_job: ["workflow_job"],
  check_run: ["check_run"],
  check_suite: ["check_suite"],
  release: ["release"],
  deployment: ["deployment"],
  deployment_status: ["deployment_status"],
  discussion: ["discussion"],
  discussion_comment: ["discussion", "comment"],
  label: ["label"],
};

/**
 * Null when `payload` has what a `eventName` payload always has, else what is missing or not
 * of its shape (an object, with its number for an issue, pull request or discussion; `ref` a
 * string), for a message. Actions mode checks this before running anything: a mistyped `--event` would
 * otherwise run the wrong agents against the wrong kind of object (and, with credentials,
 * write to GitHub).
 *
 * @example missingEventKeys("pull_request", issuesOpenedPayload) // ["pull_request"]
 */
export function missingEventKeys(eventName: string, payload: Record<string, unknown>): string[] | null {
  // Own keys only: an event named "constructor" must not find Object's.
  if (!Object.hasOwn(REQUIRED_KEYS, eventName)) return null;
  const keys = REQUIRED_KEYS[eventName]!;
  const missing = keys.filter((key) => !hasShape(key, payload[key]));
  return missing.length === 0 ? null : missing;
}

// The objects whose number names an issue, pull request or discussion: what an agent acts on.
const NUMBERED = new Set(["issue", "pull_request", "discussion"]);

/** `ref` is a string; the rest are objects (not arrays), and an issue, pull request or discussion has its number. */
function hasShape(key: string, value: unknown): boolean {
  if (key === "ref") return typeof value === "string";
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return !NUMBERED.has(key) || Number.isSafeInteger((value as { number?: unknown }).number);
}

/**
 * Keys a payload of the event never has, which the payload of a neighbouring event always
 * does: an `issues` payload with a `comment` is an issue_comment's. The event it then looks
 * like, by key.
 */
const FOREIGN_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  issues: { comment: "issue_comment" },
  pull_request: { review: "pull_request_review", comment: "pull_request_review_comment" },
  pull_request_target: { review: "pull_request_review", comment: "pull_request_review_comment" },
  discussion: { comment: "discussion_comment" },
};

/**
 * The event a payload labelled `eventName` looks like instead, when it carries a key that
 * event never has (an issue_comment payload sent as `issues`), else null. Such a payload has
 * every key missingEventKeys asks for, and would route as the wrong event: an issue_comment
 * routed as `issues.created` matches no rule, a quiet success that hides the mistake.
 *
 * @example foreignEventOf("issues", issueCommentPayload) // { key: "comment", event: "issue_comment" }
 */
export function foreignEventOf(eventName: string, payload: Record<string, unknown>): { key: string; event: string } | null {
  if (!Object.hasOwn(FOREIGN_KEYS, eventName)) return null;
  for (const [key, event] of Object.entries(FOREIGN_KEYS[eventName]!)) {
    if (payload[key] !== undefined && payload[key] !== null) return { key, event };
  }
  return null;
}
