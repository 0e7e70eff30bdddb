import { describe, expect, it } from "vitest";
import { checkTests, isSourcePath, isTestPath } from "../../../src/agents/builtin/review-agent/check-tests.js";
import { checkLargeFiles } from "../../../src/agents/builtin/review-agent/check-large-files.js";
import { checkSecrets } from "../../../src/agents/builtin/review-agent/check-secrets.js";
import { splitCodeSpans } from "../../support/markdown-code-spans.js";

describe("isTestPath", () => {
  it.each([
    ["test/app.ts", true],
    ["packages/core/tests/helpers.py", true],
    ["src/__tests__/app.js", true],
    ["src/app.test.ts", true],
    ["src/app.spec.tsx", true],
    ["pkg/server/server_test.go", true],
    ["tests_data/x.py", false],
    ["app/test_models.py", true],
    ["app/models_test.py", true],
    ["spec/models/user_spec.rb", true],
    ["src/main/java/com/acme/UserServiceTest.java", true],
    ["src/app.ts", false],
    ["src/testing.ts", false],
    ["src/contest.go", false],
    ["latest/notes.md", false],
  ])("%s → %s", (path, expected) => {
    expect(isTestPath(path)).toBe(expected);
  });
});

describe("isSourcePath", () => {
  it.each([
    ["src/app.ts", true],
    ["lib/parser.py", true],
    ["cmd/main.go", true],
    ["src/lib.rs", true],
    ["src/app.test.ts", false],
    ["README.md", false],
    ["docs/guide/example.ts", false],
    ["examples/basic.js", false],
    ["package.json", false],
    [".github/workflows/ci.yml", false],
    ["eslint.config.js", false],
    ["vite.config.ts", false],
    [".eslintrc.cjs", false],
    ["src/types.d.ts", false],
    ["scripts/release.sh", false],
    ["src.js", true],
  ])("%s → %s", (path, expected) => {
    expect(isSourcePath(path)).toBe(expected);
  });
});

const file = (filename: string, status = "modified", patch: string | null = null) => ({ filename, status, patch });

describe("checkTests", () => {
  it.each([
    { name: "source and a test changed", files: [file("src/a.ts"), file("test/a.test.ts")], level: "pass" },
    { name: "only a test changed", files: [file("src/a.test.ts")], level: "pass" },
    { name: "docs only", files: [file("README.md"), file("docs/setup.md")], level: "pass" },
    { name: "config only", files: [file("package.json"), file(".github/workflows/ci.yml"), file("tsconfig.json")], level: "pass" },
    { name: "source deleted", files: [file("src/old.ts", "removed")], level: "pass" },
    { name: "generated code only", files: [file("api/user.pb.go")], level: "pass" },
    { name: "source without tests", files: [file("src/a.ts"), file("README.md")], level: "warning" },
    { name: "a Go change without a _test.go", files: [file("pkg/x/x.go", "added")], level: "warning" },
  ])("$name → $level", ({ files, level }) => {
    expect(checkTests(files).level).toBe(level);
  });

  it("names the source files, five at most", () => {
    const v = checkTests(Array.from({ length: 7 }, (_, i) => file(`src/m${i}.ts`)));
    expect(v.summary).toBe("7 source files changed, no test file changed");
    expect(v.details[0]).toContain("` src/m0.ts `");
    expect(v.details[0]).toContain("` src/m4.ts `");
    expect(v.details[0]).not.toContain("`src/m5.ts`");
    expect(v.details[0]).toContain("and 2 more");
  });
});

describe("file names in the review comment", () => {
  it("cannot close their code span: a name holding backticks publishes no mention, image, link or HTML", () => {
    const hostile = "src/a` @acme/everyone ![x](https://evil.example/p.png) <img src=x> [click](https://evil.example) `b.ts";
    const bold = "big`<b>bold</b>`.min.js";
    const verdicts = [
      checkTests([{ filename: hostile, status: "added", patch: "@@ -0,0 +1 @@\n+x" }]),
      checkLargeFiles([{ filename: bold, additions: 5000, deletions: 0, patch: null }, { filename: hostile, additions: 2000, deletions: 0, patch: "@@" }]),
      checkSecrets([{ filename: hostile, status: "added", patch: null }]),
    ];
    for (const line of verdicts.flatMap((v) => v.details)) {
      const { spans, outside } = splitCodeSpans(line);
      // What GitHub would render as Markdown holds none of the names' text.
      expect(outside, line).not.toMatch(/@acme|<img|<b>|\]\(/);
      expect(spans.some((span) => span === hostile || span === bold) || !/@acme|<b>/.test(line), line).toBe(true);
    }
  });
});
