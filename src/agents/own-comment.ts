/**
 * Whether a comment (or an issue: Guardian's escalation, the security-incident issue) was
 * written by switchyard: by one of its own logins (GitHub logins are case-insensitive). A
 * marker, a label or a title alone proves nothing: anyone can write `<!-- switchyard:… -->`
 * into a comment, and switchyard, whose token may edit other people's comments, would edit
 * theirs and republish what it holds. A comment with no known author (`null`: a deleted
 * account) is never switchyard's.
 *
 * When switchyard's own identity is unknown (the `GET /user` or `GET /app` lookup failed),
 * no comment counts as its own but GitHub Actions' `github-actions[bot]`: switchyard then
 * posts a new comment where it would have edited its earlier one, which is noisy but never
 * edits or trusts anyone else's (docs/security.md#comments-switchyard-edits).
 */
export function isOwnComment(comment: { user: string | null }, ownLogins: readonly string[]): boolean {
  const login = comment.user?.toLowerCase();
  return login !== undefined && ownLogins.some((own) => own.toLowerCase() === login);
}

/** The first of `comments` switchyard wrote that `matches`, if any. */
export function findOwnComment<T extends { user: string | null; body: string }>(comments: readonly T[], ownLogins: readonly string[], matches: (body: string) => boolean): T | undefined {
  return comments.find((c) => isOwnComment(c, ownLogins) && matches(c.body));
}
