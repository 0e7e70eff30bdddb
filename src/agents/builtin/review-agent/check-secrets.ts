import type { PullFile } from "../../../github/github-client.js";
import type { CheckVerdict } from "./check-verdict.js";
import { findSecrets } from "./find-secrets.js";
import { codeSpan } from "../../../summary/escape-markdown.js";

const LISTED = 20;

/**
 * The one blocking check: a likely secret on an added line fails the review. The details
 * name file, line and kind with the value masked — the comment is public, and repeating
 * the secret there would leak it a second time.
 *
 * @example checkSecrets([{ filename: "a.py", status: "added", patch: "@@ -0,0 +1 @@\n+k = 'AKIAIOSFODNN7EXAMPLE'" }]).level // "failure"
 */
export function checkSecrets(files: readonly Pick<PullFile, "filename" | "status" | "patch">[]): CheckVerdict {
  const base = { id: "secrets", title: "Secrets" };
  const findings = findSecrets(files);
  const unscanned = files.filter((f) => f.patch === null && f.status !== "removed").map((f) => codeSpan(f.filename));
  const unscannedNote = unscanned.length > 0 ? [`not scanned (binary or too large for a patch): ${unscanned.slice(0, LISTED).join(", ")}${unscanned.length > LISTED ? ", …" : ""}`] : [];
  if (findings.length === 0) {
    const summary = `none found in added lines${unscanned.length > 0 ? ` (${unscanned.length} file${unscanned.length === 1 ? "" : "s"} not scanned)` : ""}`;
    return { ...base, level: "pass", summary, details: unscannedNote };
  }
  const listed = findings.slice(0, LISTED).map((f) => `${codeSpan(`${f.file}:${f.line}`)}: ${f.description} ${codeSpan(f.masked)}`);
  if (findings.length > LISTED) listed.push(`… and ${findings.length - LISTED} more`);
  return {
    ...base,
    level: "failure",
    summary: `${findings.length} likely secret${findings.length === 1 ? "" : "s"} in added lines`,
    details: [
      ...listed,
      "revoke and rotate it: a pushed secret stays in the branch's history even after a fixing commit",
      ...unscannedNote,
    ],
  };
}
