import { describe, expect, it } from "vitest";
import { renderPrune, type PruneJson } from "../../../src/store/retention/present-prune.js";

const SUMMARY: PruneJson = {
  dry_run: false,
  bodies_before: "2026-11-06T00:00:00.000Z",
  rows_before: "2026-09-07T00:00:00.000Z",
  bodies: 3,
  bytes: 3 * 1024 ** 2,
  deliveries: 2,
  tasks: 2,
  attempts: 4,
  github_actions: 1,
  bookkeeping: 5,
  reclaimed_pages: 0,
  longest_batch_ms: 1.5,
  took_ms: 4,
};

describe("renderPrune", () => {
  it("names the pages given back only when there were some (SQLite's incremental vacuum; PostgreSQL always said 0)", () => {
    expect(renderPrune(SUMMARY)).toMatch(/; 5 bookkeeping rows\n$/);
    expect(renderPrune({ ...SUMMARY, reclaimed_pages: 1024 })).toMatch(/; 5 bookkeeping rows; 1024 pages given back to the file system\n$/);
    expect(renderPrune({ ...SUMMARY, dry_run: true, reclaimed_pages: 1024 })).toMatch(/^would prune 3 bodies \(3\.0 MiB\).*5 bookkeeping rows\n$/);
  });
});
