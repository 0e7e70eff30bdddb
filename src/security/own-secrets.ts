import type { Config } from "../config/schema.js";

/** Lines of a PEM key long enough to be masked on their own: an agent may print the key line by line. */
const MIN_PEM_LINE = 40;

/**
 * switchyard's own secrets, as values to mask in whatever an agent leaves on its attempt
 * (output and error): the webhook secrets (`extraWebhookSecrets`: one `serve` generated), the
 * admin token, the GitHub token, the App's private key (whole and line by line), the http
 * agents' signing secrets and the PostgreSQL password. An `exec` agent never gets them in its
 * environment, but it runs as switchyard's user and can read them elsewhere
 * (`/proc/<pid>/environ`, `.switchyard/`): what it prints must still not publish them.
 *
 * @example ownSecrets(config, process.env, ["generated-secret"]) // ["generated-secret", "whsec_…", "ghp_…", …]
 */
export function ownSecrets(config: Config, env: Readonly<Record<string, string | undefined>>, extraWebhookSecrets: readonly string[] = []): string[] {
  const values: (string | null | undefined)[] = [...extraWebhookSecrets, ...config.secrets, config.admin.token, config.github.token];
  const key = config.github.privateKey;
  if (key) values.push(key, ...key.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length >= MIN_PEM_LINE));
  for (const spec of Object.values(config.agents)) {
    if (typeof spec !== "object" || !("http" in spec)) continue;
    const { secret } = spec.http;
    const value = typeof secret === "string" ? secret : env[secret.env]?.trim();
    // A whsec_ secret's key is the base64 after the prefix: what a receiver's library is given.
    if (value) values.push(value, value.startsWith("whsec_") ? value.slice("whsec_".length) : null);
  }
  values.push(databasePassword(config.store.url));
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v !== ""))];
}

function databasePassword(url: string): string | null {
  if (!/^postgres(ql)?:\/\//.test(url)) return null;
  try {
    const password = new URL(url).password;
    return password === "" ? null : decodeURIComponent(password);
  } catch {
    return null;
  }
}
