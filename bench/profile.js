// `npm run bench -- --profile`: one run of each server under the same load as the bench,
// with `node --cpu-prof`, then where each spent its CPU time. Writes the summary to
// bench/results/profile.json; the raw .cpuprofile files go with the temp dir.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { measureAnchor, measureSwitchyard } from "./lib/measure-server.js";
import { summarizeCpuProfile } from "./lib/summarize-cpu-profile.js";

function profileIn(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}: did the server exit gracefully?`);
  return path.join(dir, file);
}

function print(title, run, summary) {
  // The profile spans warm-up and measured load (and the drain): divide by both.
  const requests = run.warmup.responses + run.load.responses;
  const perReq = (ms) => ((ms * 1000) / requests).toFixed(1);
  console.log(`\n${title}: ${Math.round(run.load.reqPerSec)} req/s under the profiler; ${summary.busyMs} ms busy of ${summary.totalMs} ms profiled`);
  console.log("  by cost (self time, % of busy, µs per request):");
  for (const c of summary.categories.filter((c) => c.ms > 0).slice(0, 16)) {
    console.log(`    ${String(c.ms).padStart(6)} ms  ${c.pctOfBusy === null ? "     " : `${c.pctOfBusy.toFixed(1).padStart(4)}%`}  ${perReq(c.ms).padStart(7)} µs  ${c.name}`);
  }
  console.log("  top functions by self time:");
  for (const f of summary.topSelf.slice(0, 15)) {
    console.log(`    ${String(f.ms).padStart(6)} ms  ${f.pctOfBusy === null ? "     " : `${f.pctOfBusy.toFixed(1).padStart(4)}%`}  ${f.name}`);
  }
}

/** Profiles one anchor run and one switchyard run; see the header. */
export async function runProfile(options) {
  const { tmp, out: file } = options;
  const out = {};
  for (const server of ["anchor", "switchyard"]) {
    const dir = path.join(tmp, `profile-${server}`);
    mkdirSync(dir, { recursive: true });
    const nodeArgs = ["--cpu-prof", `--cpu-prof-dir=${dir}`];
    console.error(`bench: profiling ${server}…`);
    const run =
      server === "anchor"
        ? await measureAnchor({ ...options, tag: "pa", nodeArgs })
        : await measureSwitchyard({ ...options, dir: path.join(tmp, "profile-db"), tag: "ps", nodeArgs });
    // The profile covers the server's whole life (start, warm-up, load, drain, stop).
    const summary = summarizeCpuProfile(profileIn(dir), { top: 20, categories: 20 });
    out[server] = { reqPerSec: Math.round(run.load.reqPerSec), requests: run.warmup.responses + run.load.responses, cpuUsPerRequest: Math.round(run.cpuUsPerRequest), summary };
    print(server, run, summary);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ generatedAt: new Date().toISOString(), note: "node --cpu-prof over each server's whole life (start, warm-up, load, drain); per-request figures divide by warm-up + measured responses", ...out }, null, 2) + "\n");
  console.log(`\nprofile summary: ${path.relative(process.cwd(), file)}`);
}
