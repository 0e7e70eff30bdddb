import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors.js";

describe("docs/errors.md", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  it.each(Object.entries(ERRORS))("documents %s with its status", (code, { status }) => {
    const row = doc.split("\n").find((line) => line.startsWith(`| \`${code}\``));
    expect(row, `${code} has no row in docs/errors.md`).toBeDefined();
    expect(row).toContain(`| ${status} |`);
  });
});
