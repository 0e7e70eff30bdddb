import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI; test/global-setup.ts builds dist/ once before the suite. */
export const BIN = fileURLToPath(new URL("../../bin/switchyard.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/switchyard.js ARGS` as a real process. The environment is explicit: PATH
 * and HOME plus what the test passes, so no GITHUB_* or config variable of the machine
 * running the tests leaks in.
 */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? "", HOME: options.cwd, ...options.env };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd, env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** Runs many invocations, a few at a time: process start-up dominates, and there are 2 cores. */
export async function runAll<T>(items: readonly T[], run: (item: T) => Promise<CliResult>, concurrency = 4): Promise<CliResult[]> {
  const results: CliResult[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** A temporary working directory (no config file unless a test writes one). */
export function createWorkdir(): { dir: string; write: (name: string, content: string | object) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-cli-"));
  return {
    dir,
    write: (name, content) => {
      const file = path.join(dir, name);
      writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
