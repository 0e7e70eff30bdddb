import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareWorkspace } from "../../../../src/agents/executors/workspace/prepare-workspace.js";
import { runGit } from "../../../../src/agents/executors/workspace/run-git.js";

/**
 * In Actions the job's checkout is the workspace's object store. A checkout made with
 * actions/checkout's `sparse-checkout` holds a few paths: the task's worktree must hold them all.
 */
describe("a workspace on a sparse job checkout", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-sparse-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const baseEnv = { PATH: process.env.PATH, HOME: dir };
  const author = { GIT_AUTHOR_NAME: "a", GIT_AUTHOR_EMAIL: "a@example.com", GIT_COMMITTER_NAME: "a", GIT_COMMITTER_EMAIL: "a@example.com" };
  const git = (args: string[], cwd: string) => runGit(args, { cwd, baseEnv, env: author });

  it("gets a worktree with every file of the repository, and leaves the job's checkout sparse", async () => {
    const source = path.join(dir, "source");
    mkdirSync(path.join(source, "src"), { recursive: true });
    writeFileSync(path.join(source, "switchyard.config.yaml"), "agents: {}\n");
    writeFileSync(path.join(source, "src", "app.js"), "export {};\n");
    await git(["init", "-q", "-b", "main"], source);
    await git(["add", "-A"], source);
    await git(["commit", "-q", "-m", "first"], source);
    const remote = `file://${source}`;
    const checkout = path.join(dir, "checkout");
    await git(["clone", "-q", "--no-checkout", remote, checkout], dir);
    await git(["sparse-checkout", "set", "--no-cone", "switchyard.config.yaml"], checkout);
    await git(["checkout", "-q", "main"], checkout);
    expect(existsSync(path.join(checkout, "src", "app.js"))).toBe(false);

    const worktree = path.join(dir, "worktrees", "issue-1-task-1");
    const workspace = await prepareWorkspace({
      mirror: checkout, ownMirror: false, worktree, remote, token: null, repository: "octo/app", issue: 1,
      branch: "switchyard/issue-1-notes", branchPrefix: "switchyard/", defaultBranch: "main", baseEnv,
    });
    expect(workspace.worktree).toBe(worktree);
    expect(readFileSync(path.join(worktree, "src", "app.js"), "utf8")).toBe("export {};\n");
    // The job's own checkout is as it was.
    expect(existsSync(path.join(checkout, "src", "app.js"))).toBe(false);
  });
});
