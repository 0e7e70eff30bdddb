import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// What the CLI does with an admin API answer (src/cli/admin-client.ts `refusal`,
// src/cli/replay.ts `unauthorized`): 400 and 401 are exit 2 (the fix is the input, the
// config or ADMIN_TOKEN), another error exit 1. The docs must say so, not "a server
// answered with an error" for every one of them.
const read = (file: string): string => readFileSync(new URL(`../../docs/${file}`, import.meta.url), "utf8").replace(/\s+/g, " ");

describe("the exit codes of an admin API answer, as documented", () => {
  it("docs/errors.md: exit 2 names the admin API's 400 and 401; exit 1 only a server that failed or could not be reached", () => {
    const doc = read("errors.md");
    const row = (code: number) => new RegExp(`\\| ${code} \\| ([^|]+) \\|`).exec(doc)?.[1] ?? "";
    expect(row(2)).toMatch(/400/);
    expect(row(2)).toMatch(/401/);
    expect(row(2)).toMatch(/ADMIN_TOKEN/);
    expect(row(1)).not.toMatch(/a server answered with an error/);
  });

  it("docs/cli.md: the exit codes say that a 401 from the admin API is exit 2", () => {
    const intro = read("cli.md").split("## `serve` and `work`")[0]!;
    expect(intro).not.toMatch(/a server answered with an error/);
    expect(intro).toMatch(/401[^.]*ADMIN_TOKEN/);
  });
});
