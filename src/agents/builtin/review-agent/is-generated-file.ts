import type { PullFile } from "../../../github/github-client.js";
import { parsePatch } from "./parse-patch.js";

// Lockfiles: written by package managers, reviewed by nobody line by line.
const LOCKFILES = new Set([
  "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock", "deno.lock",
  "Cargo.lock", "Gemfile.lock", "poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "composer.lock", "go.sum",
  "flake.lock", "mix.lock", "pubspec.lock", "Podfile.lock", "packages.lock.json", "gradle.lockfile",
]);

// Build output, vendored dependencies and well-known generated-code suffixes.
const GENERATED_PATHS = [
  /(^|\/)(dist|node_modules|vendor|third_party|third-party|bower_components)\//,
  /\.min\.(js|css|mjs)$/,
  /\.map$/,
  /\.pb\.go$/,
  /_pb2(_grpc)?\.pyi?$/,
  /\.generated\.[^/]+$/,
  /\.g\.dart$/,
  /(^|\/)__snapshots__\/[^/]+\.snap$/,
];

// The conventions generators stamp on line 1-5: Go's "Code generated … DO NOT EDIT."
// (golang.org/s/generatedcode), Facebook's `@generated`, and the common English forms.
const GENERATED_HEADER = /@generated\b|\bcode generated\b|\bauto-?generated\b|\bthis file (?:is|was) (?:automatically )?generated\b|\bDO NOT EDIT\b/i;
const HEADER_LINES = 5;

/**
 * Why a changed file looks generated (a lockfile, build output, vendored code, or a
 * "generated" header in its first lines as the patch shows them), or null when it does not.
 *
 * @example generatedReason({ filename: "web/yarn.lock", patch: null }) // "lockfile"
 */
export function generatedReason(file: Pick<PullFile, "filename" | "patch">): string | null {
  const base = file.filename.slice(file.filename.lastIndexOf("/") + 1);
  if (LOCKFILES.has(base)) return "lockfile";
  if (GENERATED_PATHS.some((re) => re.test(file.filename))) return "build output or vendored";
  if (file.patch) {
    const head = parsePatch(file.patch).filter((l) => l.newLine !== null && l.newLine <= HEADER_LINES);
    if (head.some((l) => GENERATED_HEADER.test(l.text))) return "generated header";
  }
  return null;
}

/** @example isGeneratedFile({ filename: "dist/index.js", patch: null }) // true */
export function isGeneratedFile(file: Pick<PullFile, "filename" | "patch">): boolean {
  return generatedReason(file) !== null;
}
