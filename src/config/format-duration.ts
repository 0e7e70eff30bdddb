/**
 * A duration as the config writes it: the largest unit that divides it.
 *
 * @example formatDuration(600000) // "10m"
 * @example formatDuration(1500) // "1500ms"
 */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
