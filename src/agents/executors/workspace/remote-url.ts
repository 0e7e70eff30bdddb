import { repoRef } from "../../../github/github-types.js";

/**
 * The URL git fetches and pushes the repository with: the configured template with
 * `{owner}` and `{repo}` filled in, or, by default, `$GITHUB_SERVER_URL` (GitHub Enterprise,
 * Actions) or https://github.com followed by `/{owner}/{repo}.git`. The URL never carries
 * the token: git gets it per command (git-auth-env.ts).
 *
 * @example remoteUrl(null, "octo/app", {}) // "https://github.com/octo/app.git"
 * @example remoteUrl("file:///srv/git/{owner}/{repo}.git", "octo/app", {}) // "file:///srv/git/octo/app.git"
 */
export function remoteUrl(template: string | null, repository: string, env: Record<string, string | undefined>): string {
  const server = (env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, "");
  const { owner, repo } = repoRef(repository);
  return (template ?? `${server}/{owner}/{repo}.git`).replaceAll("{owner}", owner).replaceAll("{repo}", repo);
}
