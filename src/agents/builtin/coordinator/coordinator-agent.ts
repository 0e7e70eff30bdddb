import type { AgentCommand } from "../../../commands/parse-commands.js";
import { isKnownCommand, KNOWN_COMMANDS, OWN_MARKER } from "../../../commands/parse-commands.js";
import { ignoredReason } from "../../../routing/decide.js";
import type { Agent, AgentContext } from "../../agent.js";
import { findOwnComment } from "../../own-comment.js";
import { customCommands, plainWords, rulesNaming, taskCommands } from "../../task-commands.js";
import { analyzeIssue, describeAnalysis, setState } from "../issue-agent/issue-agent.js";
import { authorize } from "./authorize.js";
import { EXECUTE_PLAN_RULE, planOf, renderPlan } from "./build-plan.js";
import { commandWord, notRoutedHere, OTHER_RULES_COMMANDS, renderHelp, unknownCommand } from "./command-help.js";
import { findRunningExecution } from "./find-running-execution.js";
import { renderStatus } from "./render-status.js";
import { handleDiscussionCommands } from "./discussion-commands.js";
import { describeReview, reviewPullRequest } from "../review-agent/review-agent.js";
import { deployDefaultBranch, rollback } from "../deployment-agent/deployment-agent.js";

/** The agent `execute` hands its plan to, when the config maps it to an executor. */
export const EXECUTION_AGENT = "ExecutionAgent";

/** Tags a reply with its delivery and command, so a retried task edits its reply instead of repeating it. */
function replyTag(delivery: string, index: number): string {
  return `<!-- switchyard:reply:${delivery}:${index} -->`;
}

async function reply(ctx: AgentContext, index: number, text: string): Promise<void> {
  const { github, event, task } = ctx;
  const tag = replyTag(task.delivery, index);
  const body = `${OWN_MARKER}\n${tag}\n${text}`;
  // Only switchyard's own reply: a tag copied into someone else's comment must not get it edited.
  const existing = findOwnComment(await github.listComments(event.repository!, event.number!), ctx.ownLogins, (body) => body.includes(tag));
  if (existing) await github.updateComment(event.repository!, existing.id, body);
  else await github.createComment(event.repository!, event.number!, body);
}

async function execute(ctx: AgentContext): Promise<string> {
  const { event, store, config } = ctx;
  const executor = config.agents[EXECUTION_AGENT];
  // One workspace per issue: a second execute while one runs would race it for the branch.
  const workspace = typeof executor === "object" && "workspace" in executor;
  // A workspace agent opens pull requests from issues: on a pull request it could only fail,
  // so nothing is labelled or handed over, and the reply says where to ask.
  if (workspace && event.isPullRequest) {
    return `\`/agent execute\` works on issues here: **${EXECUTION_AGENT}** opens a pull request from an issue, and #${event.number} is a pull request already. Nothing was started; comment \`/agent execute\` on the issue it is for.`;
  }
  const running = workspace ? await findRunningExecution(ctx, EXECUTION_AGENT) : null;
  if (running) {
    const where = running.link ? `: [follow it here](${running.link})` : "; `/agent status` follows it";
    return `**${EXECUTION_AGENT}** is already running on #${event.number} (task ${running.task})${where}. Nothing new was started; run \`/agent execute\` again once it has finished.`;
  }
  // From the issue as the event carries it, so the ExecutionAgent's task document (built
  // from the same stored payload) holds exactly the steps posted here.
  const steps = planOf(event);
  const lines = [`**Plan for #${event.number}** (from its task list):`, "", renderPlan(steps) || "_no steps: the issue has no task list and no title_", ""];
  if (executor && executor !== "builtin") {
    // Hand the plan over as a task of its own: it is retried, recorded and replayable on its own.
    // Enqueued once per delivery: a retried attempt finds the task it handed over before.
    // This delivery's plan ran already: its result stands, and the issue's labels are left as
    // that run left them (an open pull request's, say). A replay of the command is told how to
    // run it again; a retry of this task (its first answer never got out) is told what it did.
    const ranBefore = (handed: { id: string; status: string }) =>
      ctx.task.replays > 0
        ? `This command's plan was handed to **${EXECUTION_AGENT}** before, as task ${handed.id} (now ${handed.status}): nothing new was started. Replay that task to run it again, or comment \`/agent execute\` for a new run.`
        : `Handed to **${EXECUTION_AGENT}** as task ${handed.id}, which has ${handed.status === "succeeded" ? "finished" : `ended ${handed.status}`}; \`/agent status\` shows what it did.`;
    const before = await finishedPlanOf(ctx);
    if (before !== null) {
      lines.push(ranBefore(before));
      return lines.join("\n");
    }
    // The state first: the task may start (and, failing, roll the state back) as soon as it is
    // enqueued, and a label added after its rollback would stay on the issue.
    const state = await setState(ctx, "implementing");
    const handed = await store.enqueue({ rule: EXECUTE_PLAN_RULE, agent: EXECUTION_AGENT, action: "Execute plan", priority: "high", idempotencyKey: null });
    if (handed.status !== "ready" && handed.status !== "running") {
      // Finished between the look above and the enqueue (another attempt of this task): the state goes back.
      await undoState(ctx, state);
      lines.push(ranBefore(handed));
      return lines.join("\n");
    }
    lines.push(`Handed to **${EXECUTION_AGENT}** as task ${handed.id}; \`/agent status\` follows it.`);
  } else {
    await setState(ctx, "implementing");
    lines.push(`No execution agent is configured, so nobody runs the plan yet: map \`agents.${EXECUTION_AGENT}\` to an \`exec\`, \`http\` or \`workflow\` executor in switchyard's config.`);
  }
  return lines.join("\n");
}

/** This delivery's plan task when it has finished already (a replayed command), else null. */
async function finishedPlanOf(ctx: AgentContext): Promise<{ id: string; status: string } | null> {
  const handed = (await ctx.store.deliveryTasks()).find((t) => t.rule === EXECUTE_PLAN_RULE);
  return handed !== undefined && handed.status !== "ready" && handed.status !== "running" ? handed : null;
}

/** Puts back the `state:*` labels setState changed. */
async function undoState(ctx: AgentContext, { added, removed }: { added: string | null; removed: string[] }): Promise<void> {
  const { repository, number } = ctx.event;
  if (added !== null) await ctx.github.removeLabel(repository!, number!, added);
  if (removed.length > 0) await ctx.github.addLabels(repository!, number!, removed);
}

function refuseArguments(ctx: AgentContext, name: string): string {
  // deploy and rollback act on deploy.environment only: `/agent deploy staging` must not
  // change the configured environment instead.
  const scope =
    name === "deploy" || name === "rollback"
      ? `the configured environment, **${ctx.config.deploy.environment}** (\`deploy.environment\`)`
      : `this ${ctx.event.isPullRequest ? "pull request" : "issue"}, #${ctx.event.number}`;
  return `\`${name}\` takes no argument: it works on ${scope}. Nothing was done; run \`/agent ${name}\` alone to go ahead.`;
}

async function run(ctx: AgentContext, command: AgentCommand): Promise<string> {
  const custom = customCommands(ctx.config, ctx.event.type);
  const help = renderHelp(ctx.config.commands, custom);
  // No command takes an argument: `/agent execute now` or `/agent review #12` must not run
  // on this issue as if the words were not there.
  if (command.args.length > 0 && command.name !== "help" && isKnownCommand(command.name)) return refuseArguments(ctx, command.name);
  switch (command.name) {
    case "analyze":
      return `**Analysis of #${ctx.event.number}**\n\n${describeAnalysis(await analyzeIssue(ctx))}`;
    case "execute":
      return execute(ctx);
    case "status":
      return renderStatus(ctx);
    case "help":
      return help;
    case "review":
      return describeReview(await reviewPullRequest(ctx, ctx.event.number!));
    case "deploy":
    case "rollback":
      return command.name === "deploy" ? (await deployDefaultBranch(ctx)).summary : (await rollback(ctx)).summary;
    default: {
      const routing = rulesNaming(command.name, ctx.config);
      return routing.length > 0 ? notRoutedHere(command.name, routing.map((r) => r.id)) : unknownCommand(command.name, [...KNOWN_COMMANDS, ...plainWords(custom)], help);
    }
  }
}

/**
 * CoordinatorAgent: answers `/agent` comments and the `agent-execute` label. Reacts 👀 on
 * receipt, checks who may run what (one polite refusal for what is not allowed; nothing of
 * it runs), then runs each allowed command and replies once per command.
 */
export const coordinatorAgent: Agent = {
  name: "CoordinatorAgent",
  help: "Runs `/agent` commands from comments (analyze, execute, review, status, deploy, rollback, help) and the agent-execute label.",
  handle: async (ctx) => {
    const { event, github, config } = ctx;
    // Routing already drops these; checked again because a replay or a config rule may route anything here.
    const ignored = ignoredReason(event, ctx.ownLogins);
    if (ignored || event.comment?.markedOwn) return { output: `ignored (${ignored ?? "own-event"}): switchyard never acts on its own or a bot's comments and labels` };
    // The comment's commands that rules of their own take (`commentCommand: mycmd`) are theirs, not ours.
    const mine = taskCommands(ctx);
    if (event.discussion) return handleDiscussionCommands(ctx, mine);
    if (!event.repository || event.number === null || !event.sender) return { output: "nothing to do: the event names no issue, pull request or sender" };

    const byLabel = event.type === "issues" && event.action === "labeled";
    const commands: AgentCommand[] = byLabel ? [{ name: "execute", args: [] }] : mine;
    if (commands.length === 0) return { output: event.commands.length > 0 ? OTHER_RULES_COMMANDS : "no /agent command in the comment" };

    const reacted = await github.addReaction(event.repository, event.comment?.id ? { comment: event.comment.id } : { issue: event.number }, "eyes").then(
      () => true,
      (error: unknown) => {
        // The comment is gone (deleted before its task ran): its author took the commands back.
        if (event.comment?.id && (error as { status?: number }).status === 404) return false;
        throw error;
      },
    );
    if (!reacted) return { output: `comment ${event.comment!.id} was deleted before its commands ran: nothing done (its author took them back)` };

    const association = byLabel ? null : (event.comment?.authorAssociation ?? "NONE");
    const needsPermission = byLabel || commands.some((c) => (config.commands.writeRequired as readonly string[]).includes(c.name));
    const permission = needsPermission ? await github.getPermission(event.repository, event.sender.login) : null;

    const refused: string[] = [];
    const done: string[] = [];
    let firstRefused: number | null = null;
    for (const command of commands) {
      // A reply's place is its command's in the comment: two tasks of one comment never share one.
      const index = byLabel ? 0 : event.commands.indexOf(command);
      const name = isKnownCommand(command.name) ? command.name : "help";
      const verdict = authorize(name, association, permission, config.commands);
      if (!verdict.allowed) {
        refused.push(`${commandWord(command.name)} needs ${verdict.needs}`);
        firstRefused ??= index;
        continue;
      }
      await reply(ctx, index, await run(ctx, command));
      done.push(command.name);
    }
    if (firstRefused !== null) {
      const count = byLabel ? 1 : event.commands.length;
      await reply(ctx, count + firstRefused, `@${event.sender.login}, switchyard did not run this: ${refused.join("; ")}. A maintainer can run it for you.`);
    }
    return { output: `ran: ${done.join(", ") || "nothing"}${refused.length ? `; refused: ${refused.join("; ")}` : ""}` };
  },
};
