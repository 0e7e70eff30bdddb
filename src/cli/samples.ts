import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.js";

/** samples/ ships with the package, generated at build time from @octokit/webhooks-examples. */
const SAMPLES_DIR = fileURLToPath(new URL("../../samples/", import.meta.url));

interface SampleIndex {
  [key: string]: { event: string; action: string | null; file: string };
}

function readIndex(): SampleIndex {
  try {
    return JSON.parse(readFileSync(SAMPLES_DIR + "index.json", "utf8")) as SampleIndex;
  } catch {
    throw new UsageError("the bundled samples are missing: run npm run build (or pass --payload FILE)");
  }
}

/** The sample keys, like `issues.opened`, for help texts and error messages. */
export function sampleKeys(): string[] {
  return Object.keys(readIndex());
}

/** A bundled sample by `event[.action]`: the raw bytes, as GitHub would send them. */
export function readSample(key: string): { event: string; body: Buffer } {
  const index = readIndex();
  const entry = index[key] ?? Object.entries(index).find(([k]) => k.startsWith(`${key}.`))?.[1];
  if (!entry) throw new UsageError(`no bundled sample "${key}": choose one of ${Object.keys(index).join(", ")}, or pass --payload FILE`);
  return { event: entry.event, body: Buffer.from(JSON.stringify(JSON.parse(readFileSync(SAMPLES_DIR + entry.file, "utf8")))) };
}
