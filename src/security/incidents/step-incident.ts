import { emptySummary, mergeSummaries, type FailureSummary } from "./failure-summary.js";

/** `security.incidents` in milliseconds. */
export interface IncidentSettings {
  threshold: number;
  windowMs: number;
  quietMs: number;
}

export type IncidentAction = "open" | "update" | "close";

/**
 * The incident as every instance sees it (one JSON document in the store on PostgreSQL,
 * in memory otherwise). Bounded: the buckets cover one window, the summary is bounded.
 */
export interface IncidentState {
  /** `[bucketStart, failures]`, for the sliding window; only buckets inside it are kept. */
  buckets: [number, number][];
  /** The episode: every failure since the last incident closed (or since the window emptied). */
  summary: FailureSummary;
  /** `summary.total` at the last report (issue opened, comment written). */
  reportedTotal: number;
  open: boolean;
  /** The open issue's number; null in dry-run, where nothing is created. */
  issue: number | null;
  /** The one comment further bursts are written to. */
  commentId: number | null;
  lastReportAt: number | null;
  /** An action one instance is carrying out; the others leave it alone until `until`. */
  pending: { action: IncidentAction; token: string; until: number; total: number } | null;
  /**
   * An incident crossed the threshold and its issue could not be opened yet (GitHub refused
   * or was down): it is opened when GitHub takes it, even after its failures left the window.
   * Absent in states written before it existed.
   */
  owed?: boolean;
  /** After a failed GitHub write, no action is claimed before this (epoch ms): a refusing GitHub is not asked every tick. */
  retryAt?: number | null;
}

/** An action this instance took on, with what it needs to write it. */
export interface IncidentClaim {
  action: IncidentAction;
  token: string;
  summary: FailureSummary;
  /** Failures within the window when it was claimed. */
  inWindow: number;
  /** `summary.total` at the previous report. */
  reportedTotal: number;
  issue: number | null;
  commentId: number | null;
}

/** What carrying out a claim came to. */
export type IncidentOutcome =
  | { action: "open"; issue: number | null }
  | { action: "update"; commentId: number | null }
  | { action: "close" }
  /** The issue was closed or deleted on GitHub by someone else: the incident is over there, and failures still coming open a new one. */
  | { action: "gone" }
  /** The write failed: the action is claimed again at `retryAt` at the earliest. */
  | { action: "failed"; retryAt: number };

/** How long a claimed action may take before another instance may take it over. */
export const CLAIM_MS = 60_000;

export function emptyIncident(): IncidentState {
  return { buckets: [], summary: emptySummary(), reportedTotal: 0, open: false, issue: null, commentId: null, lastReportAt: null, pending: null };
}

/** Buckets of a twentieth of the window (at least 250 ms): the window slides in steps that small. */
export function bucketMs(settings: IncidentSettings): number {
  return Math.max(250, Math.floor(settings.windowMs / 20));
}

/**
 * Adds what this instance counted since its last step, then decides. Pure: the caller runs
 * it inside the store's lock, so across instances exactly one claims each action.
 * - not open, more than `threshold` failures within the window: open;
 * - open, no failure for `quiet`: close;
 * - open, failures not yet reported: update the one comment, at most once per window, so a
 *   flood costs one write per window, not one per request.
 *
 * @example stepIncident(null, summaryOf(25 failures), now, { threshold: 20, windowMs: 600_000, quietMs: 3_600_000 }, "t1").claim?.action // "open"
 */
export function stepIncident(
  previous: IncidentState | null,
  tally: FailureSummary | null,
  now: number,
  settings: IncidentSettings,
  token: string,
): { state: IncidentState; claim: IncidentClaim | null } {
  const state: IncidentState = structuredClone(previous ?? emptyIncident());
  const size = bucketMs(settings);
  const windowStart = now - settings.windowMs;
  state.buckets = state.buckets.filter(([start]) => start + size > windowStart);
  // Failures that never crossed the threshold and left the window start no later incident.
  if (!state.open && !state.owed && state.pending === null && state.summary.last !== null && state.summary.last <= windowStart) {
    state.summary = emptySummary();
    state.reportedTotal = 0;
  }
  if (tally && tally.total > 0) {
    state.summary = mergeSummaries(state.summary, tally);
    const start = Math.floor(now / size) * size;
    const bucket = state.buckets.find(([s]) => s === start);
    if (bucket) bucket[1] += tally.total;
    else state.buckets.push([start, tally.total]);
  }
  const inWindow = state.buckets.reduce((sum, [, count]) => sum + count, 0);
  if (state.pending && state.pending.until > now) return { state, claim: null };
  if (state.retryAt != null && state.retryAt > now) return { state, claim: null };

  let action: IncidentAction | null = null;
  // An adopted incident with no failure since counts its quiet time from its adoption.
  const lastFailure = state.summary.last ?? state.lastReportAt;
  if (!state.open) {
    if (inWindow > settings.threshold || state.owed) action = "open";
  } else if (lastFailure !== null && now - lastFailure >= settings.quietMs) {
    action = "close";
  } else if (state.summary.total > state.reportedTotal && (state.lastReportAt === null || now - state.lastReportAt >= settings.windowMs)) {
    action = "update";
  }
  if (action === null) {
    state.pending = null;
    return { state, claim: null };
  }
  state.pending = { action, token, until: now + CLAIM_MS, total: state.summary.total };
  return { state, claim: { action, token, summary: structuredClone(state.summary), inWindow, reportedTotal: state.reportedTotal, issue: state.issue, commentId: state.commentId } };
}

/**
 * An incident issue found open on GitHub that the state does not know of: a process that
 * kept the state in memory (SQLite) stopped during an incident. Adopted as open, its quiet
 * time counted from now, so that it is closed after `quiet` without a failure instead of
 * staying open until the next flood. A state that already knows of an incident (or is
 * carrying out an action) is left as it is.
 *
 * @example adoptIncident(null, 12, Date.now()).open // true
 */
export function adoptIncident(previous: IncidentState | null, issue: number, now: number, commentId: number | null = null): IncidentState {
  const state: IncidentState = structuredClone(previous ?? emptyIncident());
  if (state.open || state.pending !== null) return state;
  Object.assign(state, { open: true, issue, commentId, reportedTotal: state.summary.total, lastReportAt: now });
  return state;
}

/**
 * Records what a claimed action came to. Ignored when the claim is no longer this one's
 * (it took longer than CLAIM_MS and another instance took it over). A failed action is
 * let go, to be claimed again at a later step.
 */
export function settleIncident(previous: IncidentState, token: string, outcome: IncidentOutcome, now: number): IncidentState {
  if (previous.pending?.token !== token) return previous;
  const state: IncidentState = structuredClone(previous);
  const reported = state.pending!.total;
  const claimed = state.pending!.action;
  state.pending = null;
  state.retryAt = null;
  switch (outcome.action) {
    case "open":
      Object.assign(state, { open: true, issue: outcome.issue, commentId: null, reportedTotal: reported, lastReportAt: now, owed: false });
      break;
    case "update":
      Object.assign(state, { commentId: outcome.commentId ?? state.commentId, reportedTotal: reported, lastReportAt: now });
      break;
    case "close":
      // What arrived while the closing comment was written begins the next episode.
      Object.assign(state, { open: false, issue: null, commentId: null, lastReportAt: now, reportedTotal: 0 });
      if (state.summary.total === reported) state.summary = emptySummary();
      // The closed incident's failures leave the window's count too (when `quiet` is shorter
      // than `window` they are still inside it): else the next step would open an incident
      // over failures already reported and closed.
      state.buckets = withoutOldest(state.buckets, reported);
      break;
    case "gone": {
      // Only what was written on that issue was reported: failures since its last report
      // (those the claim was to report, and any since) stay in the window, to open a new issue
      // when above the threshold.
      const unreported = state.summary.total - state.reportedTotal;
      const inWindow = state.buckets.reduce((sum, [, count]) => sum + count, 0);
      state.buckets = withoutOldest(state.buckets, Math.max(0, inWindow - unreported));
      Object.assign(state, { open: false, issue: null, commentId: null, lastReportAt: now, reportedTotal: 0 });
      if (unreported === 0) state.summary = emptySummary();
      break;
    }
    case "failed":
      state.retryAt = outcome.retryAt;
      if (claimed === "open") state.owed = true;
      break;
  }
  return state;
}

/** The buckets with their oldest `count` failures taken out (empty buckets dropped). */
function withoutOldest(buckets: readonly [number, number][], count: number): [number, number][] {
  let left = count;
  const kept: [number, number][] = [];
  for (const [start, failures] of [...buckets].sort(([a], [b]) => a - b)) {
    const taken = Math.min(left, failures);
    left -= taken;
    if (failures > taken) kept.push([start, failures - taken]);
  }
  return kept;
}
