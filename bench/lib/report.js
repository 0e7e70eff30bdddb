// Medians, the ratio against the target, and the compact table printed at the end.
import { ceilingRatio } from "./storage-floor.js";
import { median, round } from "./stats.js";

const MiB = 2 ** 20;

function sideSummary(runs) {
  return {
    reqPerSec: round(median(runs.map((r) => r.load.reqPerSec))),
    latencyP50Ms: round(median(runs.map((r) => r.load.latencyMs.p50)), 2),
    latencyP99Ms: round(median(runs.map((r) => r.load.latencyMs.p99)), 2),
    cpuUsPerRequest: round(median(runs.map((r) => r.cpuUsPerRequest))),
    // PostgreSQL only: CPU of the cluster's processes (backends, WAL writer…) per response.
    dbCpuUsPerRequest: round(median(runs.map((r) => r.dbCpuUsPerRequest))),
    peakRssMiB: round(median(runs.map((r) => r.peakRss / MiB))),
    loadGeneratorCpuUsPerRequest: round(median(runs.map((r) => r.load.loadCpuUsPerRequest))),
    non2xx: runs.reduce((n, r) => n + r.load.non2xx, 0),
    responses: runs.reduce((n, r) => n + r.load.responses, 0),
  };
}

function workerSummary(runs) {
  const w = runs.map((r) => r.worker);
  const sum = (f) => w.reduce((n, x) => n + f(x), 0);
  return {
    deliveriesAccepted: sum((x) => x.deliveries),
    tasks: sum((x) => x.tasks),
    tasksSucceeded: sum((x) => x.tasksByStatus.succeeded ?? 0),
    tasksDead: sum((x) => x.tasksByStatus.dead ?? 0),
    tasksPendingAtStop: sum((x) => (x.tasksByStatus.ready ?? 0) + (x.tasksByStatus.running ?? 0)),
    allDrained: runs.every((r) => r.drain.drained),
    arrivalPerSec: round(median(w.map((x) => x.arrivalPerSec))),
    tasksPerSecDuringLoad: round(median(w.map((x) => x.tasksPerSecDuringLoad))),
    tasksPerSecAfterLoad: round(median(w.map((x) => x.tasksPerSecAfterLoad))),
    drainMs: median(w.map((x) => x.drainMs)),
    ackToStartP50Ms: median(w.map((x) => x.ackToStartMs.p50)),
    ackToStartP99Ms: median(w.map((x) => x.ackToStartMs.p99)),
  };
}

/**
 * The figures the lead reads: every side's medians, the ratio and its verdict (SQLite; the
 * PostgreSQL ratio has no target yet), the worker. `switchyardPostgres` null: skipped, with
 * `postgresSkipped` saying why.
 */
export function summarize({ anchor, switchyard, switchyardPostgres = null, postgresSkipped = null, targetRatio, storageFloor }) {
  const a = sideSummary(anchor);
  const s = { store: "sqlite", ...sideSummary(switchyard) };
  const ratio = s.reqPerSec / a.reqPerSec;
  const floor = storageFloor.usPerDelivery;
  let postgres = { skipped: postgresSkipped ?? "not run" };
  if (switchyardPostgres !== null && switchyardPostgres.length > 0) {
    const p = sideSummary(switchyardPostgres);
    postgres = {
      skipped: null,
      store: "postgres",
      poolSize: switchyardPostgres[0].poolSize,
      ...p,
      ratio: round(p.reqPerSec / a.reqPerSec, 3),
      pairRatios: switchyardPostgres.map((r, i) => round(r.load.reqPerSec / anchor[i].load.reqPerSec, 3)),
      // PostgreSQL against SQLite, same rounds.
      vsSqlite: round(p.reqPerSec / s.reqPerSec, 3),
      worker: workerSummary(switchyardPostgres),
    };
  }
  return {
    anchor: a,
    switchyard: s,
    postgres,
    ratio: round(ratio, 3),
    pairRatios: switchyard.map((r, i) => round(r.load.reqPerSec / anchor[i].load.reqPerSec, 3)),
    target: targetRatio,
    verdict: ratio >= targetRatio ? "PASS" : "BELOW",
    worker: workerSummary(switchyard),
    // The best ratio a one-thread server could reach doing the anchor's work plus each floor.
    ceilings: {
      bareRow: ceilingRatio(a.cpuUsPerRequest, floor.bareRow),
      withReplayIndexes: ceilingRatio(a.cpuUsPerRequest, floor.withReplayIndexes),
      switchyardAccept: ceilingRatio(a.cpuUsPerRequest, floor.switchyardAccept),
    },
  };
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => (c < 3 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  ")).join("\n");
}

const STORE_NAME = { sqlite: "SQLite", postgres: "PostgreSQL" };

/** Prints the compact table (stdout). */
export function printReport({ machine, method, summary, runs }) {
  const fmt = (v, d = 1) => (v === null || v === undefined ? "-" : round(v, d));
  const pgRuns = runs.switchyardPostgres ?? [];
  const pg = summary.postgres ?? { skipped: "not run" };
  const header = ["run", "server", "store", "req/s", "p50 ms", "p99 ms", "non-2xx", "CPU µs/req", "DB CPU µs/req", "peak RSS MiB"];
  const rows = [header];
  const row = (label, r) => [label, r.server, r.store ?? "none", fmt(r.load.reqPerSec, 0), fmt(r.load.latencyMs.p50, 2), fmt(r.load.latencyMs.p99, 2), r.load.non2xx, fmt(r.cpuUsPerRequest, 0), fmt(r.dbCpuUsPerRequest, 0), fmt(r.peakRss / MiB)];
  runs.anchor.forEach((a, i) => {
    for (const r of [a, runs.switchyard[i], pgRuns[i]]) if (r !== undefined) rows.push(row(i + 1, r));
  });
  const sides = [["anchor", "none", summary.anchor], ["switchyard", "sqlite", summary.switchyard]];
  if (pg.skipped === null) sides.push(["switchyard", "postgres", pg]);
  for (const [name, store, s] of sides) {
    rows.push(["median", name, store, fmt(s.reqPerSec, 0), fmt(s.latencyP50Ms, 2), fmt(s.latencyP99Ms, 2), s.non2xx, fmt(s.cpuUsPerRequest, 0), fmt(s.dbCpuUsPerRequest, 0), fmt(s.peakRssMiB)]);
  }
  console.log(`\n${machine.cpus} × ${machine.model}, Node ${machine.node}, load average ${machine.loadavgBefore[0]} before; ${method.connections} connections, ${method.warmupSeconds} s warm-up + ${method.seconds} s per run, loopback`);
  const commit = (c) => `p50 ${fmt(c.p50, 2)} ms, p99 ${fmt(c.p99, 2)} ms`;
  console.log(`switchyard ${machine.source}, worker.concurrency ${method.workerConcurrency}; durable SQLite commit in ${machine.tmpdir} (WAL, synchronous=FULL): ${commit(machine.sqliteCommitMs.before)} before, ${commit(machine.sqliteCommitMs.after)} after`);
  const pgm = machine.postgres;
  if (pgm && pgm.skipped === null) {
    console.log(
      `${pgm.version}, throwaway cluster in ${machine.tmpdir} (fsync=${pgm.settings.fsync}, synchronous_commit=${pgm.settings.synchronous_commit}, wal_sync_method=${pgm.settings.wal_sync_method}, commit_delay=${pgm.settings.commit_delay}), store.poolSize ${pgm.poolSize}; durable commit of one row: ${commit(pgm.commitMs.before)} before, ${commit(pgm.commitMs.after)} after`,
    );
  }
  console.log(table(rows));
  console.log("(CPU µs/req: the server process; DB CPU: the PostgreSQL cluster's processes besides it. Peak RSS: the server process only.)");

  const bar = "=".repeat(72);
  console.log(`\n${bar}`);
  console.log(
    `  switchyard (SQLite) / @octokit/webhooks = ${summary.ratio.toFixed(2)}×   (median req/s ${fmt(summary.switchyard.reqPerSec, 0)} / ${fmt(summary.anchor.reqPerSec, 0)})`,
  );
  console.log(`  target ≥ ${summary.target}×: ${summary.verdict}      per pair: ${summary.pairRatios.map((r) => r.toFixed(2)).join(" ")}`);
  if (pg.skipped === null) {
    console.log(`  switchyard (PostgreSQL) / @octokit/webhooks = ${pg.ratio.toFixed(2)}×   (median req/s ${fmt(pg.reqPerSec, 0)} / ${fmt(summary.anchor.reqPerSec, 0)})`);
    console.log(`  no target yet; store.poolSize ${pg.poolSize}      per pair: ${pg.pairRatios.map((r) => r.toFixed(2)).join(" ")}      PostgreSQL / SQLite ${pg.vsSqlite.toFixed(2)}×`);
  } else {
    console.log(`  switchyard (PostgreSQL): skipped: ${pg.skipped}`);
  }
  console.log(bar);

  const floor = machine.storageFloor;
  const c = summary.ceilings;
  console.log(`\nwhat durability alone costs here (SQLite, in-process, WAL + synchronous=FULL, batches of ${floor.batchSize}, µs per delivery on the serving thread, median of ${floor.rounds}):`);
  console.log(`  bare row ${floor.usPerDelivery.bareRow} · with the replay lookups (unique id, signature) ${floor.usPerDelivery.withReplayIndexes} · switchyard's accept (delivery + task) ${floor.usPerDelivery.switchyardAccept}`);
  console.log(`  a one-thread server doing the anchor's ${fmt(summary.anchor.cpuUsPerRequest, 0)} µs/req plus each could reach at most ${c.bareRow.toFixed(2)}× · ${c.withReplayIndexes.toFixed(2)}× · ${c.switchyardAccept.toFixed(2)}×`);
  const pgLoad = pg.skipped === null ? `, ${fmt(pg.loadGeneratorCpuUsPerRequest, 0)} against switchyard on PostgreSQL` : "";
  console.log(`  the load generator used ${fmt(summary.anchor.loadGeneratorCpuUsPerRequest, 0)} µs CPU per request against the anchor, ${fmt(summary.switchyard.loadGeneratorCpuUsPerRequest, 0)} against switchyard on SQLite${pgLoad} (same cores)`);

  const wrows = [["run", "worker", "store", "accepted", "succeeded", "dead", "pending", "arrivals/s", "tasks/s in load", "after", "drain ms", "ack→start p50", "p99"]];
  const wrow = (label, r) => {
    const w = r.worker;
    const by = (status) => w.tasksByStatus[status] ?? 0;
    return [label, "worker", r.store, w.deliveries, by("succeeded"), by("dead"), by("ready") + by("running"), fmt(w.arrivalPerSec, 0), fmt(w.tasksPerSecDuringLoad, 0), fmt(w.tasksPerSecAfterLoad, 0), r.drain.drained ? w.drainMs : `>${r.drain.waitedMs} (${r.drain.left} left)`, w.ackToStartMs.p50, w.ackToStartMs.p99];
  };
  runs.switchyard.forEach((r, i) => {
    wrows.push(wrow(i + 1, r));
    if (pgRuns[i] !== undefined) wrows.push(wrow(i + 1, pgRuns[i]));
  });
  const workers = [["sqlite", summary.worker]];
  if (pg.skipped === null) workers.push(["postgres", pg.worker]);
  for (const [store, w] of workers) {
    wrows.push(["median", "worker", store, "", "", "", "", fmt(w.arrivalPerSec, 0), fmt(w.tasksPerSecDuringLoad, 0), fmt(w.tasksPerSecAfterLoad, 0), w.drainMs, w.ackToStartP50Ms, w.ackToStartP99Ms]);
  }
  console.log(`\nworker (tasks of the deliveries received during the measured ${method.seconds} s; tasks/s while the load ran and after it stopped; times in ms, store resolution 1 ms; ack→start = first attempt started_at − received_at)`);
  console.log(table(wrows));
  for (const [store, w] of workers) {
    if (!w.allDrained) {
      console.log(`\nWARNING (${STORE_NAME[store]}): the worker did not drain its backlog within the bound: ${w.tasksPendingAtStop} tasks still pending at stop; their ack→start is not counted, so it is understated`);
    }
    if (w.tasksDead > 0) console.log(`\nWARNING (${STORE_NAME[store]}): ${w.tasksDead} tasks ended dead (see runs.${store === "sqlite" ? "switchyard" : "switchyardPostgres"}[].worker.tasksByStatus)`);
  }
}
