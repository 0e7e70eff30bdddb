import { isoTime } from "../present/records.js";
import type { KpiReport } from "./compute-kpis.js";

/**
 * A KPI report as `kpi --json` and `GET /api/kpi` print it:
 * `{"since":"ISO","until":"ISO","kpis":[{"id","name","target","actual","unit","status"}]}`.
 */
export function presentKpiReport(report: KpiReport) {
  return {
    since: isoTime(report.since),
    until: isoTime(report.until),
    kpis: report.kpis.map((k) => ({ id: k.id, name: k.name, target: k.target, actual: k.actual, unit: k.unit, status: k.status })),
  };
}
