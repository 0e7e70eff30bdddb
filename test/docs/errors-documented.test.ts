import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors.js";

/** The `| \`SWY_E_…\` | status |` rows of docs/errors.md, in order. */
function documentedRows(doc: string): { code: string; status: number }[] {
  return doc
    .split("\n")
    .map((line) => /^\| `(SWY_E_[A-Z0-9_]+)` \| (\d{3}) \|/.exec(line))
    .filter((match) => match !== null)
    .map(([, code, status]) => ({ code: code!, status: Number(status) }));
}

describe("docs/errors.md", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const rows = documentedRows(doc);

  it("has a row for every code, once", () => {
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.code)).size).toBe(rows.length);
  });

  it.each(Object.entries(ERRORS))("documents %s with its status", (code, { status }) => {
    const row = rows.find((r) => r.code === code);
    expect(row, `${code} has no row in docs/errors.md`).toBeDefined();
    expect(row!.status, `${code}: docs/errors.md says ${row!.status}, src/errors.ts says ${status}`).toBe(status);
  });

  it("documents no code the table does not have", () => {
    const unknown = rows.map((row) => row.code).filter((code) => !(code in ERRORS));
    expect(unknown, "codes in docs/errors.md missing from src/errors.ts").toEqual([]);
  });

  it("gives every error status a code of its own where HTTP has one (408, 431)", () => {
    const statuses = Object.values(ERRORS).map((entry) => entry.status as number);
    expect(statuses).toContain(408);
    expect(statuses).toContain(431);
    for (const { status } of Object.values(ERRORS)) expect(status).toBeGreaterThanOrEqual(400);
  });
});

describe("the error table is the only source of an error status", () => {
  const srcDir = fileURLToPath(new URL("../../src/", import.meta.url));
  const sources = readdirSync(srcDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file: path.join("src", file), text: readFileSync(path.join(srcDir, file), "utf8") }));

  it("reads the sources", () => {
    expect(sources.some((source) => source.file === path.join("src", "http", "webhook-route.ts"))).toBe(true);
  });

  it("no call site types an error status: statuses set by hand are successes or health probes", () => {
    const byHand: string[] = [];
    for (const { file, text } of sources) {
      if (file === path.join("src", "http", "http-errors.ts")) continue; // sendError itself
      text.split("\n").forEach((line, i) => {
        if (!/\.code\(/.test(line)) return;
        // /healthz and /readyz answer their state ({status: …}) with 503 until ready: a probe's answer, not an error.
        if (/\.code\((200|201|202|204)\)/.test(line) || /\.send\(\{ status: /.test(line)) return;
        byHand.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(byHand, "use sendError(reply, code, message) instead").toEqual([]);
  });

  it("no call site builds an error body by hand", () => {
    const byHand = sources
      .filter(({ file }) => file !== path.join("src", "errors.ts") && file !== path.join("src", "http", "http-errors.ts"))
      .filter(({ text }) => /errorBody\(|error: \{ code:/.test(text))
      .map(({ file }) => file);
    expect(byHand, "use sendError(reply, code, message) instead").toEqual([]);
  });
});
