import type { PullFile } from "../../../github/github-client.js";
import type { CheckVerdict } from "./check-verdict.js";
import { isGeneratedFile } from "./is-generated-file.js";
import { codeSpan } from "../../../summary/escape-markdown.js";

// Where test code lives across the common ecosystems: test directories, and the file
// naming conventions of Jest/Vitest/Mocha (*.test.*, *.spec.*), Go (_test.go), pytest
// (test_*.py, *_test.py), RSpec (*_spec.rb) and JUnit/xUnit (FooTest.java, FooTests.cs).
const TEST_PATTERNS = [
  /(^|\/)(test|tests|__tests__|spec|specs|e2e)\//i,
  /\.(test|spec)\.[^/]+$/i,
  /_test\.go$/,
  /(^|\/)test_[^/]+\.py$/,
  /_test\.py$/,
  /_spec\.rb$/,
  /(Test|Tests|Spec)\.(java|kt|scala|cs|swift)$/,
];

// Code that tests are expected to cover. Shell, SQL, styles and markup are left out:
// few projects unit-test them, and a warning nobody can act on teaches people to ignore it.
const SOURCE_EXTENSION = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|vue|svelte|py|go|rs|java|kt|kts|scala|rb|php|cs|fs|c|h|cc|cpp|cxx|hpp|hh|m|mm|swift|dart|ex|exs|erl|clj|lua)$/;

// Code-shaped files that are not the product: docs, examples, CI, tool configuration.
const NOT_SOURCE = [
  /(^|\/)(docs?|examples?|\.github|\.vscode|\.devcontainer)\//,
  /(^|\/)[^/]*\.config\.[cm]?[jt]s$/, // eslint.config.js, vite.config.ts, …
  /(^|\/)\.[^/]*rc\.[cm]?js$/, // .eslintrc.js, .prettierrc.cjs, …
  /\.d\.ts$/,
];

/** @example isTestPath("src/app.test.ts") // true */
export function isTestPath(path: string): boolean {
  return TEST_PATTERNS.some((re) => re.test(path));
}

/** Product code tests should cover: a code extension, not a test, not docs or tool config. @example isSourcePath("src/app.ts") // true */
export function isSourcePath(path: string): boolean {
  return SOURCE_EXTENSION.test(path) && !isTestPath(path) && !NOT_SOURCE.some((re) => re.test(path));
}

const LISTED = 5;

/**
 * Warns when source files changed and no test file did. Deleted source needs no new test,
 * generated code is not hand-written, and docs- or config-only PRs pass.
 *
 * @example checkTests([{ filename: "src/a.ts", status: "modified", patch: null }]).level // "warning"
 */
export function checkTests(files: readonly Pick<PullFile, "filename" | "status" | "patch">[]): CheckVerdict {
  const base = { id: "tests", title: "Tests" };
  const tests = files.filter((f) => isTestPath(f.filename));
  const sources = files.filter((f) => f.status !== "removed" && isSourcePath(f.filename) && !isGeneratedFile(f));
  if (tests.length > 0) return { ...base, level: "pass", summary: `${tests.length} test file${tests.length === 1 ? "" : "s"} changed`, details: [] };
  if (sources.length === 0) return { ...base, level: "pass", summary: "no source code changed (docs, config or deletions only): no tests needed", details: [] };
  const listed = sources.slice(0, LISTED).map((f) => codeSpan(f.filename));
  if (sources.length > LISTED) listed.push(`… and ${sources.length - LISTED} more`);
  return {
    ...base,
    level: "warning",
    summary: `${sources.length} source file${sources.length === 1 ? "" : "s"} changed, no test file changed`,
    details: [`source changed: ${listed.join(", ")}`, "add or update a test, or say in the description why none is needed"],
  };
}
