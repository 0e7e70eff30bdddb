#!/usr/bin/env node
// npm run chaos: the fault and hostile-input suites at full size (SWITCHYARD_CHAOS=long),
// loopback only, each test bounded in requests and time, the whole run cut off after 30
// minutes. The figures each suite prints (CHAOS_*, HOSTILE_SUMMARY, scale-out lines) are
// collected into bench/chaos/last-run.json; docs/reliability.md quotes them.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";

const FILES = ["test/chaos", "test/hostile", "test/reliability", "test/property", "test/integration/scale-out.test.ts"];
const LIMIT_MS = 30 * 60_000;

const started = Date.now();
const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...FILES], {
  env: { ...process.env, SWITCHYARD_CHAOS: "long" },
  stdio: ["ignore", "pipe", "inherit"],
});
const cut = setTimeout(() => child.kill("SIGTERM"), LIMIT_MS);
let out = "";
child.stdout.on("data", (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
child.on("close", (code) => {
  clearTimeout(cut);
  const figures = out
    .split("\n")
    // vitest colours its output: drop the escape sequences.
    .map((line) => line.replaceAll(String.fromCharCode(27), "").replace(/\[[0-9;]*m/g, ""))
    .filter((line) => /^(CHAOS_\w+|HOSTILE_SUMMARY) |^(scale-out burst|same-id races|restart under load)/.test(line));
  mkdirSync("bench/chaos", { recursive: true });
  writeFileSync(
    "bench/chaos/last-run.json",
    `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadavgAtEnd: os.loadavg(), seconds: Math.round((Date.now() - started) / 1000), exitCode: code, figures }, null, 2)}\n`,
  );
  console.log(`\nchaos: ${figures.length} figure lines in bench/chaos/last-run.json (${Math.round((Date.now() - started) / 1000)} s, exit ${code})`);
  process.exit(code ?? 1);
});
