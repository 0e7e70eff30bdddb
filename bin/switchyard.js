#!/usr/bin/env node
import { commandOf, tuneHeapForServe } from "../dist/cli/tune-heap.js";

const args = process.argv.slice(2);
// Before main and its imports load: a long-running server bounds its heap (src/cli/tune-heap.ts).
if (["serve", "work"].includes(commandOf(args) ?? "")) tuneHeapForServe();
const { main } = await import("../dist/cli/main.js");

main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
