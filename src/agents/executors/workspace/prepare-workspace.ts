import { existsSync } from "node:fs";
import { mkdir, rm, utimes } from "node:fs/promises";
import path from "node:path";
import { PermanentError } from "../../../queue/agent-errors.js";
import { gitAuthEnv } from "./git-auth-env.js";
import { runGit } from "./run-git.js";

/** The trailer on switchyard's commits: it marks a branch as one switchyard created. */
export const ISSUE_TRAILER = "Switchyard-Issue";

export interface PrepareInput {
  /** The object store worktrees are added to: a bare mirror, or the job's checkout in Actions. */
  mirror: string;
  /** True for a bare mirror switchyard owns (created here when missing). */
  ownMirror: boolean;
  worktree: string;
  remote: string;
  token: string | null;
  repository: string;
  issue: number;
  branch: string;
  branchPrefix: string;
  /** The default branch from the event, or null to ask the remote. */
  defaultBranch: string | null;
  baseEnv: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface Workspace {
  worktree: string;
  branch: string;
  defaultBranch: string;
  /** The commit the worktree started at: the branch's tip when it existed, else the default branch's. */
  startSha: string;
  /** The branch existed on the remote already (a replay, a later `/agent execute`). */
  reused: boolean;
}

/** Where fetched branches are kept in the mirror: never under refs/heads, which worktrees check out. */
const REMOTE_REFS = "refs/remotes/origin";

/**
 * A fresh worktree for one task: the mirror is created once per repository and fetched (the
 * default branch and switchyard's own branches only), then a worktree is added on the
 * task's branch — from the branch's tip when switchyard pushed it before, else from the
 * default branch. A branch of that name that switchyard did not create is refused.
 */
export async function prepareWorkspace(input: PrepareInput): Promise<Workspace> {
  const { mirror, baseEnv, signal, token } = input;
  const git = (args: string[], cwd = mirror, env?: Record<string, string>) => runGit(args, { cwd, baseEnv, signal, env, secrets: token ? [token] : [] });
  if (input.ownMirror && !existsSync(path.join(mirror, "HEAD"))) {
    await mkdir(mirror, { recursive: true });
    await git(["init", "--bare", "--quiet"]);
  }
  if (input.ownMirror) await utimes(mirror, new Date(), new Date()).catch(() => undefined);
  const auth = gitAuthEnv(input.remote, token);
  const defaultBranch = input.defaultBranch ?? (await remoteDefaultBranch(input.remote, (args, env) => git(args, mirror, env), auth));
  await git(
    ["fetch", "--prune", "--no-tags", "--quiet", input.remote, `+refs/heads/${defaultBranch}:${REMOTE_REFS}/${defaultBranch}`, `+refs/heads/${input.branchPrefix}*:${REMOTE_REFS}/${input.branchPrefix}*`],
    mirror,
    auth,
  );
  const exists = (branch: string) => git(["rev-parse", "--verify", "--quiet", `${REMOTE_REFS}/${branch}^{commit}`]).then(() => true, () => false);
  let branch = input.branch;
  let reused = await exists(branch);
  if (reused) await assertOwnBranch(input, branch, defaultBranch, (args) => git(args));
  else {
    // The issue was renamed since an earlier run: its branch (and pull request) carry the old title's slug.
    const earlier = await earlierIssueBranch(input, defaultBranch, (args) => git(args));
    if (earlier !== null) [branch, reused] = [earlier, true];
  }
  const startSha = (await git(["rev-parse", `${REMOTE_REFS}/${reused ? branch : defaultBranch}^{commit}`])).trim();

  // Only this task works on the issue (the issue lock): a worktree still holding the branch
  // was left by a run that died, and goes.
  await removeWorktreesOf(branch, input.worktree, (args) => git(args));
  await mkdir(path.dirname(input.worktree), { recursive: true });
  await git(["worktree", "add", "--quiet", "-B", branch, input.worktree, startSha]);
  await unlessSparse(input.worktree, (args) => git(args, input.worktree));
  return { worktree: input.worktree, branch, defaultBranch, startSha, reused };
}

/**
 * A worktree added to a sparse job checkout (actions/checkout's `sparse-checkout`) holds only
 * those paths: the agent would work on a sliver of the repository, and committing what it
 * wrote elsewhere fails. Made whole here (only this worktree's sparse setting changes); when
 * git cannot (a blobless clone whose missing files it may not fetch), refused before the agent
 * starts.
 */
async function unlessSparse(worktree: string, git: (args: string[]) => Promise<string>): Promise<void> {
  const sparse = await git(["config", "--bool", "core.sparseCheckout"]).then((v) => v.trim() === "true", () => false);
  if (!sparse) return;
  await git(["sparse-checkout", "disable"]).catch((error: unknown) => {
    throw new PermanentError(
      `the job's checkout is sparse (actions/checkout's sparse-checkout), and the task's worktree could not be made whole: ${(error as Error).message}. Check out the whole repository in the job (drop sparse-checkout; switchyard init's workflow does)`,
    );
  });
}

/**
 * The branch an earlier run pushed for this issue under another title (`<prefix>issue-<N>-…`),
 * the most recently committed of those switchyard created; null when there is none. A later
 * `/agent execute` on a renamed issue so edits the same pull request rather than opening a second.
 */
async function earlierIssueBranch(input: PrepareInput, defaultBranch: string, git: (args: string[]) => Promise<string>): Promise<string | null> {
  const base = `${REMOTE_REFS}/${input.branchPrefix}issue-${input.issue}`;
  const listing = await git(["for-each-ref", "--sort=-committerdate", "--format=%(refname)", base, `${base}-*`]);
  for (const ref of listing.split("\n").filter((line) => line !== "")) {
    const branch = ref.slice(REMOTE_REFS.length + 1);
    // Only a branch with switchyard's own commit for the issue: one with nothing on it could be anyone's.
    if ((await commitsOf(input, branch, defaultBranch, git)) === "switchyard") return branch;
  }
  return null;
}

/** Removes a worktree and forgets it in the mirror; safe to call when it is already gone. */
export async function removeWorktree(mirror: string, worktree: string, baseEnv: Record<string, string | undefined>): Promise<void> {
  await runGit(["worktree", "remove", "--force", worktree], { cwd: mirror, baseEnv }).catch(() => undefined);
  await rm(worktree, { recursive: true, force: true });
  await runGit(["worktree", "prune"], { cwd: mirror, baseEnv }).catch(() => undefined);
}

async function removeWorktreesOf(branch: string, worktree: string, git: (args: string[]) => Promise<string>): Promise<void> {
  await git(["worktree", "prune"]);
  const listing = await git(["worktree", "list", "--porcelain"]);
  for (const block of listing.split("\n\n")) {
    const dir = /^worktree (.+)$/m.exec(block)?.[1];
    const holds = block.includes(`\nbranch refs/heads/${branch}\n`) || block.endsWith(`\nbranch refs/heads/${branch}`);
    if (dir && (holds || path.resolve(dir) === path.resolve(worktree))) {
      await git(["worktree", "remove", "--force", dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }
  await rm(worktree, { recursive: true, force: true });
  await git(["worktree", "prune"]);
}

/**
 * A branch is switchyard's when each of its commits is on the default branch already
 * (nothing of anyone's to lose) or one of them carries switchyard's trailer for this issue.
 */
async function assertOwnBranch(input: PrepareInput, branch: string, defaultBranch: string, git: (args: string[]) => Promise<string>): Promise<void> {
  if ((await commitsOf(input, branch, defaultBranch, git)) !== "others") return;
  throw new PermanentError(
    `branch ${branch} exists on the remote and switchyard did not create it (no commit carries "${issueMark(input)}"): switchyard never pushes to someone else's branch; rename or delete it, or change branchPrefix`,
  );
}

/** Whose commits a branch holds beyond the default branch: none, switchyard's for this issue (one carries its trailer), or only others'. */
async function commitsOf(input: PrepareInput, branch: string, defaultBranch: string, git: (args: string[]) => Promise<string>): Promise<"none" | "switchyard" | "others"> {
  const messages = await git(["log", "--format=%B%x00", `${REMOTE_REFS}/${defaultBranch}..${REMOTE_REFS}/${branch}`]);
  if (messages.trim() === "") return "none";
  const mark = issueMark(input);
  return messages.split("\0").some((m) => m.split("\n").some((line) => line.trim() === mark)) ? "switchyard" : "others";
}

function issueMark(input: PrepareInput): string {
  return `${ISSUE_TRAILER}: ${input.repository}#${input.issue}`;
}

async function remoteDefaultBranch(remote: string, git: (args: string[], env?: Record<string, string>) => Promise<string>, auth: Record<string, string>): Promise<string> {
  const out = await git(["ls-remote", "--symref", remote, "HEAD"], auth);
  const branch = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(out)?.[1];
  if (!branch) throw new PermanentError(`cannot tell the default branch of ${remote}: the event names none and the remote does not say`);
  return branch;
}
