import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runGit } from "../../../../src/agents/executors/workspace/run-git.js";

/**
 * The coding agent runs as switchyard's user with its HOME: what it writes into ~/.gitconfig
 * or into a repository's hooks must not reach the git commands switchyard runs with the token.
 */
describe("runGit confines git", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-git-confined-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads no global config and runs no hook", async () => {
    const home = path.join(dir, "home");
    mkdirSync(home);
    // What an agent could plant: a proxy that would receive the token's Authorization header.
    writeFileSync(path.join(home, ".gitconfig"), "[http]\n\tproxy = http://127.0.0.1:9\n");
    const baseEnv = { PATH: process.env.PATH, HOME: home };
    const repo = path.join(dir, "repo");
    await runGit(["init", "-q", repo], { cwd: dir, baseEnv });
    await expect(runGit(["config", "--get", "http.proxy"], { cwd: repo, baseEnv })).rejects.toMatchObject({ code: 1 });
    // A hook that would run when a ref moves (as a fetch moves them).
    const ran = path.join(dir, "hook-ran");
    const hook = path.join(repo, ".git", "hooks", "reference-transaction");
    writeFileSync(hook, `#!/bin/sh\ntouch ${JSON.stringify(ran)}\n`);
    chmodSync(hook, 0o755);
    const author = { GIT_AUTHOR_NAME: "a", GIT_AUTHOR_EMAIL: "a@example.com", GIT_COMMITTER_NAME: "a", GIT_COMMITTER_EMAIL: "a@example.com" };
    await runGit(["commit", "-q", "--allow-empty", "-m", "x"], { cwd: repo, baseEnv, env: author });
    expect(existsSync(ran)).toBe(false);
  });
});
