import { FAILURE_REASONS, type FailureReason, type VerificationFailure } from "./verification-failure.js";

/** At most this many distinct source addresses are named; the rest are counted together. */
export const MAX_SOURCES = 50;
/** At most this many distinct hook ids and event names are kept. */
export const MAX_NAMES = 20;

/**
 * What failed, in bounded space whatever the flood: counts by reason, the first sources by
 * address with their counts (then one count for the others), hook ids and event names
 * claimed, the first and last time. JSON-serializable, so instances can merge theirs in
 * the store.
 */
export interface FailureSummary {
  total: number;
  byReason: Record<FailureReason, number>;
  sources: Record<string, number>;
  /** Failures from sources beyond MAX_SOURCES. */
  otherSources: number;
  hookIds: string[];
  events: string[];
  first: number | null;
  last: number | null;
}

export function emptySummary(): FailureSummary {
  return {
    total: 0,
    byReason: Object.fromEntries(FAILURE_REASONS.map((r) => [r, 0])) as Record<FailureReason, number>,
    sources: {},
    otherSources: 0,
    hookIds: [],
    events: [],
    first: null,
    last: null,
  };
}

function addName(list: string[], name: string | null): void {
  if (name !== null && list.length < MAX_NAMES && !list.includes(name)) list.push(name);
}

/** Counts one failure into `summary` (in place): O(1), and never grows past its bounds. */
export function addFailure(summary: FailureSummary, failure: VerificationFailure): void {
  summary.total += 1;
  summary.byReason[failure.reason] = (summary.byReason[failure.reason] ?? 0) + 1;
  if (failure.source in summary.sources) summary.sources[failure.source]! += 1;
  else if (Object.keys(summary.sources).length < MAX_SOURCES) summary.sources[failure.source] = 1;
  else summary.otherSources += 1;
  addName(summary.hookIds, failure.hookId);
  addName(summary.events, failure.event);
  summary.first = summary.first === null ? failure.at : Math.min(summary.first, failure.at);
  summary.last = summary.last === null ? failure.at : Math.max(summary.last, failure.at);
}

/** `a` with `b` added: what two instances (or two flushes) saw together, within the same bounds. */
export function mergeSummaries(a: FailureSummary, b: FailureSummary): FailureSummary {
  const merged: FailureSummary = structuredClone(a);
  merged.total += b.total;
  for (const reason of FAILURE_REASONS) merged.byReason[reason] = (merged.byReason[reason] ?? 0) + (b.byReason[reason] ?? 0);
  for (const [source, count] of Object.entries(b.sources)) {
    if (source in merged.sources) merged.sources[source]! += count;
    else if (Object.keys(merged.sources).length < MAX_SOURCES) merged.sources[source] = count;
    else merged.otherSources += count;
  }
  merged.otherSources += b.otherSources;
  for (const id of b.hookIds) addName(merged.hookIds, id);
  for (const event of b.events) addName(merged.events, event);
  const times = (x: number | null, y: number | null, pick: (...n: number[]) => number) => (x === null ? y : y === null ? x : pick(x, y));
  merged.first = times(a.first, b.first, Math.min);
  merged.last = times(a.last, b.last, Math.max);
  return merged;
}
