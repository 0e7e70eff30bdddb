// How long one durable SQLite commit takes on the disk the bench writes to: the floor under
// every group-commit batch (WAL + synchronous=FULL, as `serve` opens its store), and the
// machine property that most changes the ratio from one machine to the next.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { percentile } from "./stats.js";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

/**
 * Commits `count` one-row transactions (an 11.6 KB blob each) in `dir` and returns the
 * commit latency percentiles in ms.
 *
 * @example
 * const { p50 } = probeCommitLatency(tmp, 100);
 */
export function probeCommitLatency(dir, count = 100) {
  const own = mkdtempSync(path.join(dir, "probe-"));
  const db = new Database(path.join(own, "probe.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
    const begin = db.prepare("BEGIN IMMEDIATE");
    const commit = db.prepare("COMMIT");
    const body = Buffer.alloc(11_600, 0x61);
    const times = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      begin.run();
      insert.run(body);
      commit.run();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { commits: count, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
  } finally {
    db.close();
    rmSync(own, { recursive: true, force: true });
  }
}
