import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createStateDir } from "../create-state-dir.js";

export interface WebhookSecretFile {
  secret: string;
  file: string;
  /** True when this call generated the secret (so `serve` prints it with the next step). */
  created: boolean;
}

const FILE_NAME = "webhook-secret";

/**
 * The secret `serve` uses when none is configured: `<dir>/webhook-secret`, generated on
 * first use (32 random bytes as hex, file mode 0600 in a 0700 directory) and reused
 * afterwards (a `.switchyard` directory it creates ignores itself in git: createStateDir).
 * There is never a built-in default: an unconfigured deployment gets a secret
 * nobody else knows, so it fails closed (docs/security.md).
 *
 * Two processes starting at once agree on one secret: the file is written complete under
 * a private temporary name and then hard-linked into place, which fails if the name exists,
 * so the loser reads the winner's secret and never a half-written one.
 *
 * @example
 * const { secret, file, created } = loadOrCreateWebhookSecret(".switchyard");
 * if (created) console.log(`Generated a webhook secret in ${file}. Next: switchyard send issues.opened`);
 */
export function loadOrCreateWebhookSecret(dir: string): WebhookSecretFile {
  const file = join(dir, FILE_NAME);
  const existing = readSecret(file);
  if (existing !== undefined) return { secret: existing, file, created: false };

  createStateDir(dir, { mode: 0o700 });
  const secret = randomBytes(32).toString("hex");
  const temp = join(dir, `.${FILE_NAME}.${process.pid}.${randomBytes(6).toString("hex")}`);
  // mode applies at creation; the umask can only narrow it further.
  writeFileSync(temp, `${secret}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temp, file);
    return { secret, file, created: true };
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error;
    const winner = readSecret(file);
    if (winner === undefined) throw error;
    return { secret: winner, file, created: false };
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The trimmed secret in `file`, or undefined when there is no such file. */
function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  const secret = text.trim();
  if (secret === "") {
    throw new Error(`${file} is empty: delete it to generate a new webhook secret, or set WEBHOOK_SECRET`);
  }
  return secret;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}
