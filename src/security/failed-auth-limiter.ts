import { isSignatureHeader } from "./verify-signature.js";

/** Whether an address may attempt another signature check, and if not, for how long. */
export type LimitCheck = { limited: false } | { limited: true; retryAfterSeconds: number };

export interface FailedAuthLimiterOptions {
  /** Failed verifications one address may make within `windowMs`; one more is refused. */
  max: number;
  windowMs: number;
  /** Addresses remembered at once; beyond it the least recently failing is forgotten. */
  maxTracked?: number;
}

export interface FailedAuthLimiter {
  check(ip: string, now: number): LimitCheck;
  recordFailure(ip: string, now: number): void;
  /**
   * Limits an address until `until` whatever its local count: what other instances saw
   * (the shared limiter). Clamped to one window from `now`, as check's answer is.
   */
  limitUntil(ip: string, until: number, now: number): void;
  /** Addresses tracked right now (never above maxTracked): for metrics and tests. */
  readonly size: number;
}

/** The most recent failures of one address, at most max + 1 of them, oldest at `next`. */
interface Failures {
  stamps: number[];
  next: number;
  /** Limited until then by limitUntil, whatever the stamps say. */
  until?: number;
}

const NOT_LIMITED: LimitCheck = Object.freeze({ limited: false });

/**
 * Count FAILED signature checks per source address and refuse an address (429 with
 * Retry-After) once it has failed more than `max` times within `windowMs`, until the
 * oldest of those failures leaves the window. This stops secret guessing and keeps a
 * misconfigured sender from burning CPU on HMACs.
 *
 * It never sees correctly signed deliveries: the server calls `recordFailure` only when
 * verification fails, and GitHub does not retry a refused delivery, so limiting signed
 * work would lose events (docs/security.md). That is also why a limited address may still
 * send a request that could verify; what it may send is capped by `refuseWhileLimited`, so
 * the limit saves the HMAC of large bodies too. Create ONE per process and share it
 * between requests; the seed built one per request and so never limited anything.
 *
 * Memory is bounded twice over. Per address it keeps a ring of the last max + 1 failure
 * times (not a growing list): that is exactly enough to know whether max + 1 of them fall
 * in the window and when the oldest leaves it, so the limit is a true sliding window
 * without a fixed window's double burst at the boundary. Across addresses it keeps at most
 * `maxTracked` (default 10 000), forgetting the one whose last failure is oldest; stale
 * addresses are dropped as they are met. Worst case: maxTracked × (max + 1) numbers.
 *
 * @example
 * const limiter = createFailedAuthLimiter({ max: 100, windowMs: 60_000 });
 * const verdict = limiter.check(ip, Date.now());
 * if (verdict.limited) return sendError(reply.header("Retry-After", verdict.retryAfterSeconds), "SWY_E_RATE_LIMITED");
 * if (!verifySignature(secrets, body, header).ok) limiter.recordFailure(ip, Date.now());
 */
export function createFailedAuthLimiter(options: FailedAuthLimiterOptions): FailedAuthLimiter {
  const { max, windowMs, maxTracked = 10_000 } = options;
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`failedAuth.max must be an integer >= 0, got ${max}`);
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`failedAuth.windowMs must be > 0, got ${windowMs}`);
  if (!Number.isInteger(maxTracked) || maxTracked < 1) throw new RangeError(`failedAuth.maxTracked must be an integer >= 1, got ${maxTracked}`);

  const ring = max + 1;
  // Insertion order is "least recently failed first": recordFailure re-inserts its address.
  const tracked = new Map<string, Failures>();

  const newest = (f: Failures): number => f.stamps[(f.next + f.stamps.length - 1) % f.stamps.length] ?? -Infinity;
  // When an address stops mattering: its newest failure has left the window and no limit set by limitUntil remains.
  const expiresAt = (f: Failures): number => Math.max(newest(f) + windowMs, f.until ?? -Infinity);

  // The front of the map failed longest ago: drop it while it is stale or over the cap.
  const prune = (now: number) => {
    for (const [key, front] of tracked) {
      if (tracked.size <= maxTracked && expiresAt(front) > now) break;
      tracked.delete(key);
    }
  };

  return {
    check(ip, now) {
      const failures = tracked.get(ip);
      if (failures === undefined) return NOT_LIMITED;
      if (expiresAt(failures) <= now) {
        tracked.delete(ip);
        return NOT_LIMITED;
      }
      const oldest = failures.stamps.length < ring ? -Infinity : (failures.stamps[failures.next] ?? -Infinity);
      const waitMs = Math.max(oldest + windowMs, failures.until ?? -Infinity) - now;
      if (waitMs <= 0) return NOT_LIMITED;
      // Clamped to the window so a clock stepping backwards cannot ban an address for hours.
      const retryAfterSeconds = Math.max(1, Math.ceil(Math.min(waitMs, windowMs) / 1000));
      return { limited: true, retryAfterSeconds };
    },

    recordFailure(ip, now) {
      let failures = tracked.get(ip);
      if (failures === undefined) {
        failures = { stamps: [], next: 0 };
      } else {
        tracked.delete(ip);
      }
      if (failures.stamps.length < ring) {
        failures.stamps.push(now);
      } else {
        failures.stamps[failures.next] = now;
        failures.next = (failures.next + 1) % ring;
      }
      tracked.set(ip, failures);
      prune(now);
    },

    limitUntil(ip, until, now) {
      const bounded = Math.min(until, now + windowMs);
      if (bounded <= now) return;
      const failures = tracked.get(ip) ?? { stamps: [], next: 0 };
      tracked.delete(ip);
      failures.until = Math.max(failures.until ?? -Infinity, bounded);
      tracked.set(ip, failures);
      prune(now);
    },

    get size() {
      return tracked.size;
    },
  };
}

/**
 * The most body a limited source outside GitHub's hook ranges may send. GitHub's deliveries
 * are mostly a few KiB to tens of KiB; 25 MiB is its cap. Far below the body limit, so a
 * limited offender costs an HMAC of 256 KiB at most per request instead of 25 MiB.
 */
export const LIMITED_BODY_LIMIT = 256 * 1024;

/** What is known of a request from a limited source before its body is read. */
export interface LimitedRequest {
  /** The X-Hub-Signature-256 header as received. */
  signature: string | string[] | undefined;
  /** The Content-Length header as received (absent for a chunked body). */
  contentLength: string | undefined;
  /** The source is in GitHub's published hook ranges (or in the operator's IP allowlist). */
  fromHookRanges: boolean;
  /** server.bodyLimit. */
  bodyLimit: number;
}

/**
 * Why a request from a source over its failure limit is refused before its body is read,
 * or null to read it and check its signature. A correctly signed GitHub delivery is never
 * refused here: it always carries a well-formed signature, and from GitHub's hook ranges it
 * keeps the whole body limit. Elsewhere (a proxy or tunnel shared with the offender, when
 * `server.trustProxy` is off) it must declare a Content-Length within LIMITED_BODY_LIMIT, the
 * trade-off docs/security.md describes. Content-Length frames the body, so no more than
 * that is ever read.
 *
 * @example
 * refuseWhileLimited({ signature: "sha1=abc", contentLength: "10", fromHookRanges: true, bodyLimit }); // "… well-formed …"
 */
export function refuseWhileLimited(request: LimitedRequest): string | null {
  if (!isSignatureHeader(request.signature)) return "while limited, a request must carry one well-formed X-Hub-Signature-256 (sha256=<64 hex>)";
  if (request.fromHookRanges) return null;
  const cap = Math.min(request.bodyLimit, LIMITED_BODY_LIMIT);
  const length = request.contentLength;
  if (length !== undefined && /^\d{1,15}$/.test(length) && Number(length) <= cap) return null;
  return `while limited, a body from outside GitHub's hook ranges must declare a Content-Length of at most ${cap} bytes`;
}
