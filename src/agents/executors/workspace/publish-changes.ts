import { setTimeout as sleep } from "node:timers/promises";
import type { GithubClient, PullRef } from "../../../github/github-client.js";
import { PermanentError, TransientError } from "../../../queue/agent-errors.js";
import { classifyError } from "../../../queue/classify-error.js";
import { codeSpan } from "../../../summary/escape-markdown.js";
import type { PlanStep } from "../../builtin/coordinator/build-plan.js";
import { gitAuthEnv } from "./git-auth-env.js";
import { ensureLabels } from "./issue-feedback.js";
import { ISSUE_TRAILER, type Workspace } from "./prepare-workspace.js";
import { renderPullBody } from "./render-pull-body.js";
import { GitError, runGit } from "./run-git.js";

export interface PublishInput {
  workspace: Workspace;
  repository: string;
  issue: { number: number; title: string };
  task: string;
  attempt: number;
  /**
   * Which run of the task this is, beyond its id (ids are one store's: a recreated database,
   * or another install on the same repository, numbers its tasks anew): the delivery the
   * task came from and how many replays it had. Written into the commit (pushedByThisTask).
   */
  run: { delivery: string; replays: number };
  plan: readonly PlanStep[];
  /** The agent's output tail, masked. */
  summary: string;
  /** `Name <email>`. */
  author: string;
  branchPrefix: string;
  labels: readonly string[];
  remote: string;
  token: string | null;
  github: GithubClient;
  baseEnv: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** The line of a commit of switchyard's that names its task, attempt and run (pushedByThisTask reads it back). */
const madeBy = (input: Pick<PublishInput, "task" | "attempt" | "run">) => `${MADE_BY}${input.task}, attempt ${input.attempt}${runOf(input)}`;
const MADE_BY = "Made by a coding agent in switchyard's workspace (task ";
const runOf = ({ run }: Pick<PublishInput, "run">) => `; delivery ${run.delivery}, replay ${run.replays}).`;

export type PublishResult =
  | { kind: "no-changes" }
  /** `unfinished`: what failed after the pull request was published (its labels), one line each. */
  | { kind: "published"; commit: string; pull: PullRef | null; created: boolean; dryRun: boolean; unfinished: string[] };

/**
 * What happens after the agent exits 0: its changes become one commit of switchyard's (its
 * own commits are kept, under it), the branch is pushed — fast-forward only, never to the
 * default branch or a branch outside the prefix — and the one open pull request of the
 * branch is updated, or opened. Nothing changed: nothing is committed or pushed.
 */
export async function publishChanges(input: PublishInput): Promise<PublishResult> {
  const { workspace, github, token } = input;
  const secrets = token ? [token] : [];
  const git = (args: string[], env?: Record<string, string>) => runGit(args, { cwd: workspace.worktree, baseEnv: input.baseEnv, signal: input.signal, env, secrets });

  const dirty = (await git(["status", "--porcelain", "--untracked-files=all"])).trim() !== "";
  const agentCommits = Number((await git(["rev-list", "--count", `${workspace.startSha}..HEAD`])).trim());
  if (!dirty && agentCommits === 0) return { kind: "no-changes" };

  const [, name = "switchyard", email = "switchyard@users.noreply.github.com"] = /^(.+?) <(.+)>$/.exec(input.author) ?? [];
  const identity = { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
  if (dirty) await git(["add", "--all"]);
  // Also when the agent committed everything itself: the trailer is how a later run knows the branch is switchyard's.
  await git(
    [
      "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", ...(dirty ? [] : ["--allow-empty"]),
      "-m", `#${input.issue.number}: ${input.issue.title}`.slice(0, 72),
      "-m", madeBy(input),
      "-m", `${ISSUE_TRAILER}: ${input.repository}#${input.issue.number}`,
    ],
    identity,
  );
  const commit = (await git(["rev-parse", "HEAD"])).trim();

  const { branch, defaultBranch } = workspace;
  if (branch === defaultBranch || !branch.startsWith(input.branchPrefix)) {
    throw new PermanentError(`refusing to push ${branch}: switchyard pushes only its own ${input.branchPrefix}* branches, never the default branch`);
  }
  const title = `${input.issue.title} (#${input.issue.number})`;
  const body = renderPullBody({ issue: input.issue.number, plan: input.plan, task: input.task, attempt: input.attempt, summary: input.summary });
  if (github.dryRun) {
    // No push in dry-run: a push is a write to GitHub like any other. The pull request is recorded, not sent.
    await github.createPull(input.repository, { title, head: branch, base: defaultBranch, body });
    return { kind: "published", commit, pull: null, created: false, dryRun: true, unfinished: [] };
  }

  try {
    // No `+` and no --force: a branch that moved under us is refused by the remote, never overwritten.
    // Hooks are off: the agent could have written one, and this command carries the token.
    await git(["-c", "core.hooksPath=/dev/null", "push", "--no-verify", "--quiet", input.remote, `${commit}:refs/heads/${branch}`], gitAuthEnv(input.remote, token));
  } catch (error) {
    throw classifyPushError(error, branch);
  }
  return publishPull(input, commit, { title, body });
}

/**
 * The pull request of `commit`, pushed on the workspace's branch: the branch's open one
 * updated to `pull` (when given), or one opened; then labelled.
 */
async function publishPull(input: PublishInput, commit: string, pull: { title: string; body: string } | null): Promise<PublishResult & { kind: "published" }> {
  const { github } = input;
  const { branch, defaultBranch } = input.workspace;
  const title = pull?.title ?? `${input.issue.title} (#${input.issue.number})`;
  const body = pull?.body ?? renderPullBody({ issue: input.issue.number, plan: input.plan, task: input.task, attempt: input.attempt, summary: input.summary });
  let open = await github.findOpenPull(input.repository, branch);
  let created = false;
  if (open) {
    if (pull !== null) await github.updatePull(input.repository, open.number, { title, body });
  } else {
    try {
      open = await openPullAfterPush(() => github.createPull(input.repository, { title, head: branch, base: defaultBranch, body }), input.signal);
      created = true;
    } catch (error) {
      // Opened meanwhile (an earlier attempt whose answer was lost): update that one instead.
      if ((error as { status?: number }).status !== 422) throw notOpened(error, branch, commit);
      open = await github.findOpenPull(input.repository, branch);
      if (!open) throw notOpened(error, branch, commit);
      if (pull !== null) await github.updatePull(input.repository, open.number, { title, body });
    }
  }
  const unfinished: string[] = [];
  const opened = open;
  if (opened && input.labels.length > 0) {
    // The pull request is open: labelling it is no reason to fail the task (a retry would run the agent again).
    await ensureLabels(github, input.repository, input.labels)
      .then(() => github.addLabels(input.repository, opened.number, [...input.labels]))
      .catch((error: unknown) => unfinished.push(`pull request #${opened.number} was not labelled ${input.labels.map(codeSpan).join(", ")}: ${classifyError(error, Date.now()).reason}`));
  }
  return { kind: "published", commit, pull: opened, created, dryRun: false, unfinished };
}

/**
 * The attempt of `input.task` whose commit the workspace's branch starts from, when an
 * earlier attempt of this very run of the task pushed it (its commit names the task, the
 * delivery and the replay count) and then stopped
 * before it was done — killed between the push and the pull request, say; else null. Its
 * work is published as it is, not made again by a second run of the coding agent.
 */
export async function pushedByThisTask(input: Pick<PublishInput, "workspace" | "task" | "run" | "baseEnv" | "signal">): Promise<{ commit: string; attempt: number } | null> {
  const { workspace } = input;
  if (!workspace.reused) return null;
  const message = await runGit(["log", "-1", "--format=%B", workspace.startSha], { cwd: workspace.worktree, baseEnv: input.baseEnv, signal: input.signal });
  // Compared whole, not parsed: a delivery id may hold any printable character but the space.
  const prefix = `${MADE_BY}${input.task}, attempt `;
  const suffix = runOf(input);
  for (const line of message.split("\n")) {
    if (!line.startsWith(prefix) || !line.endsWith(suffix)) continue;
    const attempt = line.slice(prefix.length, line.length - suffix.length);
    if (/^\d+$/.test(attempt)) return { commit: workspace.startSha, attempt: Number(attempt) };
  }
  return null;
}

/**
 * Publishes the work an earlier attempt of the task pushed (pushedByThisTask): its pull
 * request opened if it has none, an open one left as that attempt wrote it.
 */
export async function publishPushed(input: PublishInput, commit: string): Promise<PublishResult & { kind: "published" }> {
  return publishPull(input, commit, null);
}

/** Waits between the tries to open a pull request after a push: a 5xx or a short rate limit passes within them. */
const PULL_RETRY_WAITS_MS = [2_000, 5_000];

/**
 * Opens the pull request of a branch just pushed, trying again within this attempt when
 * GitHub fails passingly (a 5xx, a rate limit of a few seconds): a failure here would fail
 * the attempt, and its retry would run the coding agent again on work already pushed.
 */
export async function openPullAfterPush(open: () => Promise<PullRef | null>, signal?: AbortSignal): Promise<PullRef | null> {
  for (let i = 0; ; i++) {
    try {
      return await open();
    } catch (error) {
      const failure = classifyError(error, Date.now());
      const wait = Math.max(PULL_RETRY_WAITS_MS[i] ?? Number.POSITIVE_INFINITY, failure.kind === "transient" ? (failure.retryAfterMs ?? 0) : 0);
      if (failure.kind !== "transient" || i >= PULL_RETRY_WAITS_MS.length || wait > 10_000 || signal?.aborted) throw error;
      // A stop or a cancelled run ends the wait: what reports it has seconds, not this wait's.
      const waited = await sleep(wait, undefined, { signal }).then(
        () => true,
        () => false,
      );
      if (!waited) throw error;
    }
  }
}

/**
 * A pull request GitHub would not open, after the push: the branch is there, so the error
 * names it (a person can open the pull request by hand), classified as GitHub's answer was.
 */
function notOpened(error: unknown, branch: string, commit: string): Error {
  const failure = classifyError(error, Date.now());
  const message = `pushed \`${branch}\` at ${commit.slice(0, 7)}, but its pull request was not opened: ${failure.reason}`;
  return failure.kind === "transient" ? new TransientError(message, { retryAfterMs: failure.retryAfterMs }) : new PermanentError(message);
}

const NETWORK = /could not resolve host|connection (refused|reset|timed out)|timed out|early eof|the remote end hung up|HTTP 5\d\d|returned error: 5\d\d|429/i;

/**
 * A git failure as the worker should take it: network trouble passes (transient); a refused
 * push (the branch moved, a protected branch, no permission) does not.
 */
export function classifyGitError(error: unknown, what: string): Error {
  if (!(error instanceof GitError)) return error as Error;
  if (NETWORK.test(error.stderr)) return new TransientError(`${what}: ${error.message}`);
  return new PermanentError(`${what}: ${error.message}`);
}

function classifyPushError(error: unknown, branch: string): Error {
  if (error instanceof GitError && /non-fast-forward|fetch first|\[rejected\]/i.test(error.stderr)) {
    return new PermanentError(`push of ${branch} refused: the branch has commits switchyard does not have, and switchyard never force-pushes; replay the task to start from them`);
  }
  return classifyGitError(error, `push of ${branch}`);
}
