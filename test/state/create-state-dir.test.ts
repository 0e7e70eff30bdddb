import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createStateDir } from "../../src/create-state-dir.js";
import { runCli, startServeProcess } from "../support/serve-process.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-state-"));
  dirs.push(dir);
  return dir;
}

const git = (cwd: string, args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });

describe("createStateDir", () => {
  it("writes a .gitignore of * into a .switchyard directory it creates, at any depth of the path", () => {
    const dir = tempDir();
    createStateDir(path.join(dir, ".switchyard", "workspaces", "locks"));
    expect(readFileSync(path.join(dir, ".switchyard", ".gitignore"), "utf8")).toMatch(/^\*$/m);
    // Only the .switchyard directory: the ones below it are inside what it ignores.
    expect(existsSync(path.join(dir, ".switchyard", "workspaces", ".gitignore"))).toBe(false);
  });

  it("gives a .switchyard directory that already existed without one (an older switchyard's) its .gitignore, and leaves one that has one, and other directories, as they are", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, ".switchyard"));
    createStateDir(path.join(dir, ".switchyard", "workspaces"));
    expect(readFileSync(path.join(dir, ".switchyard", ".gitignore"), "utf8")).toMatch(/^\*$/m);
    const own = path.join(dir, "other", ".switchyard");
    mkdirSync(own, { recursive: true });
    writeFileSync(path.join(own, ".gitignore"), "db\n");
    createStateDir(own);
    expect(readFileSync(path.join(own, ".gitignore"), "utf8")).toBe("db\n");
    createStateDir(path.join(dir, "data"));
    expect(existsSync(path.join(dir, "data"))).toBe(true);
    expect(existsSync(path.join(dir, "data", ".gitignore"))).toBe(false);
  });

  it("goes on when the .switchyard directory above cannot take its .gitignore (read-only, another owner)", () => {
    const dir = tempDir();
    const state = path.join(dir, ".switchyard");
    mkdirSync(path.join(state, "data"), { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(state, 0o555);
    // The data directory writable by the user switchyard runs as, .switchyard itself not (root may write anywhere: run as nobody).
    const nobody = 65534;
    chownSync(path.join(state, "data"), nobody, nobody);
    const asNobody = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    // The build's copy (the test setup builds src/; it imports only Node's own modules), copied
    // where that user can read it (the checkout may not be), run in a process of its own as that user.
    const copy = path.join(dir, "create-state-dir.mjs");
    copyFileSync(path.resolve("dist/create-state-dir.js"), copy);
    chmodSync(copy, 0o644);
    const module = pathToFileURL(copy).href;
    const script = `import(${JSON.stringify(module)}).then((m) => m.createStateDir(${JSON.stringify(path.join(state, "data", "workspaces"))}))`;
    const [command, ...args] = [...asNobody, process.execPath, "-e", script];
    const run = spawnSync(command!, args, { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(path.join(state, "data", "workspaces"))).toBe(true);
    expect(existsSync(path.join(state, ".gitignore"))).toBe(false);
    chmodSync(state, 0o755);
  });
});

describe("what serve keeps in .switchyard/ stays out of git", () => {
  it("after init and a first serve in a repository, git sees nothing under .switchyard: not the secret, not the database", async () => {
    const dir = tempDir();
    git(dir, ["init", "--quiet", "--initial-branch", "main"]);
    const init = await runCli(["init"], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).not.toMatch(/commit these files/);
    // No WEBHOOK_SECRET: serve generates one into .switchyard/webhook-secret; the database is the default one beside it.
    const server = await startServeProcess(dir, {});
    server.child.kill("SIGTERM");
    await server.exited;
    expect(existsSync(path.join(dir, ".switchyard", "webhook-secret"))).toBe(true);
    expect(existsSync(path.join(dir, ".switchyard", "switchyard.db"))).toBe(true);

    const status = git(dir, ["status", "--porcelain", "--untracked-files=all"]).split("\n").filter(Boolean);
    expect(status.length).toBeGreaterThan(0); // what init wrote is there to commit
    expect(status.filter((line) => line.includes(".switchyard"))).toEqual([]);
    expect(git(dir, ["add", "-A", "--dry-run"])).not.toContain(".switchyard");
    // Nothing else in the repository was changed for it: no .gitignore at the root.
    expect(existsSync(path.join(dir, ".gitignore"))).toBe(false);
  });
});
