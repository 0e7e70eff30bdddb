import { describe, expect, it } from "vitest";
import { parsePatch } from "../../../src/agents/builtin/review-agent/parse-patch.js";

describe("parsePatch", () => {
  it("numbers added, removed and context lines from the hunk headers", () => {
    const patch = ["@@ -10,3 +10,4 @@ function main() {", " keep", "-old", "+new", "+newer", " tail"].join("\n");
    expect(parsePatch(patch)).toEqual([
      { kind: "context", newLine: 10, oldLine: 10, text: "keep" },
      { kind: "removed", newLine: null, oldLine: 11, text: "old" },
      { kind: "added", newLine: 11, oldLine: null, text: "new" },
      { kind: "added", newLine: 12, oldLine: null, text: "newer" },
      { kind: "context", newLine: 13, oldLine: 12, text: "tail" },
    ]);
  });

  it("restarts numbering at each hunk", () => {
    const patch = ["@@ -1,2 +1,2 @@", "-a", "+b", " c", "@@ -40 +40,2 @@", " x", "+y"].join("\n");
    const added = parsePatch(patch).filter((l) => l.kind === "added").map((l) => [l.newLine, l.text]);
    expect(added).toEqual([[1, "b"], [41, "y"]]);
  });

  it("reads a new file's patch (`-0,0`) from line 1", () => {
    expect(parsePatch("@@ -0,0 +1,2 @@\n+one\n+two").map((l) => l.newLine)).toEqual([1, 2]);
  });

  it("ignores file headers and `\\ No newline` markers, but keeps an added line that starts with ++", () => {
    const patch = ["--- a/x.txt", "+++ b/x.txt", "@@ -1 +1,2 @@", "-a", "\\ No newline at end of file", "+++counter", "+b", "--- a/y.txt", "+++ b/y.txt"].join("\n");
    expect(parsePatch(patch)).toEqual([
      { kind: "removed", newLine: null, oldLine: 1, text: "a" },
      { kind: "added", newLine: 1, oldLine: null, text: "++counter" },
      { kind: "added", newLine: 2, oldLine: null, text: "b" },
    ]);
  });

  it("returns nothing for an empty patch", () => {
    expect(parsePatch("")).toEqual([]);
  });
});
