import type { PullFile } from "../../../github/github-client.js";
import { parsePatch } from "./parse-patch.js";
import { shannonEntropy } from "./shannon-entropy.js";

export type SecretKind = "aws-access-key-id" | "private-key" | "github-token" | "high-entropy-assignment";

/** A likely secret on an added line. Carries no secret: `masked` is safe to publish. */
export interface SecretFinding {
  kind: SecretKind;
  /** For humans: "AWS access key id". */
  description: string;
  file: string;
  /** Line number in the new version of the file. */
  line: number;
  masked: string;
}

/**
 * Bits per character above which a value assigned to a secret-sounding name is reported.
 * Chosen above log2(17) ≈ 4.09, the most a string of hex digits and dashes can reach, so
 * UUIDs and hashes never trip it; random base62/base64 tokens of 32+ characters average
 * 4.5–4.8 and nearly always do. Random values of 20–25 characters often stay below it:
 * the specific patterns above catch the common real token formats regardless.
 */
export const ENTROPY_THRESHOLD = 4.2;
/** Shorter values are left alone: too many ordinary strings would look random. */
export const MIN_SECRET_LENGTH = 20;

const STARS = "********";

interface Detector {
  kind: Exclude<SecretKind, "high-entropy-assignment">;
  description: string;
  pattern: RegExp;
  /** The publishable form: a well-known public prefix at most, never the secret part. */
  mask: (match: string) => string;
}

// Compiled once. Formats: AWS access key ids (docs.aws.amazon.com, "Understanding unique ID
// prefixes"), PEM/OpenSSH/PGP private key headers, GitHub tokens ("Behind GitHub's new
// authentication token formats", github.blog 2021-04-05).
const DETECTORS: readonly Detector[] = [
  { kind: "aws-access-key-id", description: "AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, mask: (m) => `${m.slice(0, 4)}${STARS}` },
  // The header line is not secret; the key's body on the following lines is never shown.
  { kind: "private-key", description: "private key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g, mask: (m) => m },
  { kind: "github-token", description: "GitHub token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36}\b/g, mask: (m) => `${m.slice(0, 4)}${STARS}` },
  { kind: "github-token", description: "GitHub fine-grained token", pattern: /\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b/g, mask: () => `github_pat_${STARS}` },
];

// `name = value`, `name: value`, `"name": "value"`, `name := value`, `name => value`, where
// the name mentions a secret and the value is one run of token characters.
const ASSIGNMENT = /([\w.-]{0,40}?(?:secret|token|passw(?:or)?d|api[_-]?key)[\w.-]{0,40}?)["']?\s*(?::=|=>|[:=])\s*(["'`]?)([\w+/=.~!@#%^&*-]{20,})/gi;
// An unquoted `process.env.GITHUB_TOKEN` or `settings.api_key` names a value; it is not one.
const REFERENCE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/**
 * Likely secrets on one added line: known token formats first, then high-entropy values
 * assigned to secret-sounding names (skipping what a known format already reported).
 *
 * @example findSecretsInLine("aws_key = 'AKIAIOSFODNN7EXAMPLE'").map((s) => s.masked) // ["AKIA********"]
 */
export function findSecretsInLine(text: string): { kind: SecretKind; description: string; masked: string }[] {
  const found: { kind: SecretKind; description: string; masked: string }[] = [];
  const taken: [number, number][] = [];
  for (const d of DETECTORS) {
    for (const m of text.matchAll(d.pattern)) {
      found.push({ kind: d.kind, description: d.description, masked: d.mask(m[0]) });
      taken.push([m.index, m.index + m[0].length]);
    }
  }
  for (const m of text.matchAll(ASSIGNMENT)) {
    const [whole, name = "", quote = "", value = ""] = m;
    const start = m.index + whole.length - value.length;
    if (taken.some(([a, b]) => start < b && a < start + value.length)) continue;
    if (quote === "" && REFERENCE.test(value)) continue;
    if (shannonEntropy(value) <= ENTROPY_THRESHOLD) continue;
    found.push({ kind: "high-entropy-assignment", description: `high-entropy value assigned to \`${name}\``, masked: `${name} = ${STARS}` });
  }
  return found;
}

/**
 * Likely secrets in the ADDED lines of a pull request's files, each with its file and
 * line number in the new file (from the hunk headers). Removed and context lines are not
 * scanned: removing a key is the fix, not the leak. Files without a patch (binary, or too
 * large for GitHub to include one) cannot be scanned.
 *
 * @example findSecrets([{ filename: "a.env", patch: "@@ -0,0 +1 @@\n+KEY=AKIAIOSFODNN7EXAMPLE" }]) // [{file: "a.env", line: 1, …}]
 */
export function findSecrets(files: readonly Pick<PullFile, "filename" | "patch">[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const file of files) {
    if (!file.patch) continue;
    for (const line of parsePatch(file.patch)) {
      if (line.kind !== "added") continue;
      for (const hit of findSecretsInLine(line.text)) findings.push({ ...hit, file: file.filename, line: line.newLine! });
    }
  }
  return findings;
}
