import { z } from "zod";

/**
 * The value types config keys share: sizes, durations (a bare number counts milliseconds),
 * ports. Parsed here once, so every key that takes one reads it, and refuses it, alike.
 */

const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * "25mb" | "512kb" | 1048576 → bytes; undefined for no positive size.
 *
 * @example parseByteSize("25mb") // 26214400
 */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = UNITS[(match[2] || "b").toLowerCase()];
  const bytes = unit === undefined ? undefined : Math.floor(Number(match[1]) * unit);
  // "0" or "0.0001kb" is no size to accept a body of.
  return bytes !== undefined && bytes > 0 ? bytes : undefined;
}

/**
 * "10m" | "30s" | "500ms" | "30d" | 1500 → milliseconds; undefined for no duration (a negative one included).
 *
 * @example parseDuration("10m") // 600000
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (DURATION_UNITS[(match[2] ?? "ms").toLowerCase()] ?? 1));
}

export const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseByteSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a size: write a positive number of bytes, or one with kb, mb or gb, like 25mb` });
    return z.NEVER;
  }
  return bytes;
});

/** A value written below zero (`-5`, `"-5s"`), which is no duration: said so, rather than "not a duration". */
function isNegative(value: string | number): boolean {
  return typeof value === "number" ? value < 0 : /^\s*-/.test(value) && parseDuration(value.replace("-", "")) !== undefined;
}

/**
 * A duration: milliseconds, or a number with a unit. `negative` says what a value below zero
 * is told (an agent's timeout has its own words); any other bad value is "not a duration".
 */
function durationSchema(negative: (value: string | number) => string) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms !== undefined) return ms;
    const message = isNegative(value) ? negative(value) : `"${value}" is not a duration: write milliseconds or a number with ms, s, m, h or d, like 10m`;
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  });
}

export const duration = durationSchema((value) => `${value} is below zero: write a number of milliseconds, or a duration with ms, s, m, h or d, like 10m`);

/** An agent's `timeout`, where 0 turns the limit off. */
export const agentTimeout = durationSchema((value) => `${value} is below zero: a timeout is positive, a number of milliseconds or a duration like 5m (0 turns the limit off)`);

/**
 * A key named in milliseconds (`leaseMs`, `retry.maxDelayMs`…): a number still counts
 * milliseconds, and a duration (`10s`) is taken as `timeout:` takes it, rather than refused
 * with "expected number" beside keys that accept it.
 */
export const milliseconds = duration;

export const port = z.number().int().min(0).max(65535);
export const positiveInt = z.number().int().positive();

/**
 * Why a URL on a port fetch refuses cannot be used.
 *
 * @example badPortMessage("6000") // "port 6000 is one fetch refuses to connect to (…): use another port"
 */
export function badPortMessage(port: string): string {
  return `port ${port} is one fetch refuses to connect to (a bad port in the Fetch standard, like 25 or 6665-6669): use another port`;
}
