/** One line of a unified-diff hunk, with its line number in the old and/or new file. */
export interface PatchLine {
  kind: "added" | "removed" | "context";
  /** Line number in the new file; null for removed lines. */
  newLine: number | null;
  /** Line number in the old file; null for added lines. */
  oldLine: number | null;
  /** The line without its `+`, `-` or ` ` prefix. */
  text: string;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parses a unified diff (GitHub's `patch` field of a pull request file) into its hunk
 * lines, numbered from the hunk headers. Lines are taken only while a hunk still has lines
 * to give (its `-a,b +c,d` counts), so file headers (`--- a/x`, `+++ b/x`) of a
 * multi-file diff are never mistaken for removed or added lines, while an added line that
 * itself starts with `++` still is one.
 *
 * @example parsePatch("@@ -1,0 +3,1 @@\n+x") // [{kind: "added", newLine: 3, oldLine: null, text: "x"}]
 */
export function parsePatch(patch: string): PatchLine[] {
  const lines: PatchLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const raw of patch.split(/\r?\n/)) {
    const header = HUNK_HEADER.exec(raw);
    if (header) {
      oldLine = Number(header[1]);
      oldLeft = header[2] === undefined ? 1 : Number(header[2]);
      newLine = Number(header[3]);
      newLeft = header[4] === undefined ? 1 : Number(header[4]);
      continue;
    }
    if (oldLeft <= 0 && newLeft <= 0) continue; // outside any hunk: file headers, `\ No newline at end of file`
    const prefix = raw[0];
    const text = raw.slice(1);
    if (prefix === "+" && newLeft > 0) {
      lines.push({ kind: "added", newLine: newLine++, oldLine: null, text });
      newLeft--;
    } else if (prefix === "-" && oldLeft > 0) {
      lines.push({ kind: "removed", newLine: null, oldLine: oldLine++, text });
      oldLeft--;
    } else if (prefix === " " || (raw === "" && oldLeft > 0 && newLeft > 0)) {
      // Some tools strip the trailing space of an empty context line.
      lines.push({ kind: "context", newLine: newLine++, oldLine: oldLine++, text });
      oldLeft--;
      newLeft--;
    }
  }
  return lines;
}
