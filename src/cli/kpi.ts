import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { KpiReport } from "../observability/compute-kpis.js";
import { DEFAULT_KPI_SINCE, parseSince } from "../observability/parse-since.js";
import { presentKpiReport } from "../observability/present-kpis.js";
import { readKpiReport } from "../observability/read-kpi-report.js";
import { isoTime } from "../present/records.js";
import { formatTable } from "../routing/describe-rules.js";
import { withReadOnlyStore } from "./deliveries.js";
import { printJson, type CliIo } from "./io.js";

/** The KPI table as people read it: one line per KPI, then the window. */
export function renderKpiReport(report: KpiReport): string {
  const rows = report.kpis.map((k) => [k.name, `${k.target} ${k.unit}`, k.actual === null ? "-" : `${k.actual} ${k.unit}`, k.status]);
  return `${formatTable(["kpi", "target", "actual", "status"], rows)}\ndeliveries received ${isoTime(report.since)} – ${isoTime(report.until)}\n`;
}

/** `switchyard kpi [--since 24h] [--json]`: the seed's KPI table computed from the store (read-only). */
export function registerKpi(program: Command, io: CliIo): void {
  program
    .command("kpi")
    .description("the KPI table (target, actual, met/missed/n/a) computed from the store's deliveries, tasks and refused requests (reads the store; never writes)")
    .option("--since <duration>", "how far back to look, with a unit: s, m, h or d", DEFAULT_KPI_SINCE)
    .option("--json", "print one JSON object on one line")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: { since: string; json?: boolean; config?: string }) => {
      const sinceMs = parseSince(options.since);
      if (typeof sinceMs === "string") throw new UsageError(`--${sinceMs}`);
      const report = await withReadOnlyStore(io, options.config, (store) => readKpiReport(store, { now: Date.now(), sinceMs }));
      if (options.json) return printJson(io, presentKpiReport(report));
      io.stdout(renderKpiReport(report));
    });
}
