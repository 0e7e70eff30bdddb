import { processIo } from "../cli/io.js";
import { runAction } from "./run-action.js";

// The entry of the bundled GitHub Action (dist/action/index.js, action.yml's `main`).
// No top-level await: the bundle is CommonJS, so it runs wherever it is copied.
void runAction(processIo()).then((code) => {
  process.exitCode = code;
});
