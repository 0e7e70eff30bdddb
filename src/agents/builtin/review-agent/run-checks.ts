import type { PullFile } from "../../../github/github-client.js";
import { checkDescription } from "./check-description.js";
import { checkLargeFiles } from "./check-large-files.js";
import { checkSecrets } from "./check-secrets.js";
import { checkTests } from "./check-tests.js";
import { checkTitle } from "./check-title.js";
import { skippedVerdict, type CheckVerdict } from "./check-verdict.js";
import { isGeneratedFile } from "./is-generated-file.js";
import { checkSize, countChangedLines, type SizeLabel } from "./size-label.js";

export interface ReviewInput {
  title: string;
  body: string;
  /** The changed files; null when they cannot be read (no credentials). */
  files: readonly PullFile[] | null;
  /** additions + deletions as the PR says (its payload): the size when files are unknown. */
  changedLines: number | null;
  /** Why files are unknown, shown on the checks that need them. */
  filesUnavailable?: string;
}

export interface ReviewReport {
  /** Blocking check first, then warnings' checks, then context. */
  verdicts: CheckVerdict[];
  sizeLabel: SizeLabel | null;
  /** The commit status: `failure` exactly when a verdict is `failure` (likely secrets). */
  state: "success" | "failure";
  /** The commit status's one line, at most 140 characters. */
  description: string;
}

/** GitHub rejects longer commit status descriptions (docs.github.com, "Create a commit status"). */
export const MAX_STATUS_DESCRIPTION = 140;

function titlesOf(verdicts: CheckVerdict[]): string {
  return verdicts.map((v) => v.id).join(", ");
}

/**
 * The status line: blocking findings first, then how many warnings and which checks.
 *
 * @example statusDescription([{ id: "title", title: "Title", level: "warning", summary: "…", details: [] }]) // "No blocking findings; 1 warning: title"
 */
export function statusDescription(verdicts: CheckVerdict[]): string {
  const failures = verdicts.filter((v) => v.level === "failure");
  const warnings = verdicts.filter((v) => v.level === "warning");
  const skipped = verdicts.filter((v) => v.level === "skipped");
  const parts = [failures.length > 0 ? failures.map((v) => v.summary).join("; ") : warnings.length > 0 ? "No blocking findings" : "All checks passed"];
  if (warnings.length > 0) parts.push(`${warnings.length} warning${warnings.length === 1 ? "" : "s"}: ${titlesOf(warnings)}`);
  if (skipped.length > 0) parts.push(`not checked: ${titlesOf(skipped)}`);
  const line = parts.join("; ");
  return line.length > MAX_STATUS_DESCRIPTION ? `${line.slice(0, MAX_STATUS_DESCRIPTION - 1)}…` : line;
}

/**
 * Runs every check on what is known about a pull request. Without its files, the checks
 * that need them say so (`skipped`) instead of guessing, and the size comes from the PR's
 * own additions + deletions when the payload has them.
 *
 * @example runChecks({ title: "feat: x", body: "Why", files: [], changedLines: null }).state // "success"
 */
export function runChecks(input: ReviewInput): ReviewReport {
  const { files } = input;
  const unavailable = input.filesUnavailable ?? "the changed files could not be read";
  let size: ReturnType<typeof checkSize> | null = null;
  if (files) {
    const counted = files.filter((f) => !isGeneratedFile(f));
    size = checkSize(countChangedLines(counted), files.length, files.length - counted.length);
  } else if (input.changedLines !== null) {
    size = checkSize(input.changedLines, null);
  }
  const { label: _label, ...sizeVerdict } = size ?? { label: null, ...skippedVerdict("size", "Size", unavailable) };
  const verdicts: CheckVerdict[] = [
    files ? checkSecrets(files) : skippedVerdict("secrets", "Secrets", unavailable),
    files ? checkTests(files) : skippedVerdict("tests", "Tests", unavailable),
    checkTitle(input.title),
    checkDescription(input.body),
    files ? checkLargeFiles(files) : skippedVerdict("large-files", "Large or generated files", unavailable),
    sizeVerdict,
  ];
  return {
    verdicts,
    sizeLabel: size?.label ?? null,
    state: verdicts.some((v) => v.level === "failure") ? "failure" : "success",
    description: statusDescription(verdicts),
  };
}
