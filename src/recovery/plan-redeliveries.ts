import type { RedeliveryHistory } from "../store/redelivery-records.js";

/** One entry of a hook's delivery log, as the sweep uses it. */
export interface HookLogEntry {
  /** The log entry's id: what a redelivery is asked for. */
  id: number;
  /** The delivery's X-GitHub-Delivery; a redelivery keeps it. */
  guid: string;
  deliveredAt: number;
  /** The HTTP status the receiver answered; 0 or absent when it could not be reached. */
  statusCode: number;
  event: string;
  action: string | null;
}

/** A guid to ask for: its latest log entry. */
export interface PlannedAsk {
  guid: string;
  entry: HookLogEntry;
}

export interface RedeliveryPlan {
  /** Log entries within the lookback. */
  scanned: number;
  /** Guids with no 2xx entry. */
  failed: number;
  /** Of those, the ones the store does not hold. */
  missing: number;
  /** Missing guids asked for as often as allowed: left alone. */
  givenUp: string[];
  /** Missing guids asked for so recently that the redelivery may still be on its way. */
  waiting: string[];
  /**
   * What to ask for, oldest event first (by each guid's earliest entry within the lookback,
   * the original delivery, not its latest failed redelivery), so events arrive in the order
   * they happened.
   */
  asks: PlannedAsk[];
}

export interface PlanInput {
  entries: readonly HookLogEntry[];
  /** Entries delivered before this are outside the lookback and ignored. */
  since: number;
  /** Which guids the store holds (asked about the failed ones). */
  known: ReadonlySet<string>;
  /** What was asked so far per guid, across sweeps and instances. */
  history: ReadonlyMap<string, RedeliveryHistory>;
  /** Guids asked already in this sweep (through another hook): never asked twice. */
  askedThisSweep: ReadonlySet<string>;
  now: number;
  maxAsks: number;
  /** An ask younger than this is left to arrive. */
  cooldownMs: number;
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** Whether log entry `a` came before `b`: by time, then by id (ids grow as entries are added). */
const isOlder = (a: HookLogEntry, b: HookLogEntry): boolean => a.deliveredAt < b.deliveredAt || (a.deliveredAt === b.deliveredAt && a.id < b.id);

/** The guids of a log with no 2xx entry within the lookback: the ones to look up in the store. */
export function failedGuids(entries: readonly HookLogEntry[], since: number): string[] {
  const ok = new Set<string>();
  const all = new Set<string>();
  for (const e of entries) {
    if (e.deliveredAt < since) continue;
    all.add(e.guid);
    if (isSuccess(e.statusCode)) ok.add(e.guid);
  }
  return [...all].filter((guid) => !ok.has(guid));
}

/**
 * Decides what one sweep of one hook asks GitHub for: each guid within the lookback that
 * has no 2xx entry and that the store does not hold, once, by its latest entry (ordered by
 * its earliest: when the event happened, however often it was redelivered since) — unless it
 * was asked for `maxAsks` times already, or so recently that the redelivery may still be
 * on its way, or through another hook in this sweep. Pure: the store and GitHub are read
 * by the caller.
 *
 * @example
 * planRedeliveries({ entries, since, known: new Set(), history: new Map(), askedThisSweep: new Set(), now, maxAsks: 3, cooldownMs: 300_000 }).asks
 */
export function planRedeliveries(input: PlanInput): RedeliveryPlan {
  const recent = input.entries.filter((e) => e.deliveredAt >= input.since);
  const latest = new Map<string, HookLogEntry>();
  // A failed redelivery adds a newer entry for the same guid: ordering by it would put an old
  // event behind newer ones, so the order comes from the earliest.
  const earliest = new Map<string, HookLogEntry>();
  const ok = new Set<string>();
  for (const e of recent) {
    if (isSuccess(e.statusCode)) ok.add(e.guid);
    const seen = latest.get(e.guid);
    if (seen === undefined || isOlder(seen, e)) latest.set(e.guid, e);
    const first = earliest.get(e.guid);
    if (first === undefined || isOlder(e, first)) earliest.set(e.guid, e);
  }
  const failed = [...latest.keys()].filter((guid) => !ok.has(guid));
  const missing = failed.filter((guid) => !input.known.has(guid));
  const plan: RedeliveryPlan = { scanned: recent.length, failed: failed.length, missing: missing.length, givenUp: [], waiting: [], asks: [] };
  for (const guid of missing) {
    const history = input.history.get(guid);
    if (input.askedThisSweep.has(guid)) continue;
    if (history !== undefined && history.asks >= input.maxAsks) plan.givenUp.push(guid);
    else if (history !== undefined && input.now - history.lastAskedAt < input.cooldownMs) plan.waiting.push(guid);
    else plan.asks.push({ guid, entry: latest.get(guid)! });
  }
  const order = (ask: PlannedAsk) => earliest.get(ask.guid)!;
  plan.asks.sort((a, b) => (isOlder(order(a), order(b)) ? -1 : isOlder(order(b), order(a)) ? 1 : 0));
  return plan;
}
