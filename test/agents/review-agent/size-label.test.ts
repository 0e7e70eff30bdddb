import { describe, expect, it } from "vitest";
import { checkSize, countChangedLines, isSizeLabel, SIZE_LABEL_STYLES, SIZE_LABELS, sizeLabel } from "../../../src/agents/builtin/review-agent/size-label.js";

describe("sizeLabel", () => {
  it.each([
    [0, "size/XS"],
    [9, "size/XS"],
    [10, "size/S"],
    [99, "size/S"],
    [100, "size/M"],
    [499, "size/M"],
    [500, "size/L"],
    [999, "size/L"],
    [1000, "size/XL"],
    [250_000, "size/XL"],
  ])("%i changed lines → %s", (lines, label) => {
    expect(sizeLabel(lines)).toBe(label);
  });

  it("knows only its own five labels as size labels", () => {
    expect(SIZE_LABELS.every(isSizeLabel)).toBe(true);
    for (const other of ["size/XXL", "size/m", "size:M", "bug", "size"]) expect(isSizeLabel(other)).toBe(false);
  });

  it("gives every label a valid colour and a description", () => {
    for (const label of SIZE_LABELS) {
      expect(SIZE_LABEL_STYLES[label].color).toMatch(/^[0-9a-f]{6}$/);
      expect(SIZE_LABEL_STYLES[label].description).not.toBe("");
    }
  });
});

describe("checkSize", () => {
  it("counts additions and deletions", () => {
    expect(countChangedLines([{ additions: 3, deletions: 4 }, { additions: 0, deletions: 100 }])).toBe(107);
  });

  it("says how many lines, files and generated files were not counted", () => {
    const v = checkSize(120, 3, 1);
    expect(v).toMatchObject({ id: "size", level: "info", label: "size/M" });
    expect(v.summary).toBe("size/M: 120 changed lines in 3 files (1 generated file not counted)");
    expect(checkSize(1, null).summary).toBe("size/XS: 1 changed line");
  });
});
