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
