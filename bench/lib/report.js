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

/** The figures the lead reads: both sides' medians, the ratio and its verdict, the worker. */
export function summarize({ anchor, switchyard, targetRatio, storageFloor }) {
  const a = sideSummary(anchor);
  const s = sideSummary(switchyard);
  const ratio = s.reqPerSec / a.reqPerSec;
  const floor = storageFloor.usPerDelivery;
  return {
    anchor: a,
    switchyard: s,
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
  return rows.map((r) => r.map((cell, c) => (c < 2 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  ")).join("\n");
}

/** Prints the compact table (stdout). */
export function printReport({ machine, method, summary, runs }) {
  const fmt = (v, d = 1) => (v === null || v === undefined ? "-" : round(v, d));
  const header = ["run", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "CPU µs/req", "peak RSS MiB"];
  const rows = [header];
  runs.anchor.forEach((a, i) => {
    for (const r of [a, runs.switchyard[i]]) {
      rows.push([i + 1, r.server, fmt(r.load.reqPerSec, 0), fmt(r.load.latencyMs.p50, 2), fmt(r.load.latencyMs.p99, 2), r.load.non2xx, fmt(r.cpuUsPerRequest, 0), fmt(r.peakRss / MiB)]);
    }
  });
  for (const [name, s] of [["anchor", summary.anchor], ["switchyard", summary.switchyard]]) {
    rows.push(["median", name, fmt(s.reqPerSec, 0), fmt(s.latencyP50Ms, 2), fmt(s.latencyP99Ms, 2), s.non2xx, fmt(s.cpuUsPerRequest, 0), fmt(s.peakRssMiB)]);
  }
  console.log(`\n${machine.cpus} × ${machine.model}, Node ${machine.node}, load average ${machine.loadavgBefore[0]} before; ${method.connections} connections, ${method.warmupSeconds} s warm-up + ${method.seconds} s per run, loopback`);
  const commit = (c) => `p50 ${fmt(c.p50, 2)} ms, p99 ${fmt(c.p99, 2)} ms`;
  console.log(`switchyard ${machine.source}, worker.concurrency ${method.workerConcurrency}; durable SQLite commit in ${machine.tmpdir} (WAL, synchronous=FULL): ${commit(machine.sqliteCommitMs.before)} before, ${commit(machine.sqliteCommitMs.after)} after`);
  console.log(table(rows));

  const bar = "=".repeat(72);
  console.log(`\n${bar}`);
  console.log(
    `  switchyard / @octokit/webhooks = ${summary.ratio.toFixed(2)}×   (median req/s ${fmt(summary.switchyard.reqPerSec, 0)} / ${fmt(summary.anchor.reqPerSec, 0)})`,
  );
  console.log(`  target ≥ ${summary.target}×: ${summary.verdict}      per pair: ${summary.pairRatios.map((r) => r.toFixed(2)).join(" ")}`);
  console.log(bar);

  const floor = machine.storageFloor;
  const c = summary.ceilings;
  console.log(`\nwhat durability alone costs here (in-process, WAL + synchronous=FULL, batches of ${floor.batchSize}, µs per delivery on the serving thread, median of ${floor.rounds}):`);
  console.log(`  bare row ${floor.usPerDelivery.bareRow} · with the replay lookups (unique id, signature) ${floor.usPerDelivery.withReplayIndexes} · switchyard's accept (delivery + task) ${floor.usPerDelivery.switchyardAccept}`);
  console.log(`  a one-thread server doing the anchor's ${fmt(summary.anchor.cpuUsPerRequest, 0)} µs/req plus each could reach at most ${c.bareRow.toFixed(2)}× · ${c.withReplayIndexes.toFixed(2)}× · ${c.switchyardAccept.toFixed(2)}×`);
  console.log(`  the load generator used ${fmt(summary.anchor.loadGeneratorCpuUsPerRequest, 0)} µs CPU per request against the anchor, ${fmt(summary.switchyard.loadGeneratorCpuUsPerRequest, 0)} against switchyard (same cores)`);

  const wrows = [["run", "server", "accepted", "succeeded", "dead", "pending", "arrivals/s", "tasks/s in load", "after", "drain ms", "ack→start p50", "p99"]];
  runs.switchyard.forEach((r, i) => {
    const w = r.worker;
    const by = (status) => w.tasksByStatus[status] ?? 0;
    wrows.push([i + 1, "worker", w.deliveries, by("succeeded"), by("dead"), by("ready") + by("running"), fmt(w.arrivalPerSec, 0), fmt(w.tasksPerSecDuringLoad, 0), fmt(w.tasksPerSecAfterLoad, 0), r.drain.drained ? w.drainMs : `>${r.drain.waitedMs} (${r.drain.left} left)`, w.ackToStartMs.p50, w.ackToStartMs.p99]);
  });
  const w = summary.worker;
  wrows.push(["median", "worker", "", "", "", "", fmt(w.arrivalPerSec, 0), fmt(w.tasksPerSecDuringLoad, 0), fmt(w.tasksPerSecAfterLoad, 0), w.drainMs, w.ackToStartP50Ms, w.ackToStartP99Ms]);
  console.log(`\nworker (tasks of the deliveries received during the measured ${method.seconds} s; tasks/s while the load ran and after it stopped; times in ms, store resolution 1 ms; ack→start = first attempt started_at − received_at)`);
  console.log(table(wrows));
  if (!w.allDrained) {
    console.log(`\nWARNING: the worker did not drain its backlog within the bound: ${w.tasksPendingAtStop} tasks still pending at stop; their ack→start is not counted, so it is understated`);
  }
  if (w.tasksDead > 0) console.log(`\nWARNING: ${w.tasksDead} tasks ended dead (see runs.switchyard[].worker.tasksByStatus)`);
}
