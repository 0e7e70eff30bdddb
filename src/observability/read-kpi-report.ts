import type { Store } from "../store/store.js";
import { computeKpis, type KpiReport } from "./compute-kpis.js";

/**
 * The KPI report over the deliveries received in the last `sinceMs` before `now`, read
 * from the store (any adapter that counts: SQLite, PostgreSQL).
 *
 * @example
 * const report = await readKpiReport(store, { now: Date.now(), sinceMs: 24 * 3_600_000 });
 */
export async function readKpiReport(store: Store, { now, sinceMs }: { now: number; sinceMs: number }): Promise<KpiReport> {
  if (!store.readKpiCounts) throw new Error(`the ${store.kind} store keeps no KPI counts: point DATABASE_URL at the SQLite or PostgreSQL store \`serve\` uses`);
  const window = { since: now - sinceMs, until: now };
  return computeKpis(await store.readKpiCounts(window), window);
}
