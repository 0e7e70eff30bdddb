/** Longest slug kept from the title: branch names stay readable in GitHub's UI. */
const MAX_SLUG = 40;

/**
 * The branch switchyard works on for an issue: `<prefix>issue-<N>-<slug of the title>`.
 * The same issue always gives the same branch (while its title stays), so a replay or a
 * later `/agent execute` finds the branch and the pull request of the earlier run.
 *
 * @example branchName("switchyard/", 12, "Login page crashes: fix it!") // "switchyard/issue-12-login-page-crashes-fix-it"
 */
export function branchName(prefix: string, issue: number, title: string): string {
  const slug = title
    .normalize("NFKD")
    // The accents NFKD split off ("é" → "e" + U+0301): dropped, not turned into dashes.
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, MAX_SLUG)
    .replace(/^-+|-+$/g, "");
  return `${prefix}issue-${issue}${slug ? `-${slug}` : ""}`;
}
