/** The KPI report's window when none is given. */
export const DEFAULT_KPI_SINCE = "24h";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_SINCE_MS = 36_500 * 86_400_000;

/**
 * `--since` / `?since=`: how far back a report looks, as a positive number with a unit
 * (s, m, h or d) → milliseconds; a string saying what is wrong otherwise. A bare number is
 * refused: minutes or hours, the reader could not tell.
 *
 * @example
 * parseSince("24h") // 86400000
 * parseSince("7d")  // 604800000
 * parseSince("24")  // "since must be a duration with a unit (s, m, h or d), like 24h, not \"24\""
 */
export function parseSince(value: string): number | string {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(value.trim());
  if (!match) return `since must be a duration with a unit (s, m, h or d), like 24h, not "${value}"`;
  const ms = Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
  if (ms <= 0) return `since must be longer than zero, like 24h, not "${value}"`;
  // Beyond this a start date is not a date at all (JavaScript's range ends 275,000 years back).
  if (ms > MAX_SINCE_MS) return `since is at most 36500d (100 years): "${value}" reaches before any delivery could have been stored`;
  return ms;
}
