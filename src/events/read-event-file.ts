import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";

/** Reads an event payload file (GITHUB_EVENT_PATH or --payload): it must hold a JSON object. */
export function readEventFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read payload file ${file}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8 quotes the start of the text in its message, newlines included: keep the error on one line.
    throw new UsageError(`payload file ${file} is not JSON: ${(error as Error).message.replace(/\s+/g, " ")}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`payload file ${file} must hold a JSON object (a GitHub event payload)`);
  }
  return value as Record<string, unknown>;
}
