import { STATUS_CODES } from "node:http";
import type { Reply } from "./router.js";

/** A failure to answer instead of the route, for requests matching `method` and `path`. */
export interface FaultSpec {
  /** Any method when absent. */
  method?: string;
  /** The exact path (no query string), or a RegExp tested against it. */
  path: string | RegExp;
  status: number;
  /** How many matching requests fail (failNext: default 1). */
  times?: number;
  headers?: Record<string, string>;
  /** Default: `{message: <HTTP reason phrase>}`. */
  body?: unknown;
}

/**
 * GitHub's secondary rate limit: 403 with this message and `retry-after`.
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
 *
 * @example
 * fake.failNext({ path: /\/comments$/, ...secondaryRateLimit(60) });
 */
export function secondaryRateLimit(retryAfterSeconds: number): Pick<FaultSpec, "status" | "headers" | "body"> {
  return {
    status: 403,
    headers: { "retry-after": String(retryAfterSeconds) },
    body: {
      message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
    },
  };
}

/** Faults in the order they were added; the first that matches answers, and is used up. */
export class Faults {
  private readonly faults: { spec: FaultSpec; remaining: number }[] = [];

  add(spec: FaultSpec, times: number): void {
    this.faults.push({ spec, remaining: times });
  }

  clear(): void {
    this.faults.length = 0;
  }

  take(method: string, path: string): Reply | undefined {
    const fault = this.faults.find(({ spec }) =>
      (spec.method === undefined || spec.method.toUpperCase() === method) &&
      (typeof spec.path === "string" ? spec.path === path : spec.path.test(path)));
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    const { status, headers = {}, body = { message: STATUS_CODES[fault.spec.status] ?? "Error" } } = fault.spec;
    return { status, headers, body };
  }
}
