import { redactUrlSecrets } from "../config/redact-url.js";
import type { Config } from "../config/schema.js";

// Kept apart from the Octokit factory: `check` says whether writes are sent without loading Octokit.

export type AuthMode = "app" | "token" | "none";

/** What the config's credentials amount to; App auth wins when both are set. */
export function authMode(github: Config["github"]): AuthMode {
  if (github.appId !== null && github.privateKey) return "app";
  if (github.token) return "token";
  return "none";
}

/** Whether GitHub writes are only recorded: explicit config, else exactly when no credentials are set. */
export function isDryRun(github: Config["github"], mode: AuthMode): boolean {
  return github.dryRun === "auto" ? mode === "none" : github.dryRun;
}

const DEFAULT_API_URL = "https://api.github.com";

/**
 * Whether GitHub writes will really be sent, and as whom: said by `serve` as it starts and
 * by `check` (`line`; `json` for `check --json`), so that a deployment missing its
 * credentials does not find out from a week of comments that were never posted.
 *
 * @example
 * describeGithubWrites({ ...github, token: null, appId: null, dryRun: "auto" }).line
 * // "GitHub: dry-run (no credentials): writes are recorded, not sent"
 */
export function describeGithubWrites(github: Config["github"]): { line: string; json: { dry_run: boolean; auth: AuthMode; app_id: string | number | null } } {
  const auth = authMode(github);
  const dryRun = isDryRun(github, auth);
  const json = { dry_run: dryRun, auth, app_id: auth === "app" ? github.appId : null };
  const as = auth === "app" ? `as a GitHub App (app id ${github.appId})` : "with a token";
  // As check shows an http agent's URL: a user:password or a query token stays out of logs.
  const api = github.apiUrl.replace(/\/+$/, "") === DEFAULT_API_URL ? "" : ` to ${redactUrlSecrets(github.apiUrl)}`;
  if (!dryRun) return { line: `GitHub: writes sent ${as}${api}`, json };
  const why = auth === "none" ? "no credentials" : `github.dryRun is true (the config file or SWITCHYARD_DRY_RUN), though credentials are set: ${as.replace(/^with /, "")}`;
  return { line: `GitHub: dry-run (${why}): writes are recorded, not sent`, json };
}
