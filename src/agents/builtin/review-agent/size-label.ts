import type { PullFile } from "../../../github/github-client.js";
import type { CheckVerdict } from "./check-verdict.js";

export const SIZE_LABELS = ["size/XS", "size/S", "size/M", "size/L", "size/XL"] as const;
export type SizeLabel = (typeof SIZE_LABELS)[number];

/**
 * Changed lines (additions + deletions) below which a PR gets each size; XL from 1000 up.
 * Roughly a review's effort: under 10 lines is a glance, under 100 one sitting, 500+ is
 * where reviewers' defect-finding drops off (SmartBear/Cisco study), 1000+ should be split.
 */
export const SIZE_THRESHOLDS: readonly { label: SizeLabel; below: number }[] = [
  { label: "size/XS", below: 10 },
  { label: "size/S", below: 100 },
  { label: "size/M", below: 500 },
  { label: "size/L", below: 1000 },
];

/** Colours from green (small) to red (huge), so the label list reads at a glance. */
export const SIZE_LABEL_STYLES: Record<SizeLabel, { color: string; description: string }> = {
  "size/XS": { color: "3cbf00", description: "switchyard: under 10 changed lines" },
  "size/S": { color: "5d9801", description: "switchyard: 10–99 changed lines" },
  "size/M": { color: "7f7203", description: "switchyard: 100–499 changed lines" },
  "size/L": { color: "a14c05", description: "switchyard: 500–999 changed lines" },
  "size/XL": { color: "c32607", description: "switchyard: 1000 or more changed lines" },
};

/**
 * The size label for a number of changed lines (additions + deletions).
 *
 * @example sizeLabel(42) // "size/S"
 */
export function sizeLabel(changedLines: number): SizeLabel {
  return SIZE_THRESHOLDS.find((t) => changedLines < t.below)?.label ?? "size/XL";
}

export function isSizeLabel(name: string): name is SizeLabel {
  return (SIZE_LABELS as readonly string[]).includes(name);
}

/**
 * The size verdict. Generated files (lockfiles, build output) are left out of the count:
 * a dependency bump that rewrites a 5,000-line lockfile is not an XL review.
 *
 * @example checkSize(120, 3, 1).summary // "size/M: 120 changed lines in 3 files (1 generated file not counted)"
 */
export function checkSize(changedLines: number, files: number | null, generated = 0): CheckVerdict & { label: SizeLabel } {
  const label = sizeLabel(changedLines);
  const where = files === null ? "" : ` in ${files} file${files === 1 ? "" : "s"}`;
  const skipped = generated > 0 ? ` (${generated} generated file${generated === 1 ? "" : "s"} not counted)` : "";
  return { id: "size", title: "Size", level: "info", label, summary: `${label}: ${changedLines} changed line${changedLines === 1 ? "" : "s"}${where}${skipped}`, details: [] };
}

/** Additions + deletions over the files that count. */
export function countChangedLines(files: readonly Pick<PullFile, "additions" | "deletions">[]): number {
  return files.reduce((sum, f) => sum + f.additions + f.deletions, 0);
}
