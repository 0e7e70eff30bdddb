import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { badPortMessage, positiveInt } from "./config-values.js";
import { isBadPort } from "./is-bad-port.js";

/** The values of the server, GitHub, store, command and recovery sections that need more than a type. */

/**
 * github.dryRun takes YAML's booleans, as every boolean key does; `yes`/`no` are strings in
 * YAML 1.2, though SWITCHYARD_DRY_RUN takes them (a variable is text either way): say so.
 *
 * @example dryRunError("yes") // '"yes" is a string in YAML, not true: write true (or auto); …'
 */
export function dryRunError(input: unknown): string {
  const shown = typeof input === "string" ? `"${input}"` : JSON.stringify(input) ?? String(input);
  const meant = typeof input === "string" ? ({ yes: "true", on: "true", no: "false", off: "false" } as Record<string, string>)[input.trim().toLowerCase()] : undefined;
  if (meant !== undefined) return `${shown} is a string in YAML, not ${meant}: write ${meant} (or auto); only the SWITCHYARD_DRY_RUN variable also takes 1/yes or 0/no`;
  return `${shown} is not auto, true or false: write auto (dry-run exactly when no credentials are set), true (record GitHub writes, send none) or false (send them)`;
}

const API_URL_EXAMPLE = "like https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server";

/**
 * The GitHub API base: http(s) only. Any other scheme passed the URL check, then failed
 * every call with a made-up HTTP 500 that was retried as if GitHub were down.
 */
export const githubApiUrl = z.url({ error: `not a URL: write the API's whole http:// or https:// address, ${API_URL_EXAMPLE}` }).superRefine((url, ctx) => {
  if (!URL.canParse(url)) return;
  const { protocol, username, password } = new URL(url);
  if (protocol !== "http:" && protocol !== "https:") ctx.addIssue({ code: "custom", message: `${protocol} URLs cannot be called: write an https:// (or http://) URL, ${API_URL_EXAMPLE}` });
  // fetch refuses a URL with credentials, so every call would fail, each error quoting the
  // URL (password included) into the logs. The token goes in GITHUB_TOKEN or the App's key.
  else if (username !== "" || password !== "") {
    ctx.addIssue({ code: "custom", message: `a user:password in the URL is never sent (HTTP clients refuse it): remove it and give the credentials as GITHUB_TOKEN or the App's id and key` });
  }
  // Octokit calls GitHub through fetch: every call would fail with "bad port".
  const { port } = new URL(url);
  if (isBadPort(port)) ctx.addIssue({ code: "custom", message: badPortMessage(port) });
});

/** GitHub's `author_association` values: who wrote a comment, relative to the repository. */
export const AUTHOR_ASSOCIATIONS = ["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN", "NONE"] as const;

/**
 * A webhook whose deliveries the sweep reads: a repository's (`owner/name` and the hook's
 * id), an organization's, or the GitHub App's own (read with the App's JWT).
 */
export const recoveryHookSchema = z.union(
  [
    z.strictObject({ repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "a repository is owner/name, like octo-org/hello"), id: positiveInt }),
    z.strictObject({ organization: z.string().min(1), id: positiveInt }),
    z.strictObject({ app: z.literal(true) }),
  ],
  { error: "a recovery hook is {repository: owner/name, id: 123}, {organization: my-org, id: 456} or {app: true}" },
);
export type RecoveryHookConfig = z.infer<typeof recoveryHookSchema>;

const PRIVATE_KEY_FORMS = 'a PEM RSA key as GitHub downloads it ("-----BEGIN RSA PRIVATE KEY-----" …) or in PKCS#8 ("-----BEGIN PRIVATE KEY-----" …), whole, with its line breaks (or \\n in a one-line variable)';

/**
 * Why a GitHub App private key cannot sign the App's JWT, or null when it can. Checked
 * when a command that calls GitHub loads the config (load-config.ts, with the other
 * credential checks): otherwise every task would die on its first GitHub call with
 * "DataError: Invalid keyData". Never says anything of the key itself.
 */
export function privateKeyProblem(key: string): string | null {
  // The JWT library turns literal \n into newlines itself, from the file as from the variable.
  const pem = key.replace(/\\n/g, "\n");
  if (pem.includes("-----BEGIN OPENSSH PRIVATE KEY-----")) return `an OpenSSH key cannot sign GitHub App tokens: use the App's key, ${PRIVATE_KEY_FORMS}`;
  if (pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) return `the key is encrypted with a passphrase, which switchyard cannot give: use ${PRIVATE_KEY_FORMS}`;
  // The JWT library reads what lies between the first BEGIN line and the last END line as
  // one key, where OpenSSL skips what surrounds a block: text before or after it ("Bag
  // Attributes" from openssl pkcs12, a certificate appended) would pass here and fail there.
  const trimmed = pem.trim();
  const outside = trimmed.indexOf("-----BEGIN ") > 0 || trimmed.split("-----BEGIN ").length > 2 || (trimmed.includes("-----END ") && !/-----END [A-Z ]+-----$/.test(trimmed));
  if (outside) {
    return `the value must be the key's PEM block alone, from its BEGIN line to its END line: ${PRIVATE_KEY_FORMS}`;
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    return `not a private key switchyard can read: write ${PRIVATE_KEY_FORMS}`;
  }
  // GitHub signs App tokens with RS256 only.
  if (type !== "rsa") return `the key is ${type ?? "of an unknown type"}, and GitHub App tokens are signed with RSA (RS256): use ${PRIVATE_KEY_FORMS}`;
  return null;
}

/**
 * `sqlite://data.db` written as a URL: everything after `sqlite:` is the path, so it names
 * /data.db at the filesystem's root, surely not what was meant. Checked here, where the
 * error can name the key or the variable the value came from (open-store.ts checks again).
 *
 * @example sqliteRootSlip("sqlite://data.db") // "sqlite://data.db names the file /data.db, at the filesystem's root …"
 */
export function sqliteRootSlip(url: string): string | null {
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : "";
  if (!/^\/\/[^/]/.test(file)) return null;
  return `${url} names the file ${file.slice(1)}, at the filesystem's root (everything after sqlite: is the path): write sqlite:${file.slice(2)} for a file in the working directory, or sqlite:${file.slice(1)} if the root is meant`;
}

/** What one `serve` process runs: all (webhook + admin + worker), ingest (no worker), worker (no webhook listener). */
export const SERVER_ROLES = ["all", "ingest", "worker"] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];
