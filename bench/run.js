// npm run bench [-- --runs 3 --seconds 8 --warmup 2 --connections 10 --concurrency 16 --no-build --profile]
//                [-- --switchyard DIR]   bench the (built) switchyard checkout at DIR instead:
//                                         A/B a performance change against the same anchor
//
// Durable routed ingest (`switchyard serve`: HMAC, parse, route, group-committed SQLite
// write with synchronous=FULL, 202, worker running) against the cost of merely receiving a
// webhook (@octokit/webhooks' no-op Node middleware), alternated A S A S A S in one process
// run so that machine noise hits both. Target (DESIGN.md section 8): switchyard ≥ 0.6× the
// anchor's median req/s. The target is reported, never asserted: exit 0 either way, exit 1
// only when the bench itself broke (a server did not start, a non-2xx answer, …).
// Method and latest numbers: docs/performance.md.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureAnchor, measureSwitchyard } from "./lib/measure-server.js";
import { probeCommitLatency } from "./lib/probe-commit-latency.js";
import { printReport, summarize } from "./lib/report.js";
import { measureStorageFloor } from "./lib/storage-floor.js";
import { loadIssuesOpenedTemplate } from "./lib/signed-load.js";
import { killAllChildren } from "./lib/spawn-server.js";
import { round } from "./lib/stats.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TARGET_RATIO = 0.6;
// Per switchyard run: three runs must fit the ~3 minute budget even when the worker lags
// (an undrained backlog is reported with what is left, not waited for).
const DRAIN_TIMEOUT_MS = 25_000;
// A hard stop for the whole bench, whatever hangs: children are killed on exit.
const WATCHDOG_MS = 5 * 60_000;

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "10" },
    // switchyard's worker.concurrency for the run. The default (4) suits agents that take
    // seconds; in-process agents at thousands of tasks a second need more slots to keep up.
    concurrency: { type: "string", default: "16" },
    "no-build": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    switchyard: { type: "string" },
    out: { type: "string" },
  },
});

let tmp = null;
function cleanUp() {
  killAllChildren();
  if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
  tmp = null;
}
process.on("exit", cleanUp);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    console.error(`bench: ${signal}: stopping the servers`);
    process.exit(130);
  });
}
setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 1000} s: giving up`);
  process.exit(3);
}, WATCHDOG_MS).unref();

function positiveNumber(name, raw) {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`bench: --${name} ${raw} is not a positive number`);
    process.exit(2);
  }
  return n;
}

function build() {
  const started = Date.now();
  const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (tsc.status !== 0) {
    throw new Error(`the build failed (npx tsc -p tsconfig.build.json); fix it or pass --no-build to bench the existing dist/:\n${tsc.stdout}${tsc.stderr}`);
  }
  console.error(`bench: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const commitMs = (probe) => ({ p50: round(probe.p50Ms, 2), p99: round(probe.p99Ms, 2), commits: probe.commits });

/** Which code was measured: others edit the tree while benches run, so say if it was dirty. */
function describeSource() {
  const git = (...argv) => spawnSync("git", argv, { cwd: ROOT, encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.status !== 0) return "(not a git checkout)";
  const dirty = git("status", "--porcelain", "--", "src").stdout.split("\n").filter(Boolean).length;
  return `at ${head.stdout.trim()}${dirty > 0 ? ` + ${dirty} uncommitted file(s) in src/` : ""}`;
}

async function main() {
  const startedAt = Date.now();
  const options = {
    root: ROOT,
    switchyardRoot: args.switchyard ? path.resolve(args.switchyard) : ROOT,
    secret: `bench-${process.pid}-${Date.now()}`,
    template: loadIssuesOpenedTemplate(),
    connections: positiveNumber("connections", args.connections),
    concurrency: positiveNumber("concurrency", args.concurrency),
    seconds: positiveNumber("seconds", args.seconds),
    warmupSeconds: positiveNumber("warmup", args.warmup),
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
  };
  const runs = positiveNumber("runs", args.runs);
  // bench/results/ holds this checkout's figures only.
  const out = args.out ?? (args.switchyard ? null : path.join(ROOT, `bench/results/${args.profile ? "profile" : "latest"}.json`));
  if (out === null) {
    console.error("bench: with --switchyard DIR, say where the results go: --out FILE");
    return 2;
  }
  if (!args["no-build"] && !args.switchyard) build();
  tmp = mkdtempSync(path.join(os.tmpdir(), "switchyard-bench-"));

  if (args.profile) {
    const { runProfile } = await import("./profile.js");
    await runProfile({ ...options, tmp, out });
    return 0;
  }

  const loadBefore = os.loadavg();
  const commitBefore = probeCommitLatency(tmp);
  const anchor = [];
  const switchyard = [];
  for (let i = 1; i <= runs; i++) {
    console.error(`bench: run ${i}/${runs}: anchor (@octokit/webhooks)…`);
    anchor.push(await measureAnchor({ ...options, tag: `a${i}` }));
    console.error(`bench: run ${i}/${runs}: switchyard serve…`);
    switchyard.push(await measureSwitchyard({ ...options, dir: path.join(tmp, `s${i}`), tag: `s${i}` }));
  }

  const commitAfter = probeCommitLatency(tmp);
  console.error("bench: measuring what durability alone costs here…");
  const storageFloor = await measureStorageFloor({ dir: tmp, template: options.template, batchSize: options.connections, switchyardRoot: options.switchyardRoot });
  const summary = summarize({ anchor, switchyard, targetRatio: TARGET_RATIO, storageFloor });
  const results = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? null,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadavgBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
      loadavgAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
      tmpdir: os.tmpdir(),
      // One durable commit (WAL, synchronous=FULL) in the bench's temp dir, before and after the runs.
      sqliteCommitMs: { before: commitMs(commitBefore), after: commitMs(commitAfter) },
      // In-process durable inserts of the same body, batches as big as the connections allow.
      storageFloor,
      source: args.switchyard ? `from ${options.switchyardRoot}` : describeSource(),
    },
    method: {
      payload: `issues.opened from @octokit/webhooks-examples (${options.template.bytes} bytes), unique title, delivery id and signature per request`,
      connections: options.connections,
      workerConcurrency: options.concurrency,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      runs,
      order: "anchor, switchyard, alternated; each run on a freshly started server (peak RSS is per run); switchyard on a fresh database per run",
      target: `switchyard median req/s >= ${TARGET_RATIO} x anchor median req/s`,
    },
    summary,
    runs: { anchor, switchyard },
    wallSeconds: Math.round((Date.now() - startedAt) / 1000),
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
  printReport(results);
  console.log(`\nfull results: ${path.relative(process.cwd(), out)}  (${results.wallSeconds} s)`);
  return 0;
}

main().then(
  (code) => {
    cleanUp();
    process.exitCode = code;
  },
  (error) => {
    console.error(`bench: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    cleanUp();
    process.exitCode = 1;
  },
);
