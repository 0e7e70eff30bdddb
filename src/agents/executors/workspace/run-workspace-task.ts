import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { OWN_MARKER } from "../../../commands/parse-commands.js";
import type { WorkspaceExecutorConfig } from "../../../config/schema.js";
import { createStateDir } from "../../../create-state-dir.js";
import { waitAtMost } from "../../../wait-at-most.js";
import { repoRef } from "../../../github/github-types.js";
import { PermanentError, TransientError, WaitTurnError } from "../../../queue/agent-errors.js";
import { shouldRetry } from "../../../queue/backoff.js";
import { classifyError } from "../../../queue/classify-error.js";
import { codeBlock, codeSpan } from "../../../summary/escape-markdown.js";
import type { GithubClient } from "../../../github/github-client.js";
import type { AgentContext, AgentResult } from "../../agent.js";
import { createKeyedQueue } from "../../builtin/guardian/create-keyed-queue.js";
import { planOf } from "../../builtin/coordinator/build-plan.js";
import { runExecAgent } from "../exec-executor.js";
import { taskDocument, taskVars } from "../create-executor.js";
import { branchName } from "./branch-name.js";
import { diskUsage, enforceDiskBudget } from "./enforce-disk-budget.js";
import { acquireIssueLock } from "./issue-lock.js";
import { postTaskComment, setStateLabels } from "./issue-feedback.js";
import { hidePaths, maskSecrets, tailOf } from "./mask-secrets.js";
import { prepareWorkspace, removeWorktree, type Workspace } from "./prepare-workspace.js";
import { classifyGitError, publishChanges, publishPushed, pushedByThisTask, type PublishResult } from "./publish-changes.js";
import { remoteUrl } from "./remote-url.js";
import { renderPrompt } from "./render-prompt.js";

export interface WorkspaceDeps {
  /** switchyard's environment: PATH and the like for git, the allowlisted names for the agent. */
  baseEnv: Record<string, string | undefined>;
  /** switchyard's own secrets, masked in what is posted of the agent's output and errors. */
  ownSecrets?: readonly string[];
}

/**
 * How long a cancelled workflow run's report to the issue may take: within the 3 s the run
 * waits for its killed agents (at GitHub's pace of a write a second: the labels and the comment).
 */
const CANCEL_REPORT_MS = 2_800;

/** Beyond the agent's timeout, how old an issue lock may grow before it is taken as a dead run's leftover. */
const LOCK_SLACK_MS = 30 * 60_000;

/** GitHub owner and repository names: nothing that could climb out of the workspaces directory. */
const SAFE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;
const RECENT_COMMENTS = 10;
/** What of the agent's output goes into comments and the pull request. */
const TAIL_LINES = 40;
const TAIL_CHARS = 3000;

/** Mirror operations (fetch, worktree add) of one repository, one after another in this process. */
const serializeMirror = createKeyedQueue();
/** Mirrors in use by runs of this process: the disk budget never removes them. */
const mirrorsInUse = new Map<string, number>();

/**
 * Runs one `execute-plan` task in a workspace: a worktree of the issue's repository on
 * switchyard's branch for the issue, the configured coding agent run inside it under the
 * exec executor's rules, then commit, push and one pull request (publish-changes.ts). The
 * issue is told in one comment per task, and its `state:*` label follows: `reviewing` with a
 * pull request, back to what it was when nothing changed or the run failed.
 */
export async function runWorkspaceTask(spec: WorkspaceExecutorConfig, ctx: AgentContext, deps: WorkspaceDeps): Promise<AgentResult> {
  const { event, task } = ctx;
  if (!event.repository || event.number === null) throw new PermanentError(`${event.type} names no issue: the workspace executor works on issues`);
  if (event.isPullRequest) throw new PermanentError(`#${event.number} is a pull request: the workspace executor opens pull requests from issues`);
  const { owner, repo } = repoRef(event.repository);
  if (!SAFE_NAME.test(owner) || !SAFE_NAME.test(repo)) throw new PermanentError(`"${event.repository}" is not a repository name switchyard can make a directory of`);

  const root = path.resolve(spec.dir);
  createStateDir(root);
  // A run lasts its agent's timeout and some git and GitHub work: a lock much older than that is its holder's leftover.
  const staleAfterMs = spec.timeout > 0 ? spec.timeout + LOCK_SLACK_MS : Number.POSITIVE_INFINITY;
  const lock = await acquireIssueLock(path.join(root, "locks"), event.repository, event.number, task.id, { staleAfterMs });
  if (!lock.acquired) {
    throw new WaitTurnError(`#${event.number} already has a workspace: task ${lock.holder?.task ?? "(unknown)"} works on it; this task waits its turn`, 30_000);
  }
  try {
    return await runLocked(spec, ctx, deps, { root, owner, repo });
  } finally {
    await lock.release();
  }
}

async function runLocked(spec: WorkspaceExecutorConfig, ctx: AgentContext, deps: WorkspaceDeps, at: { root: string; owner: string; repo: string }): Promise<AgentResult> {
  const { event, task, github, logger, signal } = ctx;
  const repository = event.repository!;
  const number = event.number!;
  const { baseEnv } = deps;
  const token = await github.gitToken();
  const secrets = [token, token && Buffer.from(`x-access-token:${token}`).toString("base64"), ...spec.env.map((name) => baseEnv[name]), ...(deps.ownSecrets ?? [])];
  const remote = remoteUrl(spec.remote, repository, baseEnv);
  // In Actions the job's checkout is the workspace's object store: nothing is cloned again.
  const checkout = ctx.mode === "actions" ? baseEnv.GITHUB_WORKSPACE : undefined;
  const mirror = checkout ?? path.join(at.root, "mirrors", at.owner, `${at.repo}.git`);
  const worktree = path.join(at.root, "worktrees", at.owner, at.repo, `issue-${number}-task-${task.id}`);
  const promptFile = path.join(at.root, "prompts", `task-${task.id}.md`);
  // Stable across replays: the branch comes from the stored event, not from today's title
  // (and an earlier run's branch of a since-renamed issue is found by its number: prepareWorkspace).
  const titleBranch = branchName(spec.branchPrefix, number, event.title ?? "");
  const earlier = event.labels.filter((l) => l.startsWith("state:"));
  /**
   * The state this run set (`state:implementing`) undone: back to the labels the command found.
   * When the issue has moved on meanwhile (another run opened a pull request: `state:reviewing`;
   * a person closed it), its state stands. `text` says which, for the comment.
   */
  const planRollBack = async (client: GithubClient): Promise<{ text: string; apply: () => Promise<void> }> => {
    // In dry-run GitHub never got this run's `state:implementing`: the rollback is recorded as a live one would be made.
    const live = client.canRead && !client.dryRun ? ((await client.getIssue(repository, number))?.labels ?? null) : null;
    if (live !== null && !live.includes("state:implementing")) {
      return { text: `left at ${describeStates(live.filter((l) => l.startsWith("state:")))}: its state moved on meanwhile`, apply: async () => undefined };
    }
    return { text: `back to ${describeStates(earlier)}`, apply: () => setStateLabels(client, repository, number, earlier, [...event.labels, "state:implementing"]) };
  };
  /** Rolls the state back (see planRollBack); what it did, for the comment. */
  const rollBack = async (client: GithubClient = github): Promise<string> => {
    const plan = await planRollBack(client);
    await plan.apply();
    return plan.text;
  };
  // The issue is public: this machine's paths (in a spawn or git error) are named, not shown.
  const localPaths = { [worktree]: "<worktree>", [mirror]: "<mirror>", [at.root]: "<workspaces>" };
  const sayWith = (client: GithubClient, text: string) => postTaskComment(client, ctx.ownLogins, repository, number, task.id, hidePaths(text, localPaths));
  const say = (text: string) => sayWith(github, text);
  const where = `task ${task.id}, attempt ${task.attempts}`;
  // A transient failure on the last attempt the retry policy allows is the end: said, and rolled back, as one.
  const lastAttempt = !shouldRetry(task.attempts - task.retryBase, ctx.config.retry.maxRetries);
  // Actions mode keeps no store to replay from.
  const replayable = ctx.mode === "server" ? " The task can be replayed." : " Run the workflow again to retry.";

  /** Said and rolled back within CANCEL_REPORT_MS, whatever GitHub's pace: the job is about to be killed. */
  const reportCancelled = (client: GithubClient) =>
    waitAtMost(
      (async () => {
        const state = await planRollBack(client);
        // The comment before the label writes (after one read): of the writes, it is what must not be cut off by the runner's kill.
        await sayWith(client, `⏹️ The workflow run was cancelled before the workspace run finished (${where}). #${number} is ${state.text}. Run the workflow again to retry.`);
        await state.apply();
      })(),
      CANCEL_REPORT_MS,
    );

  mirrorsInUse.set(mirror, (mirrorsInUse.get(mirror) ?? 0) + 1);
  let workspace: Workspace | null = null;
  let started = false;
  // Set once the issue was told why the run ended, so the catch-all below does not tell it twice.
  let reported = false;
  // What the agent printed (masked), kept on the attempt when a step after it fails.
  let agentOutput: string | undefined;
  try {
    if (!checkout) {
      const { used } = await enforceDiskBudget(at.root, spec.diskBudget, new Set(mirrorsInUse.keys()));
      if (used > spec.diskBudget) {
        const over = `the workspaces directory ${at.root} uses ${used} bytes of disk, over its budget of ${spec.diskBudget} (workspace.diskBudget)`;
        // This repository's mirror alone is over the budget: no run ending anywhere can make room for it.
        const own = await diskUsage(mirror);
        if (own > spec.diskBudget) throw new PermanentError(`${over}; this repository's mirror alone takes ${own} bytes: raise workspace.diskBudget`);
        throw new TransientError(`${over}, with every mirror in use by a run: tried again once one ends`);
      }
    }
    // A closed issue (a replay after it was done with): nothing runs, and no second pull request is opened for it.
    if (github.canRead && (await github.getIssue(repository, number))?.state === "closed") {
      throw new PermanentError(`#${number} is closed, so the plan was not run: reopen the issue, then replay this task or comment \`/agent execute\``);
    }
    await say(`🛠️ **ExecutionAgent** is working on #${number} in a workspace (${where}).`);
    started = true;
    workspace = await serializeMirror(mirror, () =>
      prepareWorkspace({ mirror, ownMirror: !checkout, worktree, remote, token, repository, issue: number, branch: titleBranch, branchPrefix: spec.branchPrefix, defaultBranch: event.defaultBranch, baseEnv, signal }),
    ).catch((error: unknown) => {
      throw classifyGitError(error, `preparing the workspace of ${repository}`);
    });
    const { branch } = workspace;

    const issue = (github.canRead ? await github.getIssue(repository, number) : null) ?? { title: event.title ?? "", body: event.body ?? "" };
    const comments = (await github.listComments(repository, number)).filter((c) => !c.body.includes(OWN_MARKER)).slice(-RECENT_COMMENTS);
    const plan = planOf(event);
    await mkdir(path.dirname(promptFile), { recursive: true });
    await writeFile(
      promptFile,
      renderPrompt({ repository, issue: { number, title: issue.title, body: issue.body }, plan, comments, branch, defaultBranch: workspace.defaultBranch }),
    );

    const publishInput = {
      workspace, repository, issue: { number, title: issue.title }, task: task.id, attempt: task.attempts, run: { delivery: task.delivery, replays: task.replays }, plan, summary: "",
      author: spec.author, branchPrefix: spec.branchPrefix, labels: spec.labels, remote, token, github, baseEnv, signal,
    };
    // An earlier attempt of this run of the task (the same delivery, no replay since) pushed its
    // work, then stopped before it was done (killed between the push and the pull request):
    // that work is published, not made again. Not in Actions mode: each workflow run is a
    // fresh store whose ids start over, and running the workflow again asks for a new run.
    const pushed = github.dryRun || ctx.mode === "actions" ? null : await pushedByThisTask(publishInput);
    let output: string;
    let published: PublishResult & { kind: "published" };
    if (pushed !== null) {
      output = `the coding agent was not run again: attempt ${pushed.attempt} of this task pushed ${pushed.commit.slice(0, 7)} on \`${branch}\` and stopped before it was done`;
      agentOutput = output;
      logger.info({ branch, commit: pushed.commit, attempt: pushed.attempt }, "workspace: publishing what an earlier attempt of the task pushed");
      const summary = `The coding agent's output is on attempt ${pushed.attempt} of task ${task.id}, which pushed this commit.`;
      published = await publishPushed({ ...publishInput, attempt: pushed.attempt, summary }, pushed.commit);
    } else {
      // The agent can write to the shared git config through its worktree (an `insteadOf`, a
      // hook path): what it wrote is undone before git runs with the token again.
      const configFile = path.join(checkout ? path.join(mirror, ".git") : mirror, "config");
      const config = await readFile(configFile);
      const vars: Record<string, string> = {
        ...taskVars(ctx),
        SWITCHYARD_WORKSPACE: workspace.worktree,
        SWITCHYARD_BRANCH: branch,
        SWITCHYARD_BASE_BRANCH: workspace.defaultBranch,
        SWITCHYARD_PROMPT_FILE: promptFile,
        // The token only when the config asks for it by name.
        ...(spec.env.includes("GITHUB_TOKEN") && token ? { GITHUB_TOKEN: token } : {}),
      };
      const document = {
        ...taskDocument(ctx),
        issue: { number, title: issue.title, body: issue.body, comments },
        workspace: { dir: workspace.worktree, branch, baseBranch: workspace.defaultBranch, reused: workspace.reused, promptFile },
      };
      logger.info({ branch, worktree: workspace.worktree, reused: workspace.reused }, "workspace ready: running the coding agent");
      const result = await runExecAgent(
        { argv: spec.run.map((arg) => arg.replaceAll("{promptFile}", promptFile)), timeoutMs: spec.timeout, env: spec.env },
        { task: document, vars },
        { baseEnv, signal, cwd: workspace.worktree, onSpawn: ctx.reportProcess },
      );
      await writeFile(configFile, config);
      output = maskSecrets(result.output, secrets);
      agentOutput = output;
      const tail = tailOf(output, TAIL_LINES, TAIL_CHARS);

      if (result.outcome !== "succeeded") {
        if (signal.aborted) throw new TransientError(result.error ?? "aborted", { output });
        const why = result.error ?? "the agent failed";
        if (result.outcome === "transient" && !result.timedOut && !lastAttempt) {
          await say(`⏳ The coding agent asked to be retried (${why}; ${where}). switchyard tries again later.\n\n${fenced(tail)}`);
          reported = true;
          throw new TransientError(why, { output });
        }
        const state = await rollBack();
        // Only here when not retried: a timeout (permanent, as ever) or a retry request on the last allowed attempt.
        const tempfail = result.outcome === "transient" && !result.timedOut;
        const gaveUp = tempfail ? `asked to be retried, but that was its last allowed attempt: ${why}` : why;
        await say(`❌ The coding agent failed (${gaveUp}; ${where}). Nothing was pushed; #${number} is ${state}.${replayable}\n\n${fenced(tail)}`);
        reported = true;
        if (tempfail) throw new TransientError(why, { output });
        reported = true;
        throw new PermanentError(why, { output });
      }

      const made = await publishChanges({ ...publishInput, summary: hidePaths(tail, localPaths) });
      if (made.kind === "no-changes") {
        const state = await rollBack();
        await say(`The coding agent finished without changing anything (${where}), so there is no pull request. #${number} is ${state}.`);
        return { output: `no changes\n${output}` };
      }
      published = made;
    }
    // Pushed and opened: what is left only tells of it. A failure from here on is said, never
    // retried — a retry would run the coding agent again on work already published.
    const unfinished = [...published.unfinished];
    await setStateLabels(github, repository, number, ["state:reviewing"], [...event.labels, "state:implementing"]).catch((error: unknown) =>
      unfinished.push(`#${number}'s \`state:reviewing\` label was not set: ${maskSecrets(classifyError(error, Date.now()).reason, secrets)}`),
    );
    const pull = published.pull;
    const what = published.dryRun
      ? `dry-run: committed ${published.commit.slice(0, 7)} on \`${branch}\`; nothing was pushed, and the pull request was recorded, not sent`
      : `${published.created ? "Opened" : pushed !== null ? "Found the open" : "Updated"} pull request #${pull?.number} (${pull?.url}) from \`${branch}\` at ${published.commit.slice(0, 7)}`;
    const notes = unfinished.map((line) => `\n- ⚠️ ${maskSecrets(line, secrets)}`).join("");
    await say(`✅ ${what} (${where}).${notes}`).catch((error: unknown) => unfinished.push(`the issue's comment was not updated: ${classifyError(error, Date.now()).reason}`));
    if (unfinished.length > 0) logger.warn({ branch, pull: pull?.number, unfinished }, "workspace run published, with steps after it that failed");
    else logger.info({ branch, pull: pull?.number, commit: published.commit }, "workspace run published");
    return { output: [what, ...unfinished.map((line) => `not done: ${maskSecrets(line, secrets)}`), output].join("\n") };
  } catch (error) {
    // An error of switchyard's own step carries the agent's output, as its attempt's record (a declared, unset `output` field counts as none).
    if (agentOutput !== undefined && error !== null && typeof error === "object" && (error as { output?: unknown }).output === undefined) Object.assign(error, { output: agentOutput });
    if (reported) throw error;
    if (signal.aborted) {
      // A workflow run cancelled (or past its timeout-minutes) ends the task for good, and the
      // runner kills the job seconds later: the issue, told the agent was working, is told it
      // stopped and put back, in the moment there is (a stopping server's task runs again later).
      if (started && ctx.mode === "actions") await reportCancelled(github.detached());
      throw error;
    }
    // Failures of switchyard's own steps: the disk budget, git, GitHub — taken as the worker
    // takes them (a GitHub 502 is retried), and named as the task's error names them.
    const failure = classifyError(error, Date.now());
    const message = maskSecrets(failure.reason, secrets);
    if (failure.kind === "transient" && !lastAttempt) {
      await say(`⏳ The workspace run did not finish: ${message} (${where}). switchyard tries again later.`).catch(() => undefined);
      throw error;
    }
    const state = await rollBack().catch(() => "not put back: reading or changing its labels failed too");
    const final = failure.kind === "transient" ? " (its last allowed attempt)" : "";
    await say(`❌ The workspace run failed${final}: ${message} (${where}). #${number} is ${state}.${replayable}`).catch(() => undefined);
    throw error;
  } finally {
    if (started) await serializeMirror(mirror, () => removeWorktree(mirror, worktree, baseEnv)).catch(() => undefined);
    await rm(promptFile, { force: true });
    const left = (mirrorsInUse.get(mirror) ?? 1) - 1;
    if (left > 0) mirrorsInUse.set(mirror, left);
    else mirrorsInUse.delete(mirror);
  }
}

function describeStates(states: readonly string[]): string {
  // A state label's name after `state:` is whoever created it's: quoted so it publishes nothing.
  return states.length > 0 ? states.map(codeSpan).join(", ") : "no `state:*` label";
}

function fenced(text: string): string {
  if (!text.trim()) return "_The agent printed nothing._";
  // A fence longer than any run of backticks in the text: no line of it can close the block.
  return `<details><summary>End of its output</summary>\n\n${codeBlock(text)}\n</details>`;
}
