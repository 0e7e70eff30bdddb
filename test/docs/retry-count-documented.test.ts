import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_KEYS } from "../../src/config/read-env.js";
import { shouldRetry } from "../../src/queue/backoff.js";

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

/** The Markdown table row whose first cell is `cell`. */
function row(doc: string, cell: string): string {
  const line = doc.split("\n").find((l) => l.startsWith(`| ${cell} |`));
  expect(line, `no row for ${cell}`).toBeDefined();
  return line!;
}

/** How many runs shouldRetry allows in all for a retry count. */
function runsAllowed(maxRetries: number): number {
  let runs = 1;
  while (shouldRetry(runs, maxRetries)) runs++;
  return runs;
}

// RETRY_MAX_ATTEMPTS is a documented name that reads like a count of runs; it sets
// retry.maxRetries, a count of retries. The docs must say so where the name appears.
describe("RETRY_MAX_ATTEMPTS is documented as a count of retries after the first run", () => {
  it("sets retry.maxRetries", () => {
    expect(ENV_KEYS.RETRY_MAX_ATTEMPTS).toBe("retry.maxRetries");
  });

  it("docs/configuration.md says the variable counts retries, with the runs the worker allows", () => {
    const line = row(read("docs/configuration.md"), "`retry.maxRetries`");
    expect(line).toContain("`RETRY_MAX_ATTEMPTS`");
    expect(line).toContain("retries after the first run");
    expect(line).toContain(`\`RETRY_MAX_ATTEMPTS=3\` is up to ${runsAllowed(3)} runs`);
    expect(runsAllowed(0)).toBe(1);
    expect(line).toContain("0 is one run, never retried");
  });

  it("the README's retry row says the same", () => {
    const line = row(read("README.md"), "`retry`");
    expect(line).toContain(`retries after the first run (\`RETRY_MAX_ATTEMPTS\` too: 3 = up to ${runsAllowed(3)} runs)`);
  });
});
