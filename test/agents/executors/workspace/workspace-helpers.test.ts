import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../../../../src/config/schema.js";
import { branchName } from "../../../../src/agents/executors/workspace/branch-name.js";
import { diskUsage, enforceDiskBudget } from "../../../../src/agents/executors/workspace/enforce-disk-budget.js";
import { gitAuthEnv } from "../../../../src/agents/executors/workspace/git-auth-env.js";
import { acquireIssueLock } from "../../../../src/agents/executors/workspace/issue-lock.js";
import { hidePaths, maskSecrets, tailOf } from "../../../../src/agents/executors/workspace/mask-secrets.js";
import { remoteUrl } from "../../../../src/agents/executors/workspace/remote-url.js";
import { renderPullBody } from "../../../../src/agents/executors/workspace/render-pull-body.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-ws-unit-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("branchName", () => {
  it.each([
    ["switchyard/", 12, "Login page crashes: fix it!", "switchyard/issue-12-login-page-crashes-fix-it"],
    ["bot-", 3, "  Ünïcode — and ÉMOJI 🚀 ", "bot-issue-3-unicode-and-emoji"],
    ["switchyard/", 4, "!!!", "switchyard/issue-4"],
    ["switchyard/", 5, "a".repeat(100), `switchyard/issue-5-${"a".repeat(40)}`],
    ["s/", 6, "ends with a dash after the cut at forty chars-x", "s/issue-6-ends-with-a-dash-after-the-cut-at-forty"],
  ])("%s + #%d %j → %s", (prefix, issue, title, expected) => {
    expect(branchName(prefix, issue, title)).toBe(expected);
  });
});

describe("maskSecrets and tailOf", () => {
  it("masks given values, GitHub token shapes and URL credentials", () => {
    const text = "key=abc12345 token ghs_0123456789abcdefghijABCDEFGHIJ url https://x-access-token:hunter22@github.com/o/r.git";
    expect(maskSecrets(text, ["abc12345", null, undefined, "ab"])).toBe("key=*** token *** url https://***@github.com/o/r.git");
  });
  it("masks the longer of two overlapping secrets whole", () => {
    expect(maskSecrets("value secret-long-part", ["secret", "secret-long-part"])).toBe("value ***");
  });
  it("keeps the last lines within a character budget", () => {
    expect(tailOf("a\nb\nc\n\n", 2, 100)).toBe("b\nc");
    expect(tailOf("0123456789", 5, 4)).toBe("…6789");
  });
});

describe("gitAuthEnv and remoteUrl", () => {
  it("scopes the header to the remote's origin, and gives nothing to non-HTTP remotes or without a token", () => {
    const env = gitAuthEnv("https://github.example.com/octo/app.git", "tok");
    expect(env).toEqual({
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.https://github.example.com/.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from("x-access-token:tok").toString("base64")}`,
    });
    expect(gitAuthEnv("file:///srv/git/octo/app.git", "tok")).toEqual({});
    expect(gitAuthEnv("https://github.com/octo/app.git", null)).toEqual({});
  });
  it("fills the template, defaulting to GITHUB_SERVER_URL or github.com", () => {
    expect(remoteUrl(null, "octo/app", {})).toBe("https://github.com/octo/app.git");
    expect(remoteUrl(null, "octo/app", { GITHUB_SERVER_URL: "https://ghe.example.com/" })).toBe("https://ghe.example.com/octo/app.git");
    expect(remoteUrl("file:///srv/{owner}/{repo}.git", "octo/app", {})).toBe("file:///srv/octo/app.git");
  });
});

describe("renderPullBody", () => {
  it("closes the issue, carries the plan checklist and fences the summary safely", () => {
    const body = renderPullBody({ issue: 7, plan: [{ text: "Do it", done: false, agent: "CodeGenAgent" }, { text: "Test it", done: true, agent: "TestAgent" }], task: "4", attempt: 2, summary: "has ``` inside" });
    expect(body).toContain("Closes #7");
    expect(body).toContain("- [ ] Do it\n- [x] Test it");
    expect(body).toContain("(task 4, attempt 2)");
    expect(body).toContain("````\nhas ``` inside\n````");
  });

  it("publishes the issue author's steps as text and a summary no fence inside can close", () => {
    const body = renderPullBody({ issue: 7, plan: [{ text: "fix it @acme/everyone <img src=https://evil.example/x.png> [login](https://evil.example)", done: false, agent: "CodeGenAgent" }], task: "4", attempt: 1, summary: "``` and ~~~~\n@acme/everyone" });
    expect(body).toContain(String.raw`- [ ] fix it @&#8203;acme/everyone &lt;img src=https\://evil\.example/x\.png&gt; \[login\]\(https\://evil\.example\)`);
    expect(body).toContain("````\n``` and ~~~~\n@acme/everyone\n````");
  });
});

describe("acquireIssueLock", () => {
  it("holds one workspace per issue: a second task is refused until the first releases", async () => {
    const dir = tempDir();
    const first = await acquireIssueLock(dir, "octo/app", 1, "10");
    expect(first.acquired).toBe(true);
    const second = await acquireIssueLock(dir, "octo/app", 1, "11");
    expect(second).toMatchObject({ acquired: false, holder: { task: "10", pid: process.pid } });
    expect((await acquireIssueLock(dir, "octo/app", 2, "12")).acquired).toBe(true);
    if (first.acquired) await first.release();
    expect((await acquireIssueLock(dir, "octo/app", 1, "11")).acquired).toBe(true);
  });
  it("takes over a lock left by a process of this host that is gone, and honours one of another host", async () => {
    const dir = tempDir();
    const file = path.join(dir, "octo", "app", "issue-3.lock");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ task: "1", host: "elsewhere", pid: 1, since: 0 }));
    expect(await acquireIssueLock(dir, "octo/app", 3, "2")).toMatchObject({ acquired: false, holder: { host: "elsewhere" } });
    // pid 2^22+1 is above Linux's pid_max default: no such process.
    writeFileSync(file, JSON.stringify({ task: "1", host: (await import("node:os")).hostname(), pid: 4_194_305, since: 0 }));
    expect((await acquireIssueLock(dir, "octo/app", 3, "2")).acquired).toBe(true);
  });
  it("takes over another host's lock only once it is older than any run lasts, and a lock of the same task at once", async () => {
    const dir = tempDir();
    const file = path.join(dir, "octo", "app", "issue-8.lock");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ task: "1", host: "a-pod-that-is-gone", pid: 7, since: 1_000 }));
    expect(await acquireIssueLock(dir, "octo/app", 8, "2", { now: 1_000 + 3_600_000, staleAfterMs: 3_600_000 })).toMatchObject({ acquired: false });
    const taken = await acquireIssueLock(dir, "octo/app", 8, "2", { now: 1_000 + 3_600_001, staleAfterMs: 3_600_000 });
    expect(taken.acquired).toBe(true);
    if (taken.acquired) await taken.release();
    // The task's own earlier attempt (its worker died elsewhere): this attempt takes the lock.
    writeFileSync(file, JSON.stringify({ task: "3", host: "a-pod-that-is-gone", pid: 7, since: Date.now() }));
    expect((await acquireIssueLock(dir, "octo/app", 8, "3")).acquired).toBe(true);
  });

  it("takes over a lock whose pid now names a process that started after the lock was taken", async () => {
    const dir = tempDir();
    const file = path.join(dir, "octo", "app", "issue-4.lock");
    mkdirSync(path.dirname(file), { recursive: true });
    const host = (await import("node:os")).hostname();
    // pid 1 is alive, but it is not the process that took this lock (its start differs).
    writeFileSync(file, JSON.stringify({ task: "999", host, pid: 1, start: "another-boot:1", since: 0 }));
    expect((await acquireIssueLock(dir, "octo/app", 4, "5")).acquired).toBe(true);
    // Without a recorded start (an older lock), a live pid is still honoured.
    const older = path.join(dir, "octo", "app", "issue-6.lock");
    writeFileSync(older, JSON.stringify({ task: "999", host, pid: 1, since: 0 }));
    expect(await acquireIssueLock(dir, "octo/app", 6, "7")).toMatchObject({ acquired: false, holder: { task: "999" } });
  });
});

describe("enforceDiskBudget", () => {
  function mirror(root: string, name: string, bytes: number, mtime: number): string {
    const dir = path.join(root, "mirrors", "octo", `${name}.git`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "pack"), Buffer.alloc(bytes));
    utimesSync(dir, mtime, mtime);
    return dir;
  }
  it("removes the least recently used mirrors not in use until under budget", async () => {
    const root = tempDir();
    const old = mirror(root, "old", 100_000, 1000);
    const mid = mirror(root, "mid", 100_000, 2000);
    const busy = mirror(root, "busy", 100_000, 500);
    const total = await diskUsage(root);
    const oldUsage = await diskUsage(old);
    // Room for all but one mirror: the oldest not in use goes.
    const result = await enforceDiskBudget(root, total - oldUsage, new Set([busy]));
    expect(result.removed).toEqual([old]);
    expect(result.used).toBe(total - oldUsage);
    expect(existsSync(mid)).toBe(true);
    expect(existsSync(busy)).toBe(true);
  });
  it("reports what it could not free when every mirror is in use", async () => {
    const root = tempDir();
    const busy = mirror(root, "busy", 3000, 500);
    expect(await enforceDiskBudget(root, 1000, new Set([busy]))).toEqual({ used: await diskUsage(root), removed: [] });
  });
  it("counts the disk a tree takes, as du does, not the sum of its files' sizes", async () => {
    const root = tempDir();
    const dir = path.join(root, "many");
    mkdirSync(dir);
    for (let i = 0; i < 50; i++) writeFileSync(path.join(dir, `f${i}`), "x");
    const du = Number(execFileSync("du", ["-s", "--apparent-size", "--block-size=1", dir], { encoding: "utf8" }).split("\t")[0]);
    const blocks = Number(execFileSync("du", ["-s", "--block-size=1", dir], { encoding: "utf8" }).split("\t")[0]);
    // 50 one-byte files: ~50 bytes of content, 50 blocks of disk.
    expect(du).toBeLessThan(10_000);
    expect(await diskUsage(dir)).toBe(blocks);
  });
});

describe("workspace executor config", () => {
  it("fills the defaults and refuses unknown keys and credentials in the remote", () => {
    const config = configSchema.parse({ agents: { ExecutionAgent: { workspace: { run: ["agent", "{promptFile}"] } } } });
    expect(config.agents.ExecutionAgent).toEqual({
      workspace: {
        run: ["agent", "{promptFile}"], timeout: 1_800_000, env: [], author: "switchyard <switchyard@users.noreply.github.com>", branchPrefix: "switchyard/",
        remote: null, dir: ".switchyard/workspaces", diskBudget: 10 * 1024 ** 3, labels: ["switchyard"],
      },
    });
    expect(configSchema.safeParse({ agents: { ExecutionAgent: { workspace: { run: ["a"], branchPrfix: "x/" } } } }).success).toBe(false);
    expect(configSchema.safeParse({ agents: { ExecutionAgent: { workspace: { run: ["a"], remote: "https://me:tok@github.com/{owner}/{repo}.git" } } } }).success).toBe(false);
    expect(configSchema.safeParse({ agents: { ExecutionAgent: { workspace: { run: [] } } } }).success).toBe(false);
  });
});

describe("hidePaths", () => {
  it("names this machine's paths in text for a public issue, the longest first", () => {
    const names = { "/srv/ws": "<workspaces>", "/srv/ws/worktrees/o/r/issue-1-task-3": "<worktree>", "/srv/ws/mirrors/o/r.git": "<mirror>" };
    expect(hidePaths("cannot run ./agents/a.sh: /srv/ws/worktrees/o/r/issue-1-task-3/agents/a.sh does not exist", names)).toBe("cannot run ./agents/a.sh: <worktree>/agents/a.sh does not exist");
    expect(hidePaths("fetch into /srv/ws/mirrors/o/r.git failed; /srv/ws is over budget", names)).toBe("fetch into <mirror> failed; <workspaces> is over budget");
    expect(hidePaths("nothing local here", names)).toBe("nothing local here");
  });
});

describe("git's errors as people read them", () => {
  it("names the git command past its global options, and keeps the errors and the remote's words, not the hints", async () => {
    const { subcommandOf, summarizeStderr } = await import("../../../../src/agents/executors/workspace/run-git.js");
    expect(subcommandOf(["-c", "credential.helper=", "-C", "/tmp/x", "push", "origin", "b"])).toBe("push");
    expect(subcommandOf(["--no-pager", "log"])).toBe("log");
    const push = "To http://127.0.0.1/x.git\nremote: protected by policy\n ! [remote rejected] b -> b (pre-receive hook declined)\nerror: failed to push some refs to 'http://127.0.0.1/x.git'\nhint: Updates were rejected";
    expect(summarizeStderr(push)).toBe("remote: protected by policy  ! [remote rejected] b -> b (pre-receive hook declined) error: failed to push some refs to 'http://127.0.0.1/x.git'");
    expect(summarizeStderr("hint: Use the --sparse option\nhint: to update the index\nThe following paths are outside your sparse-checkout definition:\nnotes/x.txt")).toBe("The following paths are outside your sparse-checkout definition: notes/x.txt");
    expect(summarizeStderr("one\ntwo\nthree\nfour")).toBe("two three four");
  });
});

describe("pushedByThisTask", () => {
  it("finds an earlier attempt's commit only for the same task, delivery and replay count", async () => {
    const { pushedByThisTask } = await import("../../../../src/agents/executors/workspace/publish-changes.js");
    const dir = tempDir();
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@x" } }).trim();
    git("init", "--quiet");
    // A delivery id may hold any printable character but the space.
    const delivery = "d-1;x),replay";
    git("commit", "--quiet", "--allow-empty", "-m", "#7: a title", "-m", `Made by a coding agent in switchyard's workspace (task 12, attempt 2; delivery ${delivery}, replay 0).`, "-m", "Switchyard-Issue: o/r#7");
    const startSha = git("rev-parse", "HEAD");
    const workspace = { worktree: dir, branch: "switchyard/issue-7", defaultBranch: "main", startSha, reused: true };
    const look = (task: string, run: { delivery: string; replays: number }, reused = true) => pushedByThisTask({ workspace: { ...workspace, reused }, task, run, baseEnv: process.env });
    expect(await look("12", { delivery, replays: 0 })).toEqual({ commit: startSha, attempt: 2 });
    expect(await look("12", { delivery, replays: 1 })).toBeNull(); // replayed since: a new run
    expect(await look("12", { delivery: "d-2", replays: 0 })).toBeNull(); // another store's task 12
    expect(await look("1", { delivery, replays: 0 })).toBeNull();
    expect(await look("12", { delivery, replays: 0 }, false)).toBeNull(); // a new branch: nothing pushed
  });
});
