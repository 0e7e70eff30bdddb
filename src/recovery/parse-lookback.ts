import { formatDuration } from "../config/format-duration.js";
import { parseSince } from "../observability/parse-since.js";

/**
 * The bounds of a sweep's look back, one pair for `recovery.lookback`, `redeliver --since`
 * and `POST /api/recovery/sweep?since=`, so that what `check` refuses in the config the CLI
 * and the API refuse too. GitHub keeps deliveries 3 days (GitHub Enterprise Server: 7): a
 * longer look back finds nothing more.
 */
export const MIN_LOOKBACK_MS = 60_000;
export const MAX_LOOKBACK_MS = 168 * 3_600_000;

/**
 * `--since` / `?since=` of a sweep: a duration with a unit (s, m, h or d), from 1m to 168h
 * → milliseconds; a string saying what is wrong otherwise (the CLI prefixes `--`).
 *
 * @example parseLookback("72h") // 259200000
 * @example parseLookback("30s") // 'since is at least 1m, not "30s", as recovery.lookback'
 */
export function parseLookback(value: string): number | string {
  const ms = parseSince(value);
  if (typeof ms === "string") return ms;
  if (ms < MIN_LOOKBACK_MS) return `since is at least 1m, not "${value}", as recovery.lookback`;
  if (ms > MAX_LOOKBACK_MS) return "since is at most 168h: GitHub keeps no older deliveries (github.com: 72h)";
  return ms;
}

/**
 * Why a sweep may not read back `lookbackMs` when the store keeps delivery rows `rowsMs`
 * (store.retention.rows), or null: a delivery GitHub logged as failed that switchyard
 * stored, ran and then pruned would look missing, be asked for again, and run twice.
 *
 * @example beyondRetention(168 * 3_600_000, 72 * 3_600_000) // "reads back 168h, longer than store.retention.rows (72h) …"
 */
export function beyondRetention(lookbackMs: number, rowsMs: number): string | null {
  if (lookbackMs <= rowsMs) return null;
  return `reads back ${formatDuration(lookbackMs)}, longer than store.retention.rows (${formatDuration(rowsMs)}): a delivery switchyard ran and then pruned would look missing, be redelivered and run twice; read back at most ${formatDuration(rowsMs)}, or keep rows longer`;
}
