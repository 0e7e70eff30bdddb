import type { AgentCommand } from "../../../commands/parse-commands.js";
import { isKnownCommand } from "../../../commands/parse-commands.js";
import { CONVERT_TO_ISSUE } from "../../../commands/parse-discussion-commands.js";
import type { Config } from "../../../config/schema.js";
import type { AgentContext, AgentResult } from "../../agent.js";
import { classifyIssue } from "../issue-agent/classify-issue.js";
import { authorize } from "./authorize.js";
import { commandWord, notRoutedHere, OTHER_RULES_COMMANDS, renderHelp, unknownCommand } from "./command-help.js";
import { customCommands, plainWords, rulesNaming } from "../../task-commands.js";
import { convertToIssue } from "./convert-to-issue.js";
import { openDiscussionThread, type DiscussionThread } from "./discussion-thread.js";
import { codeSpan } from "../../../summary/escape-markdown.js";
import { renderHistory, renderLabels } from "./render-status.js";

/** Commands that act on an issue or a pull request (labels, a plan, a review, a deployment): not on a discussion. */
const NOT_FOR_DISCUSSIONS: Record<string, string> = {
  execute: "it turns an issue's task list into a plan",
  review: "it reviews a pull request",
  deploy: "it deploys from an issue or pull request",
  rollback: "it rolls back from an issue or pull request",
};

/** Who may convert: the configured associations, with write access like execute and deploy. */
function withConvert(commands: Config["commands"]): Config["commands"] {
  return { ...commands, writeRequired: [...commands.writeRequired, CONVERT_TO_ISSUE] as Config["commands"]["writeRequired"] };
}

function helpFor(ctx: AgentContext): string {
  const commands = ctx.config.commands;
  return [
    renderHelp(commands, customCommands(ctx.config, ctx.event.type), "discussion"),
    "",
    "In a discussion: `help`, `status` and `analyze` answer here; `execute`, `review`, `deploy` and `rollback` work on issues and pull requests only.",
    `\`/convert-to-issue\` opens an issue from this discussion (${commands.associations.map((a) => a.toLowerCase()).join(", ")}, with write access).`,
  ].join("\n");
}

async function status(ctx: AgentContext, thread: DiscussionThread): Promise<string> {
  const labels = thread.state?.labels ?? ctx.event.labels;
  // A category's name is a maintainer's text: quoted like the labels, so it can publish nothing.
  const category = thread.ref.category ? `category ${codeSpan(thread.ref.category)}; ` : "";
  const head = `**Status of discussion #${thread.ref.number}**: ${category}labels: ${renderLabels(labels)}.`;
  if (ctx.mode === "actions") return `${head}\n\nswitchyard runs inside GitHub Actions here, so it keeps no history between runs.`;
  return `${head}\n\n${await renderHistory(ctx.store, thread.repository, thread.ref.number)}`;
}

function analyze(ctx: AgentContext, thread: DiscussionThread): string {
  const { type, priority } = classifyIssue(thread.state?.title ?? ctx.event.title ?? "", thread.state?.body ?? ctx.event.body ?? "");
  const lines = [type, priority].filter((s) => s !== null).map((s) => `- \`${s.label}\`: ${s.reason}`);
  if (!type) lines.unshift("- no `type:*` label: no keyword or template matched");
  return [`**Analysis of discussion #${thread.ref.number}**`, "", ...lines, "", "Discussions are not labelled by switchyard: these are what the issue would get if it were converted."].join("\n");
}

/** What `/agent` runs in a discussion (the other known commands are answered why not). */
const DISCUSSION_COMMANDS = ["help", "status", "analyze", CONVERT_TO_ISSUE];

async function run(ctx: AgentContext, thread: DiscussionThread, command: AgentCommand): Promise<string> {
  // Own keys only: the word is the commenter's, and `constructor` is on every object.
  const why = Object.hasOwn(NOT_FOR_DISCUSSIONS, command.name) ? NOT_FOR_DISCUSSIONS[command.name] : undefined;
  if (why) return `${commandWord(command.name)} does not apply to discussions: ${why}. Convert this discussion with \`/convert-to-issue\`, then run it on the issue.`;
  if (command.args.length > 0 && (command.name === "status" || command.name === "analyze")) {
    return `\`${command.name}\` takes no argument: it works on this discussion, #${thread.ref.number}. Nothing was done; run \`/agent ${command.name}\` alone to go ahead.`;
  }
  switch (command.name) {
    case "help":
      return helpFor(ctx);
    case "status":
      return status(ctx, thread);
    case "analyze":
      return analyze(ctx, thread);
    case CONVERT_TO_ISSUE:
      return convertToIssue(ctx, thread);
    default: {
      const routing = rulesNaming(command.name, ctx.config);
      return routing.length > 0 ? notRoutedHere(command.name, routing.map((r) => r.id)) : unknownCommand(command.name, [...DISCUSSION_COMMANDS, ...plainWords(customCommands(ctx.config, ctx.event.type))], helpFor(ctx));
    }
  }
}

/**
 * CoordinatorAgent in a discussion: the same commands and permission checks as in issue
 * comments, answered in the asking comment's thread (GraphQL), plus `/convert-to-issue`.
 * Commands that act on issues or pull requests answer that they do not apply here.
 * `mine`: the comment's commands this task answers (not those rules of their own take).
 */
export async function handleDiscussionCommands(ctx: AgentContext, mine: readonly AgentCommand[]): Promise<AgentResult> {
  const { event, github, config } = ctx;
  if (mine.length === 0) return { output: event.commands.length > 0 ? OTHER_RULES_COMMANDS : "no /agent command in the comment" };
  if (!event.sender) return { output: "nothing to do: the event names no sender" };
  const thread = await openDiscussionThread(ctx);
  if (!thread) return { output: "nothing to do: the event names no discussion" };

  const commands = withConvert(config.commands);
  const association = event.comment?.authorAssociation ?? "NONE";
  const needsPermission = mine.some((c) => (commands.writeRequired as readonly string[]).includes(c.name));
  const permission = needsPermission ? await github.getPermission(thread.repository, event.sender.login) : null;

  const refused: string[] = [];
  const done: string[] = [];
  let firstRefused: number | null = null;
  for (const command of mine) {
    // A reply's place is its command's in the comment: two tasks of one comment never share one.
    const index = event.commands.indexOf(command);
    const name = isKnownCommand(command.name) || command.name === CONVERT_TO_ISSUE ? command.name : "help";
    const verdict = authorize(name, association, permission, commands);
    if (!verdict.allowed) {
      refused.push(`${command.name === CONVERT_TO_ISSUE ? "`/convert-to-issue`" : commandWord(command.name)} needs ${verdict.needs}`);
      firstRefused ??= index;
      continue;
    }
    await thread.reply(index, await run(ctx, thread, command));
    done.push(command.name);
  }
  if (firstRefused !== null) {
    await thread.reply(event.commands.length + firstRefused, `@${event.sender.login}, switchyard did not run this: ${refused.join("; ")}. A maintainer can run it for you.`);
  }
  return { output: `ran: ${done.join(", ") || "nothing"}${refused.length ? `; refused: ${refused.join("; ")}` : ""}` };
}
