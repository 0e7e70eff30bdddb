import { describe, expect, it } from "vitest";
import { checkSecrets } from "../../../src/agents/builtin/review-agent/check-secrets.js";
import { ENTROPY_THRESHOLD, findSecrets, findSecretsInLine } from "../../../src/agents/builtin/review-agent/find-secrets.js";
import { shannonEntropy } from "../../../src/agents/builtin/review-agent/shannon-entropy.js";

// Fixtures are assembled at run time so this file holds no token-shaped literal: secret
// scanners (GitHub push protection, switchyard's own review) must not flag the tests.
const AWS_KEY = ["AKIA", "IOSFODNN7", "EXAMPLE"].join("");
const GH_TOKEN = "ghp" + "_" + "a1B2c3D4e5F6g7H8i9J0".repeat(2).slice(0, 36);
const GH_PAT = "github" + "_pat_" + "A1b2C3d4E5f6G7h8I9j0K1" + "_" + "z".repeat(10) + "Q9w8E7r6T5y4U3i2O1p0".repeat(3).slice(0, 49);
const PEM_HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----";
const RANDOM_40 = "q7Xv2LmP9sKd4TgW1zBn8RcY6hJf3NaE5uVo0iQx";

describe("shannonEntropy", () => {
  it.each([
    ["", 0],
    ["aaaa", 0],
    ["aabb", 1],
    ["abcd", 2],
    ["0123456789abcdef", 4],
  ])("%j → %f bits per character", (text, bits) => {
    expect(shannonEntropy(text)).toBeCloseTo(bits, 10);
  });
});

describe("the entropy threshold", () => {
  it.each([
    { name: "a random 40-character token", value: RANDOM_40, flagged: true },
    { name: "a base64 secret", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", flagged: true },
    { name: "a UUID", value: "123e4567-e89b-42d3-a456-426614174000", flagged: false },
    { name: "a 40-hex sha", value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", flagged: false },
    { name: "a passphrase of words", value: "correct-horse-battery-staple", flagged: false },
    { name: "a placeholder", value: "your-api-key-goes-here-please", flagged: false },
    { name: "repeated text", value: "changeme_changeme_changeme", flagged: false },
  ])("$name: flagged=$flagged", ({ value, flagged }) => {
    expect(shannonEntropy(value) > ENTROPY_THRESHOLD).toBe(flagged);
    expect(findSecretsInLine(`api_key = "${value}"`).length > 0).toBe(flagged);
  });

  it("leaves short values alone however random", () => {
    expect(findSecretsInLine(`password = "${RANDOM_40.slice(0, 19)}"`)).toEqual([]);
  });
});

describe("findSecretsInLine", () => {
  it.each([
    { name: "AWS access key id", line: `aws_access_key_id = ${AWS_KEY}`, kind: "aws-access-key-id", masked: "AKIA********" },
    { name: "temporary AWS key id", line: `"${AWS_KEY.replace("AKIA", "ASIA")}"`, kind: "aws-access-key-id", masked: "ASIA********" },
    { name: "private key block", line: PEM_HEADER, kind: "private-key", masked: PEM_HEADER },
    { name: "OpenSSH private key", line: "-----BEGIN " + "OPENSSH PRIVATE KEY-----", kind: "private-key", masked: "-----BEGIN OPENSSH PRIVATE KEY-----" },
    { name: "GitHub classic token", line: `const token = "${GH_TOKEN}";`, kind: "github-token", masked: "ghp_********" },
    { name: "GitHub app token", line: `GITHUB_TOKEN=${GH_TOKEN.replace("ghp_", "ghs_")}`, kind: "github-token", masked: "ghs_********" },
    { name: "GitHub fine-grained token", line: `token: ${GH_PAT}`, kind: "github-token", masked: "github_pat_********" },
    { name: "JS assignment", line: `const clientSecret = "${RANDOM_40}";`, kind: "high-entropy-assignment", masked: "clientSecret = ********" },
    { name: "JSON", line: `  "apiKey": "${RANDOM_40}",`, kind: "high-entropy-assignment", masked: "apiKey = ********" },
    { name: "YAML", line: `password: ${RANDOM_40}`, kind: "high-entropy-assignment", masked: "password = ********" },
    { name: ".env", line: `STRIPE_API_KEY=${RANDOM_40}`, kind: "high-entropy-assignment", masked: "STRIPE_API_KEY = ********" },
    { name: "Go", line: `\tsecret := "${RANDOM_40}"`, kind: "high-entropy-assignment", masked: "secret = ********" },
  ])("$name", ({ line, kind, masked }) => {
    const found = findSecretsInLine(line);
    expect(found.map((f) => [f.kind, f.masked])).toEqual([[kind, masked]]);
  });

  it.each([
    ["an environment reference", "const token = process.env.GITHUB_TOKEN_FOR_RELEASES;"],
    ["a settings reference", "api_key: settings.payments.stripe_api_key_live"],
    ["an Actions expression", "token: ${{ secrets.GITHUB_TOKEN }}"],
    ["a URL", `token_url = "https://example.com/oauth/token"`],
    ["a key id one character short", `id = "${AWS_KEY.slice(0, 19)}"`],
    ["ordinary code", "const tokens = tokenize(source);"],
  ])("ignores %s", (_name, line) => {
    expect(findSecretsInLine(line)).toEqual([]);
  });

  it("reports a token once, not again as a high-entropy assignment", () => {
    expect(findSecretsInLine(`github_token = "${GH_TOKEN}"`).map((f) => f.kind)).toEqual(["github-token"]);
  });

  it("never returns the secret itself", () => {
    for (const line of [`k=${AWS_KEY}`, `t="${GH_TOKEN}"`, `t=${GH_PAT}`, `secret="${RANDOM_40}"`]) {
      const text = JSON.stringify(findSecretsInLine(line));
      for (const secret of [AWS_KEY, GH_TOKEN, GH_PAT, RANDOM_40]) expect(text).not.toContain(secret);
      expect(text).toContain("********");
    }
  });
});

describe("findSecrets", () => {
  const patch = [
    "@@ -1,3 +1,4 @@",
    " import os",
    `-OLD_KEY = "${AWS_KEY}"`,
    "+KEY = os.environ['KEY']",
    " ",
    "+print(KEY)",
    "@@ -50,2 +51,3 @@ def main():",
    " a = 1",
    `+aws = "${AWS_KEY}"`,
    " b = 2",
  ].join("\n");

  it("flags added lines only, with their line numbers in the new file", () => {
    expect(findSecrets([{ filename: "app/settings.py", patch }])).toEqual([
      { kind: "aws-access-key-id", description: "AWS access key id", file: "app/settings.py", line: 52, masked: "AKIA********" },
    ]);
  });

  it("does not flag a key on a removed line", () => {
    expect(findSecrets([{ filename: "a.py", patch: `@@ -1,2 +1 @@\n-KEY = "${AWS_KEY}"\n keep` }])).toEqual([]);
  });

  it("skips files without a patch", () => {
    expect(findSecrets([{ filename: "logo.png", patch: null }])).toEqual([]);
  });
});

describe("checkSecrets", () => {
  it("fails with file:line and the masked value, never the secret", () => {
    const v = checkSecrets([{ filename: "config/prod.env", status: "added", patch: `@@ -0,0 +1,3 @@\n+A=1\n+B=2\n+AWS_ACCESS_KEY_ID=${AWS_KEY}` }]);
    expect(v.level).toBe("failure");
    expect(v.summary).toBe("1 likely secret in added lines");
    expect(v.details[0]).toBe("` config/prod.env:3 `: AWS access key id ` AKIA******** `");
    expect(JSON.stringify(v)).not.toContain(AWS_KEY);
  });

  it("passes clean files and says which files could not be scanned", () => {
    const v = checkSecrets([
      { filename: "src/a.ts", status: "modified", patch: "@@ -1 +1 @@\n-a\n+b" },
      { filename: "logo.png", status: "added", patch: null },
      { filename: "old.bin", status: "removed", patch: null },
    ]);
    expect(v.level).toBe("pass");
    expect(v.summary).toBe("none found in added lines (1 file not scanned)");
    expect(v.details).toEqual(["not scanned (binary or too large for a patch): ` logo.png `"]);
  });
});
