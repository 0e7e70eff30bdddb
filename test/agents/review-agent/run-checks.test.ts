import { describe, expect, it } from "vitest";
import { OWN_MARKER } from "../../../src/commands/parse-commands.js";
import type { PullFile } from "../../../src/github/github-client.js";
import { REVIEW_MARKER, renderReview } from "../../../src/agents/builtin/review-agent/render-review.js";
import { MAX_STATUS_DESCRIPTION, runChecks, statusDescription } from "../../../src/agents/builtin/review-agent/run-checks.js";
import type { CheckVerdict } from "../../../src/agents/builtin/review-agent/check-verdict.js";

const AWS_KEY = ["AKIA", "IOSFODNN7", "EXAMPLE"].join("");

function file(filename: string, additions: number, patch: string | null = null, deletions = 0): PullFile {
  return { filename, status: "modified", additions, deletions, changes: additions + deletions, patch };
}

const verdict = (id: string, level: CheckVerdict["level"], summary = id): CheckVerdict => ({ id, title: id, level, summary, details: [] });

describe("runChecks", () => {
  it("passes a tidy PR: conventional title, description, source with its test", () => {
    const report = runChecks({ title: "feat: add x", body: "Adds x.", files: [file("src/x.ts", 40), file("test/x.test.ts", 30)], changedLines: null });
    expect(report.state).toBe("success");
    expect(report.sizeLabel).toBe("size/S");
    expect(report.verdicts.map((v) => [v.id, v.level])).toEqual([
      ["secrets", "pass"], ["tests", "pass"], ["title", "pass"], ["description", "pass"], ["large-files", "pass"], ["size", "info"],
    ]);
    expect(report.description).toBe("All checks passed");
  });

  it("fails on a likely secret; warnings alone never fail", () => {
    const secret = runChecks({ title: "feat: x", body: "b", files: [file("test/a.test.ts", 1, `@@ -0,0 +1 @@\n+k = "${AWS_KEY}"`)], changedLines: null });
    expect(secret.state).toBe("failure");
    expect(secret.description).toBe("1 likely secret in added lines");
    const sloppy = runChecks({ title: "stuff", body: "", files: [file("src/a.ts", 2000)], changedLines: null });
    expect(sloppy.state).toBe("success");
    expect(sloppy.description).toBe("No blocking findings; 4 warnings: tests, title, description, large-files");
  });

  it("leaves generated files out of the size", () => {
    const report = runChecks({ title: "build(deps): bump", body: "b", files: [file("package.json", 2), file("package-lock.json", 4000)], changedLines: null });
    expect(report.sizeLabel).toBe("size/XS");
    expect(report.verdicts.find((v) => v.id === "size")?.summary).toContain("1 generated file not counted");
  });

  it("without files: skips the file checks and sizes from the payload's counts", () => {
    const report = runChecks({ title: "fix: y", body: "b", files: null, changedLines: 150, filesUnavailable: "no credentials" });
    expect(report.verdicts.filter((v) => v.level === "skipped").map((v) => v.id)).toEqual(["secrets", "tests", "large-files"]);
    expect(report.verdicts.find((v) => v.id === "tests")?.summary).toBe("not checked: no credentials");
    expect(report.sizeLabel).toBe("size/M");
    expect(report.state).toBe("success");
    expect(runChecks({ title: "fix: y", body: "b", files: null, changedLines: null }).sizeLabel).toBeNull();
  });
});

describe("statusDescription", () => {
  it.each([
    { verdicts: [verdict("a", "pass"), verdict("b", "info")], line: "All checks passed" },
    { verdicts: [verdict("title", "warning")], line: "No blocking findings; 1 warning: title" },
    { verdicts: [verdict("secrets", "failure", "2 likely secrets in added lines"), verdict("tests", "warning")], line: "2 likely secrets in added lines; 1 warning: tests" },
    { verdicts: [verdict("title", "pass"), verdict("secrets", "skipped")], line: "All checks passed; not checked: secrets" },
  ])("$line", ({ verdicts, line }) => {
    expect(statusDescription(verdicts)).toBe(line);
  });

  it(`stays within GitHub's ${MAX_STATUS_DESCRIPTION} characters`, () => {
    const line = statusDescription([verdict("secrets", "failure", "x".repeat(300))]);
    expect(line).toHaveLength(MAX_STATUS_DESCRIPTION);
    expect(line.endsWith("…")).toBe(true);
  });
});

describe("renderReview", () => {
  const report = runChecks({ title: "stuff", body: "b", files: [file("src/a.ts", 3, `@@ -0,0 +1 @@\n+aws_key = "${AWS_KEY}"`)], changedLines: null });

  it("starts with both markers and has one table row per check", () => {
    const body = renderReview(report, { headSha: "0123456789abcdef", filesRead: true });
    expect(body.startsWith(`${OWN_MARKER}\n${REVIEW_MARKER}\n`)).toBe(true);
    expect(body).toContain("❌ blocking findings");
    expect(body).toContain("Checked `0123456`");
    expect(body.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| check"))).toHaveLength(report.verdicts.length);
    expect(body).toContain("` src/a.ts:1 `: AWS access key id ` AKIA******** `");
    expect(body).not.toContain(AWS_KEY);
    expect(body.split("\n").some((l) => l.startsWith("/agent"))).toBe(false);
  });

  it("says so when the files could not be read", () => {
    expect(renderReview(report, { headSha: null, filesRead: false })).toContain("no GitHub credentials to read the changed files");
  });
});
