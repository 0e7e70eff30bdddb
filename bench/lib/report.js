// Medians, the ratios, a verdict per target of issue 14, and the compact report printed at
// the end.
import { ceilingRatio } from "./storage-floor.js";
import { median, round } from "./stats.js";

const MiB = 2 ** 20;
// The worker kept up when its backlog did not grow: the run drained within the bound, and
// by the time the load stopped it had finished this share of the window's tasks (what is
// left is the tail in flight: at 2,000 tasks/s and 8 s, 2 % is 160 ms of arrivals).
const KEPT_UP_SHARE = 0.98;
// The open loop held its rate when this share of the asked rate was answered.
const RATE_HELD_SHARE = 0.98;

/** Did the worker of this run (full server) keep up with the deliveries? */
export function keptUp(run) {
  const w = run.worker;
  return run.drain.drained && w.tasks > 0 && w.tasksFinishedDuringLoad >= KEPT_UP_SHARE * w.tasks;
}

function sideSummary(runs) {
  return {
    reqPerSec: round(median(runs.map((r) => r.load.reqPerSec))),
    latencyP50Ms: round(median(runs.map((r) => r.load.latencyMs.p50)), 2),
    latencyP99Ms: round(median(runs.map((r) => r.load.latencyMs.p99)), 2),
    cpuUsPerRequest: round(median(runs.map((r) => r.cpuUsPerRequest))),
    // PostgreSQL only: CPU of the cluster's processes (backends, WAL writer…) per response.
    dbCpuUsPerRequest: round(median(runs.map((r) => r.dbCpuUsPerRequest))),
    peakRssMiB: round(median(runs.map((r) => r.peakRss / MiB))),
    peakRssMaxMiB: round(Math.max(...runs.map((r) => r.peakRss)) / MiB),
    loadGeneratorCpuUsPerRequest: round(median(runs.map((r) => r.load.loadCpuUsPerRequest))),
    non2xx: runs.reduce((n, r) => n + r.load.non2xx, 0),
    responses: runs.reduce((n, r) => n + r.load.responses, 0),
  };
}

/** A side against the anchor of the same rounds: ratio of the medians, and each round's own. */
function versusAnchor(side, runs, anchor, anchorSide) {
  return { ...side, ratio: round(side.reqPerSec / anchorSide.reqPerSec, 3), pairRatios: runs.map((r, i) => round(r.load.reqPerSec / anchor[i].load.reqPerSec, 3)) };
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
    keptUpRuns: runs.filter(keptUp).length,
    runs: runs.length,
    arrivalPerSec: round(median(w.map((x) => x.arrivalPerSec))),
    tasksPerSecDuringLoad: round(median(w.map((x) => x.tasksPerSecDuringLoad))),
    tasksPerSecAfterLoad: round(median(w.map((x) => x.tasksPerSecAfterLoad))),
    drainMs: median(w.map((x) => x.drainMs)),
    ackToStartP50Ms: median(w.map((x) => x.ackToStartMs.p50)),
    ackToStartP99Ms: median(w.map((x) => x.ackToStartMs.p99)),
  };
}

/** The open-loop run: the rate it held, the acks' latency, and how soon the worker started each task. */
function openLoopSummary(run) {
  const { load, worker } = run;
  return {
    askedPerSec: load.askedRate,
    achievedPerSec: round(load.reqPerSec),
    rateHeld: load.reqPerSec >= RATE_HELD_SHARE * load.askedRate,
    seconds: round(load.seconds, 2),
    responses: load.responses,
    non2xx: load.non2xx,
    socketsUsed: load.socketsUsed,
    sendLagP99Ms: round(load.sendLagMs.p99, 2),
    ackMs: { p50: round(load.latencyMs.p50, 2), p99: round(load.latencyMs.p99, 2), max: round(load.latencyMs.max, 2) },
    ackToStartMs: worker.ackToStartMs,
    keptUp: keptUp(run),
    drainMs: worker.drainMs,
    cpuUsPerRequest: round(run.cpuUsPerRequest),
    peakRssMiB: round(run.peakRss / MiB),
    loadGeneratorCpuUsPerRequest: round(load.loadCpuUsPerRequest),
  };
}

/** An open-loop run of a server with no worker to watch: the rate it held and its acks. */
function openAckSummary(run) {
  const { load } = run;
  return {
    achievedPerSec: round(load.reqPerSec),
    rateHeld: load.reqPerSec >= RATE_HELD_SHARE * load.askedRate,
    ackMs: { p50: round(load.latencyMs.p50, 2), p99: round(load.latencyMs.p99, 2), max: round(load.latencyMs.max, 2) },
    cpuUsPerRequest: round(run.cpuUsPerRequest),
  };
}

const verdict = (pass) => (pass ? "PASS" : "BELOW");

/** The levels of bench/floor-server.js, leanest first, and what each stores. */
export const FLOOR_LEVELS = ["row", "dedup", "store", "full"];
const FLOOR_NAME = {
  row: "one row per delivery",
  dedup: "+ unique delivery id and signature",
  store: "switchyard's store, no Fastify/routing",
  full: "dedup + a leased task, its IssueAgent run and completion in-process",
};

/** One line per target of issue 14: what was measured, the target, PASS or BELOW. */
function verdicts(targets, { ingest, full, worker, open }) {
  const x = (ratio) => `${ratio.toFixed(2)}×`;
  const allKeptUp = worker.keptUpRuns === worker.runs;
  const openKept = open.keptUp ? "worker kept up" : "worker fell behind: understated";
  return [
    { name: "ingest-only / anchor", measured: ingest.ratio, value: `${x(ingest.ratio)} (median req/s)`, target: `≥ ${targets.ingestRatio}×`, verdict: verdict(ingest.ratio >= targets.ingestRatio) },
    {
      name: "full / anchor",
      measured: full.ratio,
      value: `${x(full.ratio)}, worker kept up in ${worker.keptUpRuns}/${worker.runs} runs`,
      target: `≥ ${targets.fullRatio}×, worker keeping up`,
      verdict: verdict(full.ratio >= targets.fullRatio && allKeptUp),
    },
    { name: "full peak RSS", measured: full.peakRssMaxMiB, value: `${full.peakRssMaxMiB} MiB (highest run)`, target: `≤ ${targets.fullPeakRssMiB} MiB`, verdict: verdict(full.peakRssMaxMiB <= targets.fullPeakRssMiB) },
    {
      name: `open loop ${open.askedPerSec}/s: ack p99`,
      measured: open.ackMs.p99,
      value: `${open.ackMs.p99} ms at ${Math.round(open.achievedPerSec)}/s${open.rateHeld ? "" : " (rate not held)"}`,
      target: `≤ ${targets.openAckP99Ms} ms`,
      verdict: verdict(open.ackMs.p99 <= targets.openAckP99Ms && open.rateHeld),
    },
    {
      name: `open loop ${open.askedPerSec}/s: ack → task start p99`,
      measured: open.ackToStartMs.p99,
      value: `${fmt(open.ackToStartMs.p99, 0)} ms, ${openKept}`,
      target: `≤ ${targets.openAckToStartP99Ms} ms`,
      verdict: verdict(open.ackToStartMs.p99 !== null && open.ackToStartMs.p99 <= targets.openAckToStartP99Ms && open.keptUp),
    },
  ];
}

/**
 * The figures the lead reads: every side's medians, the ratios to the anchor, the worker,
 * the open loop and a verdict per target (`targets`: see run.js). `switchyard` is the full
 * server on SQLite, `ingest` the ingest-only one; `switchyardPostgres` null: skipped, with
 * `postgresSkipped` saying why (no target).
 */
export function summarize({ anchor, ingest, switchyard, switchyardPostgres = null, postgresSkipped = null, openLoop, openFloors = null, targets, storageFloor, serverFloors = null }) {
  const a = sideSummary(anchor);
  const ingestSide = {
    store: "sqlite",
    role: "ingest",
    ...versusAnchor(sideSummary(ingest), ingest, anchor, a),
    // No worker ran: every task of the measured window was still ready (checked per run).
    tasksLeftReady: ingest.map((r) => r.worker.tasksByStatus.ready ?? 0),
  };
  const full = { store: "sqlite", role: "all", ...versusAnchor(sideSummary(switchyard), switchyard, anchor, a) };
  const worker = workerSummary(switchyard);
  const open = openLoopSummary(openLoop);
  const floor = storageFloor.usPerDelivery;
  let postgres = { skipped: postgresSkipped ?? "not run" };
  if (switchyardPostgres !== null && switchyardPostgres.length > 0) {
    postgres = {
      skipped: null,
      store: "postgres",
      role: "all",
      poolSize: switchyardPostgres[0].poolSize,
      ...versusAnchor(sideSummary(switchyardPostgres), switchyardPostgres, anchor, a),
      worker: workerSummary(switchyardPostgres),
    };
    // PostgreSQL against SQLite, same rounds.
    postgres.vsSqlite = round(postgres.reqPerSec / full.reqPerSec, 3);
  }
  // The in-server floors (bench/floor-server.js), same rounds: what leaner designs reach.
  const floors = serverFloors === null ? null : Object.fromEntries(FLOOR_LEVELS.filter((level) => serverFloors[level]?.length > 0).map((level) => [level, versusAnchor(sideSummary(serverFloors[level]), serverFloors[level], anchor, a)]));
  return {
    anchor: a,
    ingest: ingestSide,
    serverFloors: floors,
    switchyard: full,
    worker,
    postgres,
    openLoop: open,
    // The open loop's schedule against the leaner designs and ingest-only: the ack each reaches.
    openLoopFloors: openFloors === null ? null : Object.fromEntries(Object.entries(openFloors).map(([name, run]) => [name, openAckSummary(run)])),
    targets: verdicts(targets, { ingest: ingestSide, full, worker, open }),
    // The best ratio a one-thread server could reach doing the anchor's work plus each floor.
    ceilings: {
      bareRow: ceilingRatio(a.cpuUsPerRequest, floor.bareRow),
      withReplayIndexes: ceilingRatio(a.cpuUsPerRequest, floor.withReplayIndexes),
      switchyardAccept: ceilingRatio(a.cpuUsPerRequest, floor.switchyardAccept),
    },
  };
}

/** Aligned columns: the first `left` padded on the right (text), the others on the left (figures). */
function table(rows, left = 3) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => (c < left ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  ").trimEnd()).join("\n");
}

const STORE_NAME = { sqlite: "SQLite", postgres: "PostgreSQL" };
const serverName = (r) => {
  if (r.server === "anchor") return "anchor";
  if (r.server.startsWith("floor-")) return `floor: ${r.server.slice("floor-".length)}`;
  return `switchyard ${r.role === "ingest" ? "ingest" : "full"}`;
};
const fmt = (v, d = 1) => (v === null || v === undefined ? "-" : round(v, d));

/** Every run, then the medians of each side, then the open-loop run: req/s, latencies, CPU, RSS. */
function printRuns(runs, summary) {
  const header = ["run", "server", "store", "req/s", "p50 ms", "p99 ms", "non-2xx", "CPU µs/req", "DB CPU µs/req", "peak RSS MiB"];
  const rows = [header];
  const row = (label, r) => [label, serverName(r), r.store ?? "none", fmt(r.load.reqPerSec, 0), fmt(r.load.latencyMs.p50, 2), fmt(r.load.latencyMs.p99, 2), r.load.non2xx, fmt(r.cpuUsPerRequest, 0), fmt(r.dbCpuUsPerRequest, 0), fmt(r.peakRss / MiB)];
  runs.anchor.forEach((a, i) => {
    const floors = FLOOR_LEVELS.map((level) => runs.serverFloors?.[level]?.[i]);
    for (const r of [a, runs.ingest[i], ...floors, runs.switchyard[i], runs.switchyardPostgres[i]]) if (r !== undefined) rows.push(row(i + 1, r));
  });
  const sides = [
    ["anchor", "none", summary.anchor],
    ["switchyard ingest", "sqlite", summary.ingest],
    ["switchyard full", "sqlite", summary.switchyard],
  ];
  for (const [level, side] of Object.entries(summary.serverFloors ?? {})) sides.push([`floor: ${level}`, "sqlite", side]);
  if (summary.postgres.skipped === null) sides.push(["switchyard full", "postgres", summary.postgres]);
  for (const [name, store, s] of sides) {
    rows.push(["median", name, store, fmt(s.reqPerSec, 0), fmt(s.latencyP50Ms, 2), fmt(s.latencyP99Ms, 2), s.non2xx, fmt(s.cpuUsPerRequest, 0), fmt(s.dbCpuUsPerRequest, 0), fmt(s.peakRssMiB)]);
  }
  rows.push(row("open", runs.openLoop));
  console.log(table(rows));
  console.log("(CPU µs/req: the server process; DB CPU: the PostgreSQL cluster's processes besides it. Peak RSS: the server process only. open: the open-loop run, p50/p99 = ack latency.)");
}

function printVerdicts(summary) {
  const { anchor, ingest, switchyard: full, postgres: pg } = summary;
  const bar = "=".repeat(72);
  const pairs = (side) => side.pairRatios.map((r) => r.toFixed(2)).join(" ");
  console.log(`\n${bar}`);
  console.log("  issue 14 targets (measured, never asserted):");
  console.log(table(summary.targets.map((t) => [`  ${t.name}`, t.value, `target ${t.target}`, t.verdict]), 4));
  console.log(`  per pair: ingest-only ${pairs(ingest)} · full ${pairs(full)}   (median req/s: anchor ${fmt(anchor.reqPerSec, 0)}, ingest-only ${fmt(ingest.reqPerSec, 0)}, full ${fmt(full.reqPerSec, 0)})`);
  const floors = Object.entries(summary.serverFloors ?? {});
  if (floors.length > 0) {
    console.log(`  leaner designs, same rounds (bench/floor-server.js: node:http, HMAC, parse, durable commit): ${floors.map(([level, f]) => `${FLOOR_NAME[level]} ${f.ratio.toFixed(2)}×`).join(" · ")} · switchyard ingest-only ${ingest.ratio.toFixed(2)}×`);
  }
  if (pg.skipped === null) {
    console.log(`  full on PostgreSQL / anchor = ${pg.ratio.toFixed(2)}× (median ${fmt(pg.reqPerSec, 0)} req/s), no target; store.poolSize ${pg.poolSize}; per pair ${pairs(pg)}; PostgreSQL / SQLite ${pg.vsSqlite.toFixed(2)}×`);
  } else {
    console.log(`  full on PostgreSQL: skipped: ${pg.skipped}`);
  }
  console.log(bar);
}

function printOpenLoop(method, open) {
  console.log(
    `\nopen loop (full server on SQLite, worker running, ${method.openLoop.warmupSeconds} s warm-up then ${method.openLoop.seconds} s): ${open.askedPerSec}/s asked, ${fmt(open.achievedPerSec, 0)}/s answered (${open.responses} deliveries on ${open.socketsUsed} of ${method.openLoop.sockets} sockets; sent p99 ${fmt(open.sendLagP99Ms, 2)} ms behind schedule)`,
  );
  // Every socket busy at once: requests then waited for one (counted in their ack), the load
  // was closed-loop for that moment.
  const capped = open.socketsUsed >= method.openLoop.sockets ? "; all sockets were in use at times: raise --open-sockets if the rate was not held" : "";
  console.log(`  ack (client-side): p50 ${fmt(open.ackMs.p50, 2)} ms, p99 ${fmt(open.ackMs.p99, 2)} ms, max ${fmt(open.ackMs.max, 2)} ms${capped}`);
  const a2s = open.ackToStartMs;
  console.log(`  ack → task start (store, 1 ms resolution): p50 ${fmt(a2s.p50, 0)} ms, p99 ${fmt(a2s.p99, 0)} ms, max ${fmt(a2s.max, 0)} ms; worker ${open.keptUp ? "kept up" : "FELL BEHIND"}, last task done ${fmt(open.drainMs, 0)} ms after the load`);
  console.log(`  server ${fmt(open.cpuUsPerRequest, 0)} µs CPU per request, peak RSS ${fmt(open.peakRssMiB)} MiB; load generator ${fmt(open.loadGeneratorCpuUsPerRequest, 0)} µs CPU per request`);
}

const OPEN_FLOOR_NAME = { row: "floor: one row", dedup: "floor: + id and signature", store: "floor: switchyard's store", full: "floor: leanest full server", ingest: "switchyard ingest-only" };

function printOpenLoopFloors(floors) {
  if (floors === null) return;
  console.log("  the same schedule against leaner designs (no target; what each acknowledges in):");
  for (const [name, f] of Object.entries(floors)) {
    const held = f.rateHeld ? "" : " (rate not held)";
    console.log(`    ${(OPEN_FLOOR_NAME[name] ?? name).padEnd(28)} ack p50 ${fmt(f.ackMs.p50, 2)} ms, p99 ${fmt(f.ackMs.p99, 2)} ms, max ${fmt(f.ackMs.max, 2)} ms; ${fmt(f.cpuUsPerRequest, 0)} µs CPU per request${held}`);
  }
}

function printFloors(machine, summary) {
  const floor = machine.storageFloor;
  const c = summary.ceilings;
  const pg = summary.postgres;
  console.log(`\nwhat durability alone costs here (SQLite, in-process, WAL + synchronous=FULL, batches of ${floor.batchSize}, µs per delivery on the serving thread, median of ${floor.rounds}):`);
  console.log(`  bare row ${floor.usPerDelivery.bareRow} · with the replay lookups (unique id, signature) ${floor.usPerDelivery.withReplayIndexes} · switchyard's accept (delivery + task) ${floor.usPerDelivery.switchyardAccept}`);
  console.log(`  a one-thread server doing the anchor's ${fmt(summary.anchor.cpuUsPerRequest, 0)} µs/req plus each could reach at most ${c.bareRow.toFixed(2)}× · ${c.withReplayIndexes.toFixed(2)}× · ${c.switchyardAccept.toFixed(2)}×`);
  const pgLoad = pg.skipped === null ? `, ${fmt(pg.loadGeneratorCpuUsPerRequest, 0)} against full on PostgreSQL` : "";
  console.log(
    `  the load generator used ${fmt(summary.anchor.loadGeneratorCpuUsPerRequest, 0)} µs CPU per request against the anchor, ${fmt(summary.ingest.loadGeneratorCpuUsPerRequest, 0)} against ingest-only, ${fmt(summary.switchyard.loadGeneratorCpuUsPerRequest, 0)} against full on SQLite${pgLoad} (same cores)`,
  );
}

function printWorker(method, runs, summary) {
  const pgRuns = runs.switchyardPostgres;
  const pg = summary.postgres;
  const wrows = [["run", "worker", "store", "accepted", "succeeded", "dead", "pending", "kept up", "arrivals/s", "tasks/s in load", "after", "drain ms", "ack→start p50", "p99"]];
  const wrow = (label, r) => {
    const w = r.worker;
    const by = (status) => w.tasksByStatus[status] ?? 0;
    const drain = r.drain.drained ? w.drainMs : `>${r.drain.waitedMs} (${r.drain.left} left)`;
    return [label, "worker", r.store, w.deliveries, by("succeeded"), by("dead"), by("ready") + by("running"), keptUp(r) ? "yes" : "NO", fmt(w.arrivalPerSec, 0), fmt(w.tasksPerSecDuringLoad, 0), fmt(w.tasksPerSecAfterLoad, 0), drain, w.ackToStartMs.p50, w.ackToStartMs.p99];
  };
  runs.switchyard.forEach((r, i) => {
    wrows.push(wrow(i + 1, r));
    if (pgRuns[i] !== undefined) wrows.push(wrow(i + 1, pgRuns[i]));
  });
  const workers = [["sqlite", summary.worker]];
  if (pg.skipped === null) workers.push(["postgres", pg.worker]);
  for (const [store, w] of workers) {
    wrows.push(["median", "worker", store, "", "", "", "", `${w.keptUpRuns}/${w.runs}`, fmt(w.arrivalPerSec, 0), fmt(w.tasksPerSecDuringLoad, 0), fmt(w.tasksPerSecAfterLoad, 0), w.drainMs, w.ackToStartP50Ms, w.ackToStartP99Ms]);
  }
  wrows.push(wrow("open", runs.openLoop));
  console.log(
    `\nworker of the full server (tasks of the deliveries received during the measured ${method.seconds} s, open: ${method.openLoop.seconds} s; tasks/s while the load ran and after it stopped; times in ms, store resolution 1 ms; ack→start = first attempt started_at − received_at; kept up: drained, ≥ ${KEPT_UP_SHARE * 100} % of the tasks done when the load stopped)`,
  );
  console.log(table(wrows));
  console.log(`ingest-only (no worker): ${summary.ingest.tasksLeftReady.join(", ")} tasks of the measured window left ready, none taken (checked per run)`);
  for (const [store, w] of workers) {
    if (!w.allDrained) {
      console.log(`\nWARNING (${STORE_NAME[store]}): the worker did not drain its backlog within the bound: ${w.tasksPendingAtStop} tasks still pending at stop; their ack→start is not counted, so it is understated`);
    }
    if (w.tasksDead > 0) console.log(`\nWARNING (${STORE_NAME[store]}): ${w.tasksDead} tasks ended dead (see runs.${store === "sqlite" ? "switchyard" : "switchyardPostgres"}[].worker.tasksByStatus)`);
  }
}

/** Prints the compact report (stdout). */
export function printReport({ machine, method, summary, runs }) {
  console.log(`\n${machine.cpus} × ${machine.model}, Node ${machine.node}, load average ${machine.loadavgBefore[0]} before; ${method.connections} connections, ${method.warmupSeconds} s warm-up + ${method.seconds} s per run, loopback`);
  const commit = (c) => `p50 ${fmt(c.p50, 2)} ms, p99 ${fmt(c.p99, 2)} ms`;
  console.log(`switchyard ${machine.source}, worker.concurrency ${method.workerConcurrency}; durable SQLite commit in ${machine.tmpdir} (WAL, synchronous=FULL): ${commit(machine.sqliteCommitMs.before)} before, ${commit(machine.sqliteCommitMs.after)} after`);
  const pgm = machine.postgres;
  if (pgm && pgm.skipped === null) {
    console.log(
      `${pgm.version}, throwaway cluster in ${machine.tmpdir} (fsync=${pgm.settings.fsync}, synchronous_commit=${pgm.settings.synchronous_commit}, wal_sync_method=${pgm.settings.wal_sync_method}, commit_delay=${pgm.settings.commit_delay}), store.poolSize ${pgm.poolSize}; durable commit of one row: ${commit(pgm.commitMs.before)} before, ${commit(pgm.commitMs.after)} after`,
    );
  }
  printRuns(runs, summary);
  printVerdicts(summary);
  printOpenLoop(method, summary.openLoop);
  printOpenLoopFloors(summary.openLoopFloors ?? null);
  printFloors(machine, summary);
  printWorker(method, runs, summary);
}
