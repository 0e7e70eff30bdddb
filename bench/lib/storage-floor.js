// What durability alone costs on this machine, whatever the server around it: a webhook
// server that acknowledges only after a durable commit pays at least the cost of writing
// the body into a WAL and fsyncing it, on the thread that serves requests (better-sqlite3 is
// synchronous). Measured in-process, with batches as big as the load's connections allow
// (a closed loop of N connections never has more than N requests in one group commit), so
// these are lower bounds on what each delivery adds to the anchor's own per-request cost.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { median, round } from "./stats.js";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

function openWal(file) {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  return db;
}

/** Wall µs per delivery of `batches` transactions of `batchSize` inserts each (the thread is blocked all along). */
function timeBatches(db, batches, batchSize, insertOne) {
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const start = process.hrtime.bigint();
  for (let b = 0; b < batches; b++) {
    begin.run();
    for (let i = 0; i < batchSize; i++) insertOne();
    commit.run();
  }
  return Number(process.hrtime.bigint() - start) / 1000 / (batches * batchSize);
}

/** Bodies as the load sends them: the template with a counter in the title. */
function bodies(template) {
  let n = 0;
  return () => Buffer.from(`${template.head}${n++}${template.tail}`);
}

/** The delivery row alone: no index but the rowid, nothing else in the transaction. */
function bareRow(file, template, batches, batchSize) {
  const db = openWal(file);
  try {
    db.exec("CREATE TABLE d (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, body BLOB NOT NULL, received_at INTEGER NOT NULL)");
    const insert = db.prepare("INSERT INTO d (id, body, received_at) VALUES (?, ?, ?)");
    const next = bodies(template);
    return timeBatches(db, batches, batchSize, () => insert.run(randomUUID(), next(), Date.now()));
  } finally {
    db.close();
  }
}

/** The row plus the two lookups the replay rules need: a unique delivery id and the signature within the window. */
function withReplayIndexes(file, template, batches, batchSize) {
  const db = openWal(file);
  try {
    db.exec(
      "CREATE TABLE d (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, signature TEXT NOT NULL, body BLOB NOT NULL, received_at INTEGER NOT NULL);" +
        "CREATE INDEX d_signature ON d (signature, received_at)",
    );
    const seen = db.prepare("SELECT 1 FROM d WHERE signature = ? AND received_at > ? LIMIT 1");
    const insert = db.prepare("INSERT INTO d (id, signature, body, received_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
    const next = bodies(template);
    return timeBatches(db, batches, batchSize, () => {
      const signature = `sha256=${randomUUID().replaceAll("-", "")}${randomUUID().replaceAll("-", "")}`;
      seen.get(signature, 0);
      insert.run(randomUUID(), signature, next(), Date.now());
    });
  } finally {
    db.close();
  }
}

/** switchyard's own store: migrated schema, `accept` of a delivery and its one task, through the group-commit writer. */
async function switchyardAccept(file, template, batches, batchSize, switchyardRoot) {
  const { createSqliteStore } = await import(pathToFileURL(path.join(switchyardRoot, "dist/store/sqlite/sqlite-store.js")).href);
  const store = createSqliteStore(file);
  try {
    await store.migrate();
    const next = bodies(template);
    const task = { rule: "issues-opened", agent: "IssueAgent", action: "triage", priority: "medium", idempotencyKey: null };
    const headers = { "content-type": "application/json", "x-github-event": "issues" };
    const accept = () => {
      const id = randomUUID();
      const delivery = { id, signature: `sha256=${randomUUID().replaceAll("-", "")}${randomUUID().replaceAll("-", "")}`, event: "issues", action: "opened", repository: "octo/repo", installation: null, number: 1, headers, body: next(), receivedAt: Date.now() };
      return store.accept(delivery, [task], { replayWindowMs: 72 * 3_600_000 });
    };
    const start = process.hrtime.bigint();
    // All accepts of one batch are queued in the same turn: the writer commits them together.
    for (let b = 0; b < batches; b++) await Promise.all(Array.from({ length: batchSize }, accept));
    return Number(process.hrtime.bigint() - start) / 1000 / (batches * batchSize);
  } finally {
    await store.close();
  }
}

/**
 * Measures the three floors `rounds` times each, alternated, in `dir` (removed after), and
 * returns their medians in µs per delivery.
 *
 * @example
 * const floor = await measureStorageFloor({ dir: tmp, template, batchSize: 10, switchyardRoot: ROOT });
 */
export async function measureStorageFloor({ dir, template, batchSize, switchyardRoot, batches = 300, rounds = 3 }) {
  const own = mkdtempSync(path.join(dir, "floor-"));
  const samples = { bareRow: [], withReplayIndexes: [], switchyardAccept: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      samples.bareRow.push(bareRow(path.join(own, `bare-${r}.db`), template, batches, batchSize));
      samples.withReplayIndexes.push(withReplayIndexes(path.join(own, `replay-${r}.db`), template, batches, batchSize));
      samples.switchyardAccept.push(await switchyardAccept(path.join(own, `switchyard-${r}.db`), template, batches, batchSize, switchyardRoot));
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
  const us = (xs) => round(median(xs), 1);
  return { batchSize, deliveriesPerRound: batches * batchSize, rounds, usPerDelivery: { bareRow: us(samples.bareRow), withReplayIndexes: us(samples.withReplayIndexes), switchyardAccept: us(samples.switchyardAccept) } };
}

/**
 * The best ratio a server could reach that did the anchor's work plus a floor per request,
 * on one thread: anchor µs / (anchor µs + floor µs).
 */
export function ceilingRatio(anchorUsPerRequest, floorUs) {
  return round(anchorUsPerRequest / (anchorUsPerRequest + floorUs), 2);
}
