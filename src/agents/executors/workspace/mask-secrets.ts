/** Token shapes GitHub issues (classic, fine-grained, installation, OAuth, user-to-server, refresh). */
const GITHUB_TOKEN_SHAPES = /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g;
/** Credentials written into a URL: `https://user:secret@host`. */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;

/**
 * Replaces every known secret value (the git token, the values of the variables an agent was
 * given), anything shaped like a GitHub token and credentials in URLs with `***`, before
 * output is posted in a comment or kept on the attempt.
 *
 * @example maskSecrets("push with ghs_abc… failed", ["s3cret"]) // "push with *** failed"
 */
export function maskSecrets(text: string, secrets: readonly (string | null | undefined)[]): string {
  let masked = text;
  // Longest first, so a secret that contains another is masked whole.
  const values = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length >= 4))].sort((a, b) => b.length - a.length);
  for (const value of values) masked = masked.split(value).join("***");
  return masked.replace(GITHUB_TOKEN_SHAPES, "***").replace(URL_CREDENTIALS, "$1***@");
}

/**
 * The last `maxLines` lines of `text`, at most `maxChars` characters: what fits in a comment.
 *
 * @example tailOf("a\nb\nc", 2, 100) // "b\nc"
 */
export function tailOf(text: string, maxLines: number, maxChars: number): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  let tail = lines.slice(-maxLines).join("\n");
  if (tail.length > maxChars) tail = `…${tail.slice(tail.length - maxChars)}`;
  return tail;
}

/**
 * Text for a public issue with this machine's paths named instead of shown, the longest
 * first, so a worktree inside the workspaces directory is named as the worktree.
 *
 * @example hidePaths("cannot run ./a.sh: /srv/ws/worktrees/o/r/issue-1-task-3/a.sh does not exist", { "/srv/ws": "<workspaces>", "/srv/ws/worktrees/o/r/issue-1-task-3": "<worktree>" }) // "cannot run ./a.sh: <worktree>/a.sh does not exist"
 */
export function hidePaths(text: string, names: Readonly<Record<string, string>>): string {
  return Object.entries(names)
    .filter(([local]) => local !== "")
    .sort(([a], [b]) => b.length - a.length)
    .reduce((out, [local, shown]) => out.replaceAll(local, shown), text);
}

/**
 * How much more than a kept tail is read and masked before the tail is cut: a secret or
 * token that the cut would go through is then whole when masked (tokens and API keys are
 * far shorter), so no end of one is kept in clear.
 */
export const MASK_CONTEXT = 512;
