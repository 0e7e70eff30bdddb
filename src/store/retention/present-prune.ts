import { isoTime } from "../../present/records.js";
import type { PruneSummary } from "./prune-store.js";

/** The snake_case JSON of `switchyard prune --json` and `POST /api/prune`. */
export interface PruneJson {
  dry_run: boolean;
  bodies_before: string;
  rows_before: string;
  bodies: number;
  bytes: number;
  deliveries: number;
  tasks: number;
  attempts: number;
  github_actions: number;
  bookkeeping: number;
  reclaimed_pages: number;
  longest_batch_ms: number;
  took_ms: number;
}

/** A prune's summary as the CLI and the admin API print it. */
export function presentPrune(s: PruneSummary): PruneJson {
  return {
    dry_run: s.dryRun,
    bodies_before: isoTime(s.bodiesBefore),
    rows_before: isoTime(s.rowsBefore),
    bodies: s.bodies,
    bytes: s.bytes,
    deliveries: s.deliveries,
    tasks: s.tasks,
    attempts: s.attempts,
    github_actions: s.githubActions,
    bookkeeping: s.bookkeeping,
    reclaimed_pages: s.reclaimedPages,
    longest_batch_ms: Math.round(s.longestBatchMs * 10) / 10,
    took_ms: s.tookMs,
  };
}

/** The line people read. */
export function renderPrune(p: PruneJson): string {
  const verb = p.dry_run ? "would prune" : "pruned";
  const mib = (p.bytes / 1024 ** 2).toFixed(1);
  return (
    `${verb} ${p.bodies} bodies (${mib} MiB) of deliveries received before ${p.bodies_before}; ` +
    `${verb} ${p.deliveries} deliveries with ${p.tasks} tasks, ${p.attempts} attempts and ${p.github_actions} GitHub writes received before ${p.rows_before}; ` +
    // Only SQLite gives pages back (incremental vacuum); PostgreSQL reuses its space, so it always said 0.
    `${p.bookkeeping} bookkeeping rows${p.dry_run || p.reclaimed_pages === 0 ? "" : `; ${p.reclaimed_pages} pages given back to the file system`}\n`
  );
}
