import { describe, expect, it } from "vitest";
import { addFailure, emptySummary, MAX_SOURCES, mergeSummaries, type FailureSummary } from "../../../src/security/incidents/failure-summary.js";
import { adoptIncident, CLAIM_MS, settleIncident, stepIncident, type IncidentState } from "../../../src/security/incidents/step-incident.js";
import type { FailureReason } from "../../../src/security/incidents/verification-failure.js";

const SETTINGS = { threshold: 20, windowMs: 600_000, quietMs: 3_600_000 };
const T0 = 1_700_000_000_000;

function failures(n: number, at: number, reason: FailureReason = "bad_signature", source = "203.0.113.7"): FailureSummary {
  const summary = emptySummary();
  for (let i = 0; i < n; i++) addFailure(summary, { reason, source, hookId: "42", event: "push", at });
  return summary;
}

/** One step by one instance, settled as if its GitHub write succeeded. */
function stepAndSettle(state: IncidentState | null, tally: FailureSummary | null, at: number, issue = 7, settings = SETTINGS) {
  const { state: next, claim } = stepIncident(state, tally, at, settings, `t${at}`);
  if (!claim) return { state: next, action: null };
  const outcome = claim.action === "open" ? { action: "open" as const, issue } : claim.action === "update" ? { action: "update" as const, commentId: 99 } : { action: "close" as const };
  return { state: settleIncident(next, claim.token, outcome, at), action: claim.action };
}

describe("stepIncident", () => {
  it("opens only above the threshold within the window", () => {
    expect(stepIncident(null, failures(20, T0), T0, SETTINGS, "a").claim).toBeNull();
    const { claim } = stepIncident(null, failures(21, T0), T0, SETTINGS, "a");
    expect(claim).toMatchObject({ action: "open", inWindow: 21, issue: null });
    expect(claim!.summary.byReason.bad_signature).toBe(21);
  });

  it("failures spread over more than the window never open one", () => {
    let state: IncidentState | null = null;
    for (let minute = 0; minute < 60; minute++) {
      const step = stepIncident(state, failures(5, T0 + minute * 180_000), T0 + minute * 180_000, SETTINGS, `t${minute}`);
      expect(step.claim).toBeNull();
      state = step.state;
    }
    // Only the window's buckets are kept: the state does not grow with time.
    expect(state!.buckets.reduce((sum, [, n]) => sum + n, 0)).toBeLessThanOrEqual(20);
    expect(state!.buckets.length).toBeLessThanOrEqual(21);
  });

  it("a claimed action is not claimed again by another instance until it runs out", () => {
    const first = stepIncident(null, failures(25, T0), T0, SETTINGS, "instance-a");
    expect(first.claim?.action).toBe("open");
    const second = stepIncident(first.state, failures(25, T0 + 10), T0 + 10, SETTINGS, "instance-b");
    expect(second.claim).toBeNull();
    // Its counts are kept all the same.
    expect(second.state.summary.total).toBe(50);
    const late = stepIncident(second.state, null, T0 + CLAIM_MS + 10, SETTINGS, "instance-b");
    expect(late.claim?.action).toBe("open");
  });

  it("open → update at most once per window while failures go on → close after quiet", () => {
    let { state, action } = stepAndSettle(null, failures(30, T0), T0);
    expect(action).toBe("open");
    expect(state).toMatchObject({ open: true, issue: 7, reportedTotal: 30 });
    // More failures soon after: counted, not yet reported (one write per window at most).
    ({ state, action } = stepAndSettle(state, failures(500, T0 + 1000), T0 + 1000));
    expect(action).toBeNull();
    ({ state, action } = stepAndSettle(state, failures(500, T0 + 300_000), T0 + 300_000));
    expect(action).toBeNull();
    ({ state, action } = stepAndSettle(state, null, T0 + 600_000));
    expect(action).toBe("update");
    expect(state).toMatchObject({ commentId: 99, reportedTotal: 1030 });
    // Nothing new: no update, and not quiet long enough to close.
    ({ state, action } = stepAndSettle(state, null, T0 + 1_300_000));
    expect(action).toBeNull();
    ({ state, action } = stepAndSettle(state, null, T0 + 300_000 + SETTINGS.quietMs));
    expect(action).toBe("close");
    expect(state).toMatchObject({ open: false, issue: null, commentId: null });
    expect(state.summary.total).toBe(0);
  });

  it("with quiet shorter than the window, a closed incident's failures open no second one; new failures above the threshold do", () => {
    const short = { threshold: 3, windowMs: 10_000, quietMs: 5_000 };
    const step = (state: IncidentState | null, tally: FailureSummary | null, at: number) => stepAndSettle(state, tally, at, 7, short);
    let { state, action } = step(null, failures(6, T0), T0);
    expect(action).toBe("open");
    ({ state, action } = step(state, null, T0 + 5_000));
    expect(action).toBe("close");
    // Still inside the 10 s window, with no new failure: nothing to open.
    for (const at of [T0 + 5_250, T0 + 6_000, T0 + 9_000]) {
      ({ state, action } = step(state, null, at));
      expect(action).toBeNull();
    }
    ({ state, action } = step(state, failures(4, T0 + 9_500), T0 + 9_500));
    expect(action).toBe("open");
  });

  it("an issue adopted after a restart closes after quiet with no failure, is updated by new failures, and never overrides a known incident", () => {
    const adopted = adoptIncident(null, 12, T0);
    expect(adopted).toMatchObject({ open: true, issue: 12, commentId: null });
    expect(stepAndSettle(adopted, null, T0 + SETTINGS.quietMs - 1).action).toBeNull();
    const { state: closed, action } = stepAndSettle(adopted, null, T0 + SETTINGS.quietMs);
    expect(action).toBe("close");
    expect(closed.open).toBe(false);
    // Failures after the adoption are reported on the adopted issue, and restart the quiet time.
    const update = stepIncident(adopted, failures(3, T0 + 1000), T0 + SETTINGS.windowMs, SETTINGS, "u");
    expect(update.claim).toMatchObject({ action: "update", issue: 12 });
    const updated = settleIncident(update.state, "u", { action: "update", commentId: 5 }, T0 + SETTINGS.windowMs);
    expect(stepIncident(updated, null, T0 + SETTINGS.quietMs + 500, SETTINGS, "q").claim).toBeNull();
    expect(stepIncident(updated, null, T0 + 1000 + SETTINGS.quietMs, SETTINGS, "c").claim).toMatchObject({ action: "close", issue: 12 });
    // An incident the state knows of (another instance's, on PostgreSQL) stays as it is.
    const known = stepAndSettle(null, failures(21, T0), T0).state;
    expect(adoptIncident(known, 99, T0 + 5).issue).toBe(7);
  });

  it("a failed write lets the action go, to be claimed again once its retry time has come", () => {
    const { state, claim } = stepIncident(null, failures(30, T0), T0, SETTINGS, "a");
    const failed = settleIncident(state, claim!.token, { action: "failed", retryAt: T0 + 2_000 }, T0 + 5);
    expect(failed.pending).toBeNull();
    expect(stepIncident(failed, null, T0 + 10, SETTINGS, "b").claim).toBeNull();
    expect(stepIncident(failed, null, T0 + 2_000, SETTINGS, "b").claim?.action).toBe("open");
  });

  it("an incident GitHub would not open is still opened after its failures left the window", () => {
    const { state, claim } = stepIncident(null, failures(30, T0), T0, SETTINGS, "a");
    const failed = settleIncident(state, claim!.token, { action: "failed", retryAt: T0 + 1_000 }, T0 + 5);
    const later = T0 + 3 * SETTINGS.windowMs;
    const retried = stepIncident(failed, null, later, SETTINGS, "b");
    expect(retried.claim).toMatchObject({ action: "open" });
    expect(retried.claim!.summary.total).toBe(30);
    const opened = settleIncident(retried.state, "b", { action: "open", issue: 3 }, later);
    expect(opened).toMatchObject({ open: true, issue: 3, owed: false });
  });

  it("an issue closed or removed by someone else ends the incident there: failures that go on open a new one", () => {
    const opened = stepAndSettle(null, failures(21, T0), T0).state;
    const update = stepIncident(opened, failures(5, T0 + SETTINGS.windowMs), T0 + SETTINGS.windowMs, SETTINGS, "u");
    expect(update.claim).toMatchObject({ action: "update", issue: 7 });
    const gone = settleIncident(update.state, "u", { action: "gone" }, T0 + SETTINGS.windowMs);
    expect(gone).toMatchObject({ open: false, issue: null, commentId: null });
    // The failures already reported there open nothing new on their own…
    expect(stepIncident(gone, null, T0 + SETTINGS.windowMs + 10, SETTINGS, "x").claim).toBeNull();
    // …a flood that goes on does.
    expect(stepIncident(gone, failures(21, T0 + SETTINGS.windowMs + 20), T0 + SETTINGS.windowMs + 20, SETTINGS, "y").claim).toMatchObject({ action: "open" });
  });

  it("failures the update that found the issue gone was to report open the next issue: they were never written anywhere", async () => {
    const opened = stepAndSettle(null, failures(21, T0), T0).state;
    const at = T0 + SETTINGS.windowMs + 1;
    // A burst above the threshold, all in the step that finds the issue closed.
    const update = stepIncident(opened, failures(25, at), at, SETTINGS, "u");
    const gone = settleIncident(update.state, "u", { action: "gone" }, at);
    const next = stepIncident(gone, null, at + 10, SETTINGS, "n");
    expect(next.claim).toMatchObject({ action: "open", inWindow: 25 });
  });

  it("a settle by an instance whose claim was taken over changes nothing", () => {
    const { state } = stepIncident(null, failures(30, T0), T0, SETTINGS, "a");
    expect(settleIncident(state, "someone-else", { action: "open", issue: 1 }, T0)).toBe(state);
  });
});

describe("failure summaries stay bounded", () => {
  it("names at most MAX_SOURCES addresses and counts the rest together", () => {
    const summary = emptySummary();
    for (let i = 0; i < 10_000; i++) addFailure(summary, { reason: "bad_signature", source: `10.0.${i >> 8}.${i & 255}`, hookId: String(i), event: `e${i}`, at: T0 + i });
    expect(Object.keys(summary.sources)).toHaveLength(MAX_SOURCES);
    expect(summary.otherSources).toBe(10_000 - MAX_SOURCES);
    expect(summary.hookIds.length).toBeLessThanOrEqual(20);
    expect(summary.events.length).toBeLessThanOrEqual(20);
    expect(JSON.stringify(summary).length).toBeLessThan(4000);
    expect(summary).toMatchObject({ total: 10_000, first: T0, last: T0 + 9999 });
  });

  it("merging adds counts and keeps the bounds", () => {
    const merged = mergeSummaries(failures(3, T0, "ip_not_allowed", "a"), failures(4, T0 + 5, "rate_limited", "b"));
    expect(merged).toMatchObject({ total: 7, sources: { a: 3, b: 4 }, first: T0, last: T0 + 5 });
    expect(merged.byReason).toMatchObject({ ip_not_allowed: 3, rate_limited: 4, bad_signature: 0 });
  });
});
