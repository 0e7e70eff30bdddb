/**
 * How a check came out. Only `failure` is blocking (it makes the commit status fail);
 * `warning` asks a human to look; `info` is context (size, generated files); `skipped`
 * means the check could not run (no files without credentials) and says why.
 */
export type CheckLevel = "pass" | "info" | "warning" | "failure" | "skipped";

/** One check's verdict: a one-line summary and, when there are findings, their details. */
export interface CheckVerdict {
  /** Stable id, e.g. `secrets`, for tests and for the coordinator to refer to. */
  id: string;
  /** The check's name as shown in the review comment. */
  title: string;
  level: CheckLevel;
  summary: string;
  /** Markdown list items (without the leading `- `), never a secret's value. */
  details: string[];
}

/**
 * A verdict for a check that cannot run, with the reason.
 *
 * @example skippedVerdict("tests", "Tests", "files could not be read (no GitHub credentials)")
 */
export function skippedVerdict(id: string, title: string, reason: string): CheckVerdict {
  return { id, title, level: "skipped", summary: `not checked: ${reason}`, details: [] };
}
