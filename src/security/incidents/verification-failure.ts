/** Why a request failed verification: what the incident issue counts by. */
export const FAILURE_REASONS = ["bad_signature", "missing_signature", "ip_not_allowed", "rate_limited"] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * One request refused by a verification check, as the webhook route reports it: never its
 * body, signature or any other header than the hook id and event name it claimed (both
 * unverified, and checked for shape before they get here).
 */
export interface VerificationFailure {
  reason: FailureReason;
  /** The client address the checks used (proxy-aware). */
  source: string;
  /** `X-GitHub-Hook-Id` as claimed: digits only, else null. */
  hookId: string | null;
  /** `X-GitHub-Event` as claimed: a well-formed event name, else null. */
  event: string | null;
  at: number;
}
