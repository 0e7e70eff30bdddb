import type { PullFile } from "../../../github/github-client.js";
import type { CheckVerdict } from "./check-verdict.js";
import { generatedReason } from "./is-generated-file.js";
import { codeSpan } from "../../../summary/escape-markdown.js";

/** More changed lines than this in one hand-written file is hard to review as one piece. */
export const LARGE_FILE_LINES = 1000;

const LISTED = 10;

function list(items: string[]): string[] {
  return items.length > LISTED ? [...items.slice(0, LISTED), `… and ${items.length - LISTED} more`] : items;
}

/**
 * Flags very large hand-written files (a warning: split them, or say why not) and lists
 * generated ones (info: lockfiles and build output need no line-by-line review, but a
 * committed `dist/` is worth a second look).
 *
 * @example checkLargeFiles([{ filename: "src/big.ts", additions: 1500, deletions: 0, patch: null }]).level // "warning"
 */
export function checkLargeFiles(files: readonly Pick<PullFile, "filename" | "additions" | "deletions" | "patch">[]): CheckVerdict {
  const base = { id: "large-files", title: "Large or generated files" };
  const generated: string[] = [];
  const large: string[] = [];
  for (const f of files) {
    const reason = generatedReason(f);
    const lines = f.additions + f.deletions;
    if (reason) generated.push(`${codeSpan(f.filename)} (${reason}, ${lines} lines)`);
    else if (lines > LARGE_FILE_LINES) large.push(`${codeSpan(f.filename)}: ${lines} changed lines`);
  }
  const details = [...list(large), ...list(generated).map((g) => `generated: ${g}`)];
  const gen = generated.length > 0 ? `${generated.length} generated file${generated.length === 1 ? "" : "s"}` : "";
  if (large.length > 0) {
    const summary = `${large.length} file${large.length === 1 ? "" : "s"} over ${LARGE_FILE_LINES} changed lines${gen ? `; ${gen}` : ""}`;
    return { ...base, level: "warning", summary, details };
  }
  if (generated.length > 0) return { ...base, level: "info", summary: `${gen} (not counted in the size)`, details };
  return { ...base, level: "pass", summary: `no file over ${LARGE_FILE_LINES} changed lines, none generated`, details: [] };
}
