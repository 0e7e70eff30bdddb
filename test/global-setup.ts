import { spawn } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startSharedPostgres } from "./support/postgres/global.js";

/** Process-level tests run bin/switchyard.js, which needs a fresh build of src/. */
async function buildSrc(): Promise<void> {
  const child = spawn("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) throw new Error(`tsc -p tsconfig.build.json exited with ${code}`);
  // The dashboard's static files ship beside the compiled code, as `npm run build` puts them.
  const copy = spawn(process.execPath, ["scripts/copy-dashboard.js"], { stdio: "inherit" });
  const copied = await new Promise<number | null>((resolve, reject) => {
    copy.once("error", reject);
    copy.once("close", resolve);
  });
  if (copied !== 0) throw new Error(`scripts/copy-dashboard.js exited with ${copied}`);
}

/** Builds src/ and starts the run's PostgreSQL side by side; the returned teardown stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [build, postgres] = await Promise.allSettled([buildSrc(), startSharedPostgres(project)]);
  if (build.status === "rejected") {
    if (postgres.status === "fulfilled") await postgres.value();
    throw build.reason;
  }
  if (postgres.status === "rejected") throw postgres.reason;
  return postgres.value;
}
