import { execFileSync } from "node:child_process";

/** Process-level tests run bin/switchyard.js, which needs a fresh build of src/. */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
