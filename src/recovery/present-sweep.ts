import { ASK_COOLDOWN_MS, type SweepSummary } from "./run-sweep.js";

/** The snake_case JSON of `switchyard redeliver --json` and `POST /api/recovery/sweep`. */
export interface SweepJson {
  dry_run: boolean;
  hooks: {
    hook: string;
    scanned: number;
    failed: number;
    missing: number;
    redelivered: number;
    given_up: number;
    given_up_deliveries: string[];
    waiting: number;
    guids: string[];
    refused: { delivery: string; message: string }[];
    errors: { kind: string; message: string }[];
  }[];
  redelivered: number;
}

/**
 * A sweep's summary as the CLI and the admin API print it.
 *
 * @example presentSweep({ dryRun: false, hooks: [], redelivered: 0 }) // { dry_run: false, hooks: [], redelivered: 0 }
 */
export function presentSweep(summary: SweepSummary): SweepJson {
  return {
    dry_run: summary.dryRun,
    hooks: summary.hooks.map((h) => ({
      hook: h.hook,
      scanned: h.scanned,
      failed: h.failed,
      missing: h.missing,
      redelivered: h.redelivered,
      given_up: h.givenUp,
      given_up_deliveries: [...h.givenUpGuids],
      waiting: h.waiting,
      guids: [...h.guids],
      refused: h.refused.map((r) => ({ delivery: r.guid, message: r.message })),
      errors: h.errors.map((e) => ({ kind: e.kind, message: e.message })),
    })),
    redelivered: summary.redelivered,
  };
}

/** Given-up deliveries named one per line in the text, at most. */
const MAX_LISTED = 20;

/** The lines people read: one per hook, then (dry run) each guid it would ask for. */
export function renderSweep(summary: SweepJson): string {
  const lines: string[] = [];
  for (const h of summary.hooks) {
    const asked = summary.dry_run ? `would redeliver ${h.guids.length}` : `redelivered ${h.redelivered}`;
    // Why a missing delivery was not asked for: asked too often, or too lately to tell yet.
    const waiting = (h.waiting ?? 0) > 0 ? `, waiting ${h.waiting} (asked within the last ${ASK_COOLDOWN_MS / 60_000} min: asked again after that unless the redelivery arrives)` : "";
    lines.push(`${h.hook}: scanned ${h.scanned}, failed ${h.failed}, missing ${h.missing}, ${asked}${h.given_up > 0 ? `, given up ${h.given_up} (asked 3 times)` : ""}${waiting}`);
    for (const guid of h.guids) lines.push(`  ${summary.dry_run ? "would redeliver" : "redelivered"} ${guid}`);
    // Asked, and refused by GitHub for that delivery: not on its way, whatever `waiting` says next time.
    for (const r of h.refused ?? []) lines.push(`  refused ${r.delivery}: ${r.message}`);
    // Named, so that someone can redeliver them by hand (the webhook's Recent Deliveries) or look up why.
    const givenUp = h.given_up_deliveries ?? [];
    for (const guid of givenUp.slice(0, MAX_LISTED)) lines.push(`  given up ${guid}`);
    if (givenUp.length > MAX_LISTED) lines.push(`  given up ${givenUp.length - MAX_LISTED} more (--json lists them all)`);
  }
  return lines.join("\n") + (lines.length > 0 ? "\n" : "");
}
