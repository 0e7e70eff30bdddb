import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExecEnv, LEFTOVERS_ENDED, runExecAgent } from "../../src/agents/executors/exec-executor.js";
import type { ExecAgentInput } from "../../src/agents/executors/exec-executor.js";

// Real processes: small scripts in a temp dir, run by this very node binary.
let dir: string;
const NODE = process.execPath;

const VARS = {
  SWITCHYARD_AGENT: "ReviewAgent",
  SWITCHYARD_EVENT: "pull_request",
  SWITCHYARD_ACTION: "opened",
  SWITCHYARD_DELIVERY: "d-1",
  SWITCHYARD_TASK: "42",
  SWITCHYARD_REPOSITORY: "octo/repo",
  SWITCHYARD_NUMBER: "7",
};
const INPUT: ExecAgentInput = { task: { id: "42", agent: "ReviewAgent", action: "Run quality checks" }, vars: VARS };
const BASE_ENV = {
  PATH: process.env.PATH,
  HOME: "/home/agent",
  LANG: "C.UTF-8",
  TZ: "",
  WEBHOOK_SECRET: "whsec-do-not-leak",
  ADMIN_TOKEN: "admin-do-not-leak",
  GITHUB_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----",
  GITHUB_TOKEN: "ghp_listed_only",
  OPENAI_API_KEY: "sk-test",
  DATABASE_URL: "postgres://u:p@db/switchyard",
};

function script(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

function spec(path: string, timeoutMs = 10_000, env: string[] = []) {
  return { argv: [NODE, path], timeoutMs, env };
}

/** True once no process has this pid (a reaped zombie counts as gone). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  // Killed but not yet reaped by init: a zombie runs nothing.
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean, withinMs = 3000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

// Spawns a grandchild that sleeps for a minute, records its pid, then hangs.
const SPAWNS_GRANDCHILD = `
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const grandchild = spawn("sleep", ["60"], { stdio: "ignore" });
writeFileSync(process.argv[2], String(grandchild.pid));
console.log("spawned", grandchild.pid);
setInterval(() => {}, 1000);
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "swy-exec-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("runExecAgent", () => {
  it("exit 0 succeeds, with the task JSON read from stdin in the output", async () => {
    const path = script(
      "echo.mjs",
      `let input = ""; process.stdin.on("data", (c) => (input += c)); process.stdin.on("end", () => { const task = JSON.parse(input); console.log("got task", task.id, task.action); console.error("to stderr"); });`,
    );
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "succeeded", exitCode: 0, signal: null, timedOut: false, error: null });
    expect(result.output).toContain("got task 42 Run quality checks");
    expect(result.output).toContain("to stderr");
  });

  it("masks in its output the values of the variables it was given, GitHub tokens and URL credentials", async () => {
    const path = script("leak.mjs", `console.log("key", process.env.OPENAI_API_KEY, "db postgres://u:pw@db/x", "ghp_abcdefghijklmnopqrstuvwxyz0123456789");`);
    const result = await runExecAgent(spec(path, 10_000, ["OPENAI_API_KEY"]), INPUT, { baseEnv: BASE_ENV });
    expect(result.outcome).toBe("succeeded");
    expect(result.output).toContain("key *** db postgres://***@db/x ***");
    expect(result.output).not.toMatch(/sk-test|:pw@|ghp_/);
  });

  it("masks its output before cutting the tail: a token the cut goes through is not half kept in clear", async () => {
    // The kept 40 bytes would begin inside the token, past the ghp_ that marks it as one.
    const path = script("cut.mjs", `process.stdout.write("key ghp_abcdefghijklmnopqrstuvwxyz0123456789 " + "x".repeat(30));`);
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV, outputLimitBytes: 40 });
    expect(result.output).toBe(`[output cut: 75 bytes in all, only the last 40 bytes kept]\nkey *** ${"x".repeat(30)}`);
  });

  it("a child that never reads stdin is fine (EPIPE ignored)", async () => {
    const path = script("no-stdin.mjs", `process.stdin.destroy(); console.log("done");`);
    const input = { task: { blob: "x".repeat(1024 * 1024) }, vars: VARS };
    const result = await runExecAgent(spec(path), input, { baseEnv: BASE_ENV });
    expect(result.outcome).toBe("succeeded");
    expect(result.output).toBe("done\n");
  });

  it("exit 75 (EX_TEMPFAIL) is transient", async () => {
    const path = script("tempfail.mjs", `console.log("rate limited upstream"); process.exit(75);`);
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "transient", exitCode: 75, timedOut: false, error: "exit code 75 (EX_TEMPFAIL)" });
    expect(result.output).toContain("rate limited upstream");
  });

  it.each([1, 2, 64])("exit %i is permanent", async (code) => {
    const path = script(`exit-${code}.mjs`, `process.exit(${code});`);
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "permanent", exitCode: code, error: `exit code ${code} (exit 75 to be retried)` });
  });

  it("a crash by a signal it did not get from us is permanent", async () => {
    const path = script("segv.mjs", `process.kill(process.pid, "SIGSEGV");`);
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "permanent", exitCode: null, signal: "SIGSEGV", error: "killed by SIGSEGV" });
  });

  it("a SIGKILL or SIGTERM from outside (the out-of-memory killer, an operator) is transient: a later try may run", async () => {
    for (const signal of ["SIGKILL", "SIGTERM"]) {
      const path = script(`${signal}.mjs`, `process.kill(process.pid, "${signal}");`);
      const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV });
      expect(result).toMatchObject({ outcome: "transient", exitCode: null, signal, error: `killed by ${signal} from outside switchyard (the out-of-memory killer, or someone stopping it)` });
    }
  });

  it("a timeout kills the whole process group, grandchild included, and is transient", async () => {
    const pidFile = join(dir, "timeout.pid");
    const path = script("hang.mjs", SPAWNS_GRANDCHILD);
    const result = await runExecAgent({ argv: [NODE, path, pidFile], timeoutMs: 500, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "transient", timedOut: true, signal: "SIGTERM" });
    expect(result.error).toBe("timed out after 500ms; process group killed");
    expect(result.output).toContain("spawned");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(grandchild).toBeGreaterThan(0);
    expect(await eventually(() => isGone(grandchild))).toBe(true);
  });

  it("escalates to SIGKILL when the group ignores SIGTERM", async () => {
    const pidFile = join(dir, "stubborn.pid");
    // trap '' TERM is inherited by the sleeping grandchild: only SIGKILL ends either.
    const argv = ["sh", "-c", `trap '' TERM; sleep 60 & echo $! > "$0"; wait`, pidFile];
    const result = await runExecAgent({ argv, timeoutMs: 300, env: [] }, INPUT, { baseEnv: BASE_ENV, killGraceMs: 200 });
    expect(result).toMatchObject({ outcome: "transient", timedOut: true, signal: "SIGKILL" });
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await eventually(() => isGone(grandchild))).toBe(true);
  });

  it("an abort (shutdown) kills the group and is transient", async () => {
    const pidFile = join(dir, "abort.pid");
    const path = script("hang-abort.mjs", SPAWNS_GRANDCHILD);
    const controller = new AbortController();
    const running = runExecAgent({ argv: [NODE, path, pidFile], timeoutMs: 60_000, env: [] }, INPUT, {
      baseEnv: BASE_ENV,
      signal: controller.signal,
    });
    expect(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "", 10_000)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ outcome: "transient", timedOut: false, error: "aborted (shutdown); process group killed" });
    expect(await eventually(() => isGone(Number(readFileSync(pidFile, "utf8"))))).toBe(true);
  });

  it("an already aborted signal runs nothing", async () => {
    const marker = join(dir, "never-ran");
    const path = script("touch.mjs", `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, "ran");`);
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV, signal: AbortSignal.abort() });
    expect(result).toMatchObject({ outcome: "transient", exitCode: null, error: "aborted before start" });
    expect(existsSync(marker)).toBe(false);
  });

  it("a task document nested too deep to encode runs nothing and is permanent, with a clear error", async () => {
    const marker = join(dir, "never-ran-deep");
    const path = script("touch-deep.mjs", `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, "ran");`);
    // What ingest accepts from a body some thousands of levels deep (JSON.parse has no depth limit).
    const deep = JSON.parse(`${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`) as Record<string, unknown>;
    const result = await runExecAgent(spec(path), { ...INPUT, task: { ...INPUT.task, payload: deep } }, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "permanent", exitCode: null });
    expect(result.error).toBe("the task document cannot be encoded as JSON (its payload nests too deep): an external agent cannot be handed this delivery");
    expect(existsSync(marker)).toBe(false);
  });

  it("a background process left behind after a clean exit is ended too", async () => {
    const pidFile = join(dir, "leftover.pid");
    const argv = ["sh", "-c", `sleep 60 > /dev/null 2>&1 & echo $! > "$0"; echo finished`, pidFile];
    const result = await runExecAgent({ argv, timeoutMs: 10_000, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "succeeded", exitCode: 0, error: null });
    // Said where the output is read (tasks show, the dashboard): the background work did not finish.
    expect(result.output).toBe(`finished\n${LEFTOVERS_ENDED}`);
    expect(await eventually(() => isGone(Number(readFileSync(pidFile, "utf8"))))).toBe(true);
  });

  it("a clean exit that leaves nothing running says nothing more", async () => {
    const result = await runExecAgent({ argv: ["sh", "-c", "echo finished"], timeoutMs: 10_000, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "succeeded", output: "finished\n" });
  });

  it("passes only the allowlisted environment", async () => {
    const path = script("env.mjs", `console.log(JSON.stringify(process.env));`);
    const listed = ["OPENAI_API_KEY", "GITHUB_TOKEN", "WEBHOOK_SECRET", "ADMIN_TOKEN", "GITHUB_APP_PRIVATE_KEY", "NOT_SET"];
    const result = await runExecAgent(spec(path, 10_000, listed), INPUT, { baseEnv: BASE_ENV });
    expect(result.outcome).toBe("succeeded");
    const env = JSON.parse(result.output) as Record<string, string>;
    expect(env).toMatchObject({ ...VARS, PATH: process.env.PATH, HOME: "/home/agent", LANG: "C.UTF-8" });
    // Passed: the agent printed their values, which the kept output then masks.
    expect(env.OPENAI_API_KEY).toBe("***");
    expect(env.GITHUB_TOKEN).toBe("***");
    for (const secret of ["WEBHOOK_SECRET", "ADMIN_TOKEN", "GITHUB_APP_PRIVATE_KEY", "DATABASE_URL", "TZ", "NOT_SET"]) {
      expect(env).not.toHaveProperty(secret);
    }
    expect(result.output).not.toMatch(/do-not-leak|PRIVATE KEY|u:p@db/);
    expect(Object.keys(env).sort()).toEqual(
      ["GITHUB_TOKEN", "HOME", "LANG", "OPENAI_API_KEY", "PATH", ...Object.keys(VARS)].sort(),
    );
  });

  it("does not pass GITHUB_TOKEN unless listed", async () => {
    const path = script("env2.mjs", `console.log(JSON.stringify(process.env));`);
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV });
    expect(JSON.parse(result.output)).not.toHaveProperty("GITHUB_TOKEN");
  });

  it("a missing program is permanent with a clear error", async () => {
    const result = await runExecAgent({ argv: ["./no-such-agent.sh"], timeoutMs: 1000, env: [] }, INPUT, {
      baseEnv: BASE_ENV,
      cwd: dir,
    });
    expect(result).toMatchObject({ outcome: "permanent", exitCode: null, signal: null, timedOut: false, output: "" });
    expect(result.error).toBe(`cannot run ./no-such-agent.sh: ${join(dir, "no-such-agent.sh")} does not exist`);
  });

  it("a bare program name found on no PATH directory says so, naming PATH", async () => {
    const result = await runExecAgent({ argv: ["nosuchprog-switchyard"], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: BASE_ENV, cwd: dir });
    expect(result).toMatchObject({ outcome: "permanent", exitCode: null, output: "" });
    expect(result.error).toBe("cannot run nosuchprog-switchyard: not found on PATH: install it where switchyard runs, or write its path");
    const noPath = await runExecAgent({ argv: ["nosuchprog-switchyard"], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: { ...BASE_ENV, PATH: "" }, cwd: dir });
    expect(noPath.error).toBe("cannot run nosuchprog-switchyard: not found on PATH (the agent's PATH is empty): install it where switchyard runs, or write its path");
  });

  it("a working directory that does not exist is named, not taken for a missing program", async () => {
    const gone = join(dir, "no-such-dir");
    const result = await runExecAgent({ argv: [NODE, "-e", ""], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: BASE_ENV, cwd: gone });
    expect(result).toMatchObject({ outcome: "permanent", error: `cannot run ${NODE}: its working directory ${gone} does not exist` });
  });

  it("a script whose #! line has Windows line endings, or names a missing interpreter, says so instead of 'does not exist'", async () => {
    const crlf = script("crlf.sh", "#!/bin/sh\r\necho hi\r\n");
    chmodSync(crlf, 0o755);
    const result = await runExecAgent({ argv: ["./crlf.sh"], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: BASE_ENV, cwd: dir });
    expect(result.outcome).toBe("permanent");
    expect(result.error).toBe("cannot run ./crlf.sh: its #! line ends with a carriage return (Windows line endings): convert the file with dos2unix, or sed -i 's/\\r$//'");
    const missing = script("missing-interpreter.sh", "#!/opt/no-such/bin/python9 -u\nprint('hi')\n");
    chmodSync(missing, 0o755);
    const second = await runExecAgent({ argv: [missing], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(second.error).toBe(`cannot run ${missing}: its #! interpreter /opt/no-such/bin/python9 is not installed here`);
  });

  it("exit 127 is permanent and says command not found: the #! line's env program when that is what is missing", async () => {
    const viaEnv = script("env-missing.sh", "#!/usr/bin/env nodejs-missing\n");
    chmodSync(viaEnv, 0o755);
    const missing = await runExecAgent({ argv: [viaEnv], timeoutMs: 5000, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(missing).toMatchObject({ outcome: "permanent", exitCode: 127 });
    expect(missing.error).toBe(`command not found (exit 127): ${viaEnv}: its #! line runs env nodejs-missing, and nodejs-missing is not found on PATH`);
    const inside = script("exit-127.mjs", "process.exit(127);");
    const ran = await runExecAgent(spec(inside), INPUT, { baseEnv: BASE_ENV });
    expect(ran).toMatchObject({ outcome: "permanent", exitCode: 127 });
    expect(ran.error).toMatch(/^command not found \(exit 127\): .+, or a command it ran, is not installed where switchyard runs \(see the output\)$/);
  });

  it("a program that is not executable is permanent with a clear error", async () => {
    const path = script("not-executable.sh", "#!/bin/sh\necho hi\n");
    chmodSync(path, 0o644);
    const result = await runExecAgent({ argv: [path], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(result.outcome).toBe("permanent");
    expect(result.error).toBe(`cannot run ${path}: permission denied (is it executable?)`);
    // A directory has its execute bit: chmod would not help, and the error says what it is.
    const dir = dirname(path);
    const directory = await runExecAgent({ argv: [dir], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(directory.outcome).toBe("permanent");
    expect(directory.error).toBe(`cannot run ${dir}: ${dir} is a directory, not a program: name the program inside it`);
  });

  it("an empty argv is permanent", async () => {
    const result = await runExecAgent({ argv: [], timeoutMs: 1000, env: [] }, INPUT, { baseEnv: BASE_ENV });
    expect(result).toMatchObject({ outcome: "permanent", error: "exec agent has an empty argv" });
  });

  it("keeps only the tail of a huge output", async () => {
    const path = script(
      "chatty.mjs",
      `const line = "é".repeat(511) + "\\n"; for (let i = 0; i < 4096; i++) process.stdout.write(line); process.stdout.write("THE END\\n");`,
    );
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV, outputLimitBytes: 1000 });
    expect(result.outcome).toBe("succeeded");
    const [note, ...kept] = result.output.split("\n");
    expect(note).toBe("[output cut: 4 MiB in all, only the last 1000 bytes kept]");
    const tail = kept.join("\n");
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(tail)).toBeGreaterThan(990);
    expect(tail.endsWith("THE END\n")).toBe(true);
    // The cut never leaves half a UTF-8 character at the front.
    expect(result.output).not.toContain("\uFFFD");
  });

  it("defaults to a 16 KiB tail", async () => {
    const path = script("chatty2.mjs", `process.stdout.write("x".repeat(100_000));`);
    const result = await runExecAgent(spec(path), INPUT, { baseEnv: BASE_ENV });
    expect(result.output).toBe(`[output cut: 98 KiB in all, only the last 16 KiB kept]\n${"x".repeat(16 * 1024)}`);
  });
});

describe("buildExecEnv", () => {
  it("takes the base names and listed names from baseEnv, then vars, never the secrets", () => {
    const env = buildExecEnv(["OPENAI_API_KEY", "WEBHOOK_SECRET", "MISSING"], { SWITCHYARD_TASK: "1", ADMIN_TOKEN: "x" }, {
      PATH: "/bin",
      HOME: "",
      TMPDIR: "/tmp",
      OPENAI_API_KEY: "sk",
      WEBHOOK_SECRET: "s",
      SHELL: "/bin/bash",
    });
    expect(env).toEqual({ PATH: "/bin", TMPDIR: "/tmp", OPENAI_API_KEY: "sk", SWITCHYARD_TASK: "1" });
  });

  it("lets vars override a same-named base variable", () => {
    expect(buildExecEnv(["SWITCHYARD_TASK"], { SWITCHYARD_TASK: "real" }, { SWITCHYARD_TASK: "spoofed" })).toEqual({
      SWITCHYARD_TASK: "real",
    });
  });
});
