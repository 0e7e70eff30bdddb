import type { KpiCounts, KpiWindow } from "../store/store-stats.js";

export const KPI_IDS = ["routing_success", "response_time_p95", "security_verification", "unauthorized_acceptances", "retry_success", "average_retries"] as const;
export type KpiId = (typeof KPI_IDS)[number];
export type KpiStatus = "met" | "missed" | "n/a";

/** One line of the KPI table. */
export interface Kpi {
  id: KpiId;
  name: string;
  /** The seed's target as `<op> <value>`: `> 99`, `< 3`, `= 100`, `= 0`, `> 95`, `< 1.5`. */
  target: string;
  /** Null when the window holds nothing to measure (status `n/a`): never an invented number. */
  actual: number | null;
  unit: string;
  status: KpiStatus;
}

export interface KpiReport extends KpiWindow {
  kpis: Kpi[];
}

type Op = ">" | "<" | "=";

interface Measure {
  id: KpiId;
  name: string;
  op: Op;
  bound: number;
  unit: string;
  /** The exact value, or null when there is no data. */
  value: number | null;
  /** How the value is shown: rounded toward "worse", so what is printed never looks better than it is. */
  shown: (value: number) => number;
}

/** Two decimals, never rounded up (for higher-is-better percentages: 99.999 % shows as 99.99, not 100). */
const floor2 = (value: number) => Math.floor(value * 100 + 1e-9) / 100;
/** Two decimals, never rounded down (for lower-is-better values). */
const ceil2 = (value: number) => Math.ceil(value * 100 - 1e-9) / 100;
const exact = (value: number) => value;

const percent = (part: number, whole: number): number | null => (whole === 0 ? null : (100 * part) / whole);

function judge(op: Op, value: number, bound: number): boolean {
  if (op === ">") return value > bound;
  if (op === "<") return value < bound;
  return value === bound;
}

/**
 * The seed's six KPIs from the store's counts (docs/cli.md#kpi defines each). The status is
 * judged on the exact value; `actual` is shown to two decimals, rounded toward the worse
 * side, so a 99.999 % that misses `= 100` never prints as 100.
 *
 * @example
 * computeKpis(await store.readKpiCounts!(window), window).kpis.find((k) => k.id === "routing_success")
 * // { id: "routing_success", name: "Event routing success rate", target: "> 99", actual: 99.5, unit: "%", status: "met" }
 */
export function computeKpis(counts: KpiCounts, window: KpiWindow): KpiReport {
  const signatureFailures = (counts.rejections.bad_signature ?? 0) + (counts.rejections.missing_signature ?? 0);
  const refused = Object.values(counts.rejections).reduce((sum, n) => sum + n, 0);
  const measures: Measure[] = [
    {
      id: "routing_success",
      name: "Event routing success rate",
      op: ">",
      bound: 99,
      unit: "%",
      value: percent(counts.routedSucceeded, counts.routedFinished),
      shown: floor2,
    },
    {
      id: "response_time_p95",
      name: "Webhook response time (p95)",
      op: "<",
      bound: 3,
      unit: "s",
      value: counts.ackP95Ms === null ? null : counts.ackP95Ms / 1000,
      shown: exact,
    },
    {
      id: "security_verification",
      name: "Security verification success rate",
      op: "=",
      bound: 100,
      unit: "%",
      // Both over the hours the refusals are counted in.
      value: percent(counts.verifiedInRejectionHours, counts.verifiedInRejectionHours + signatureFailures),
      shown: floor2,
    },
    {
      id: "unauthorized_acceptances",
      name: "Unauthorized webhook acceptances",
      op: "=",
      bound: 0,
      unit: "deliveries",
      value: counts.deliveries + refused === 0 ? null : counts.unsigned,
      shown: exact,
    },
    {
      id: "retry_success",
      name: "Retry success rate (transient failures)",
      op: ">",
      bound: 95,
      unit: "%",
      value: percent(counts.retriedSucceeded, counts.retriedTasks),
      shown: floor2,
    },
    {
      id: "average_retries",
      name: "Average retry count",
      op: "<",
      bound: 1.5,
      unit: "retries",
      value: counts.finishedTasks === 0 ? null : counts.retries / counts.finishedTasks,
      shown: ceil2,
    },
  ];
  return {
    since: window.since,
    until: window.until,
    kpis: measures.map((m) => ({
      id: m.id,
      name: m.name,
      target: `${m.op} ${m.bound}`,
      actual: m.value === null ? null : m.shown(m.value),
      unit: m.unit,
      status: m.value === null ? "n/a" : judge(m.op, m.value, m.bound) ? "met" : "missed",
    })),
  };
}
