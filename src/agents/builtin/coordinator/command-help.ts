import type { Config } from "../../../config/schema.js";
import { isRegexLiteral } from "../../../config/string-condition.js";
import { suggestName } from "../../../config/suggest-name.js";
import { cellCode } from "../../../summary/escape-markdown.js";
import type { CustomCommand } from "../../task-commands.js";

/** Each command's help, the source of `/agent help`, unknown-command replies and GET /agent-help. */
export const COMMAND_HELP: readonly { name: string; args?: string; summary: string }[] = [
  { name: "analyze", summary: "classify this issue and add its `type:*` and `priority:*` labels (IssueAgent)" },
  { name: "execute", summary: "turn this issue's task list into a plan, mark it `state:implementing` and hand the plan to the execution agent (same as the `agent-execute` label)" },
  { name: "review", summary: "review this pull request's changes (ReviewAgent)" },
  { name: "status", summary: "what switchyard knows about this issue or pull request: events, tasks, attempts, errors" },
  { name: "deploy", summary: "deploy the default branch's head to the configured environment (DeploymentAgent)" },
  { name: "rollback", summary: "redeploy the configured environment's previous successful deployment (DeploymentAgent)" },
  { name: "help", summary: "this list" },
];

/** What the commands do when asked in a discussion, where they differ (docs/agents.md#discussions). */
const IN_A_DISCUSSION: Readonly<Record<string, string>> = {
  analyze: "the `type:*` and `priority:*` labels this discussion would get as an issue (nothing is labelled here)",
  execute: "issues only: not in a discussion",
  review: "pull requests only: not in a discussion",
  status: "what switchyard knows about this discussion: events, tasks, attempts, errors",
  deploy: "from an issue or pull request only: not in a discussion",
  rollback: "from an issue or pull request only: not in a discussion",
};

function people(commands: Config["commands"]): string {
  return commands.associations.map((a) => a.toLowerCase()).join(", ");
}

function who(name: string, commands: Config["commands"]): string {
  return (commands.writeRequired as readonly string[]).includes(name) ? `${people(commands)}, with write access` : people(commands);
}

/**
 * The help text, as Markdown. Every command is written in a code span inside a table, so
 * no line of the help starts with `/agent` and switchyard can never read its own help as
 * a command (docs/security.md#commands).
 */
export function renderHelp(commands: Config["commands"], custom: readonly CustomCommand[] = [], place: "issue" | "discussion" = "issue"): string {
  const summary = (c: (typeof COMMAND_HELP)[number]) => (place === "discussion" ? (IN_A_DISCUSSION[c.name] ?? c.summary) : c.summary);
  return [
    `**switchyard commands**: write one per line in a comment${custom.length > 0 ? "; the built-in ones take no argument" : ", with no argument"} (quoted lines and code blocks are ignored).`,
    "",
    "| command | what it does | who may run it |",
    "|---|---|---|",
    ...COMMAND_HELP.map((c) => `| \`/agent ${c.name}${c.args ? ` ${c.args}` : ""}\` | ${summary(c)} | ${who(c.name, commands)} |`),
    ...custom.map((c) => `| ${customCommandCell(c.word)} | runs ${cellCode(c.agent)} (config rule ${cellCode(c.rule)}) | ${people(commands)} |`),
    ...(place === "issue" ? ["", `Adding the \`agent-execute\` label to an issue runs \`execute\`.`] : []),
  ].join("\n");
}

/** A config command's cell: its word in a code span, or for a `/pattern/` the words it takes. */
function customCommandCell(word: string): string {
  return isRegexLiteral(word) ? `\`/agent\` and a word matching ${cellCode(word)}` : cellCode(`/agent ${word}`);
}

// A command word as switchyard's commands are spelled: short, letters, digits, `-` and `_`.
const PLAIN_WORD = /^[a-z0-9][a-z0-9_-]{0,31}$/i;

/**
 * A command word from a comment, as a reply may show it: in a code span when it is a plain
 * word, otherwise "that command". The word is whatever the commenter typed, and the reply is
 * posted by switchyard: a backtick would close the code span and let the rest through as
 * Markdown (mentions, links, images, HTML), and control or bidi characters would reach the
 * page as they are (docs/security.md#commands).
 *
 * @example commandWord("exectue") // "`exectue`"
 * @example commandWord("x`@acme/everyone") // "that command"
 */
export function commandWord(name: string): string {
  return PLAIN_WORD.test(name) ? `\`${name}\`` : "that command";
}

/**
 * The reply to a command switchyard does not know: the nearest known one when the word is a
 * near miss, then the help. `known`: the commands of the place (issues, or discussions).
 *
 * @example unknownCommand("exectue", ["execute", "status"], help) // "switchyard does not know `exectue`: did you mean `/agent execute`?\n\n…"
 */
export function unknownCommand(name: string, known: readonly string[], help: string): string {
  const near = suggestName(name, known);
  return `switchyard does not know ${commandWord(name)}${near === null ? "." : `: did you mean \`/agent ${near}\`?`}\n\n${help}`;
}

/** What a CoordinatorAgent task records when every command of its comment is another rule's. */
export const OTHER_RULES_COMMANDS = "no /agent command of the comment is this task's: the rules that name them take them";

/**
 * The reply to a command word that rules of the config route to another agent, but that
 * reached CoordinatorAgent: those rules did not take this comment (a condition besides the
 * command does not hold), so it is not an unknown command, and nothing ran.
 *
 * @example notRoutedHere("mycmd", ["my-command"]) // "switchyard did not run `mycmd`: rule `my-command` routes it, …"
 */
export function notRoutedHere(name: string, ruleIds: readonly string[]): string {
  const rules = `${ruleIds.length === 1 ? "rule" : "rules"} ${ruleIds.map((id) => `\`${id}\``).join(", ")}`;
  return `switchyard did not run ${commandWord(name)}: ${rules} of its config routes it, but not this comment (a condition besides the command does not hold here; \`switchyard route --explain\` on this event says which). Nothing was run.`;
}
