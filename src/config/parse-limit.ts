/**
 * `--limit N` / `?limit=N`: a whole number of rows, default 50, no upper cap beyond what a
 * number can hold exactly. Digits only: `1e3` or `0x10` are mistakes, not limits, and so is
 * an empty value (`--limit=`, `?limit=`): a variable that came out empty, not a wish for 50.
 *
 * @example parseLimit("200") // 200
 * @example parseLimit("0") // "limit must be a positive whole number, not \"0\""
 * @example parseLimit("") // "limit must be a positive whole number, not \"\""
 */
export function parseLimit(raw: unknown, fallback = 50): number | string {
  if (raw === undefined) return fallback;
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    return /^\d+$/.test(text) && n >= 1
      ? `limit ${text} is too large: use at most ${Number.MAX_SAFE_INTEGER}`
      : `limit must be a positive whole number, not "${String(raw)}"`;
  }
  return n;
}

/**
 * The most rows one admin API list answers. The CLI reads the store in a process of its own
 * and takes any limit; the admin API reads it in the server, on SQLite on the thread that
 * answers webhooks, so a list of a million rows held every delivery for seconds. Longer
 * lists page with `before`.
 */
export const MAX_API_LIMIT = 1000;

/** `?limit=N` on the admin API's lists: parseLimit's rules, at most MAX_API_LIMIT. */
export function parseApiLimit(raw: unknown): number | string {
  const limit = parseLimit(raw);
  if (typeof limit === "number" && limit > MAX_API_LIMIT) {
    return `limit ${limit} is over the ${MAX_API_LIMIT} rows one admin API list answers: page with before (the id of the last row listed), or use the CLI, which takes any limit`;
  }
  return limit;
}
