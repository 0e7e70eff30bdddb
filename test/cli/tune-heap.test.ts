import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commandOf } from "../../src/cli/tune-heap.js";

// Runs in a child of its own: V8 flags are process-wide. It allocates short-lived objects
// over many event-loop turns (what a busy server does) and reports the young generation's size.
const PROBE = `
import v8 from "node:v8";
const { tuneHeapForServe } = await import(${JSON.stringify(path.resolve("dist/cli/tune-heap.js"))});
const [tune, ...execArgv] = process.argv.slice(1);
if (tune === "tune") tuneHeapForServe(execArgv, undefined);
// A worker thread, as the SQLite checkpointer starts one: it resets V8's flags.
const { Worker } = await import("node:worker_threads");
const worker = new Worker("setTimeout(() => {}, 100)", { eval: true });
await new Promise((r) => worker.once("online", r));
let keep = [];
for (let turn = 0; turn < 60; turn++) {
  for (let i = 0; i < 20000; i++) { keep.push({ a: i, b: "x".repeat(50) + i }); if (keep.length > 5000) keep = []; }
  await new Promise((r) => setImmediate(r));
}
console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 2 ** 20);
`;

function youngGenerationMiB(...args: string[]): number {
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", PROBE, ...args], { encoding: "utf8" });
  expect(child.stderr).toBe("");
  return Number(child.stdout.trim());
}

describe("tuneHeapForServe", () => {
  it("keeps the young generation small where V8 would grow it to 32 MiB, also after a worker thread started, unless the operator chose", () => {
    const untuned = youngGenerationMiB("none");
    expect(untuned).toBeGreaterThan(8);
    expect(youngGenerationMiB("tune")).toBeLessThanOrEqual(8);
    // A flag the operator passed to node wins: nothing is capped then.
    expect(youngGenerationMiB("tune", "--max-semi-space-size=16")).toBe(untuned);
  });

  it("finds the command in a command line (switchyard itself takes no option with a value)", () => {
    expect(commandOf(["--version"])).toBeUndefined();
    expect(commandOf(["serve", "--config", "x.yaml"])).toBe("serve");
    expect(commandOf([])).toBeUndefined();
  });
});
