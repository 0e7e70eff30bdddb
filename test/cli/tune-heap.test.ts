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

// A store whose checkpoint thread starts while this thread allocates without a break (a
// server taking its first webhooks): no GC report runs in between to set the flags again.
const STORE_PROBE = `
import v8 from "node:v8";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
const { tuneHeapForServe, reassertHeapTuning } = await import(${JSON.stringify(path.resolve("dist/cli/tune-heap.js"))});
const { createSqliteStore } = await import(${JSON.stringify(path.resolve("dist/store/sqlite/sqlite-store.js"))});
const reassert = process.argv[1] === "reassert";
tuneHeapForServe([], undefined);
let keep = [];
const churn = (n) => { for (let i = 0; i < n; i++) { keep.push({ a: i, b: "x".repeat(50) + i }); if (keep.length > 5000) keep = []; } };
// Up to the cap first, as a server's start-up does.
for (let turn = 0; turn < 60; turn++) { churn(20000); await new Promise((r) => setImmediate(r)); }
const before = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 2 ** 20;
const dir = mkdtempSync(path.join(tmpdir(), "switchyard-heap-"));
const store = createSqliteStore(path.join(dir, "h.db"), { checkpointThread: true, onThreadStarted: reassert ? reassertHeapTuning : () => {} });
// A fixed amount, not a fixed time: on a loaded machine 400 ms allocated too little to grow anything.
for (let i = 0; i < 1500; i++) churn(2000);
console.log(before, v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 2 ** 20);
await store.close();
rmSync(dir, { recursive: true, force: true });
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

  it("keeps the cap when the SQLite checkpoint thread starts under allocation, once the store sets the flags again", () => {
    const sizes = (mode: string) => {
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", STORE_PROBE, mode], { encoding: "utf8" });
      expect(child.stderr).toBe("");
      return child.stdout.trim().split(" ").map(Number);
    };
    // Both wait for the thread to run; without setting the flags again, V8's reset of the
    // growth factor as the thread started lets the young generation double past the cap.
    const [capped, grown] = sizes("none");
    expect(capped).toBeLessThanOrEqual(8);
    expect(grown).toBeGreaterThan(capped as number);
    const [before, after] = sizes("reassert");
    expect(before).toBeLessThanOrEqual(8);
    expect(after).toBe(before);
  });

  it("finds the command in a command line, past a --config FILE before it", () => {
    expect(commandOf(["--version"])).toBeUndefined();
    expect(commandOf(["serve", "--config", "x.yaml"])).toBe("serve");
    expect(commandOf(["--config", "x.yaml", "serve"])).toBe("serve");
    expect(commandOf(["-c", "x.yaml", "work"])).toBe("work");
    expect(commandOf(["--config=x.yaml", "serve"])).toBe("serve");
    expect(commandOf(["--config"])).toBeUndefined();
    expect(commandOf([])).toBeUndefined();
  });
});
