/**
 * The line put before an agent's output when only its tail was kept, so that a reader of
 * `tasks show` or the dashboard knows the first line shown is not where the output began.
 * Null when the whole output fit (`cut`: whether it did not, when the limit counts
 * characters rather than bytes).
 *
 * @example cutNote(52_428_800, 16_384) // "[output cut: 50 MiB in all, only the last 16 KiB kept]"
 */
export function cutNote(totalBytes: number, limitBytes: number, cut = totalBytes > limitBytes): string | null {
  if (!cut) return null;
  return `[output cut: ${formatBytes(totalBytes)} in all, only the last ${formatBytes(limitBytes)} kept]`;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${round(n / (1024 * 1024))} MiB`;
  if (n >= 1024) return `${round(n / 1024)} KiB`;
  return `${n} bytes`;
}

function round(x: number): string {
  return x >= 10 ? String(Math.round(x)) : String(Math.round(x * 10) / 10);
}
