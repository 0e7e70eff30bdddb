/**
 * A yes/no query parameter (`?dry_run=1`): `1` or `true` is yes, `0` or `false` (or no
 * parameter) is no, in any case. Anything else — `yes`, `on`, an empty `?dry_run` — is
 * refused with the message to answer 400 with, never read as either: a dry run misread as
 * a real one changes the store, and one misread the other way hides that nothing was done.
 *
 * @example parseQueryFlag("dry_run", "TRUE") // true
 * @example parseQueryFlag("dry_run", undefined) // false
 * @example parseQueryFlag("dry_run", "yes") // 'dry_run must be 1 or true to turn it on, 0 or false to leave it off, not "yes"'
 */
export function parseQueryFlag(name: string, raw: string | undefined): boolean | string {
  if (raw === undefined) return false;
  const value = raw.toLowerCase();
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  return `${name} must be 1 or true to turn it on, 0 or false to leave it off, not ${JSON.stringify(raw)}`;
}
