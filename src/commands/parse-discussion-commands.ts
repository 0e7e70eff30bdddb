import { commandLines, parseCommands, type AgentCommand } from "./parse-commands.js";

/** The command `/convert-to-issue` (or `/agent convert-to-issue`) becomes. */
export const CONVERT_TO_ISSUE = "convert-to-issue";

// Anchored like `/agent`: the line's first word, so a mention mid-sentence is no command.
const CONVERT_LINE = /^[ \t]*\/convert-to-issue[ \t]*$/i;

/** More commands than this in one comment are ignored, as for issue comments. */
const MAX_COMMANDS = 10;

/**
 * The commands of a discussion comment, in order: its `/agent` commands (same rules as in
 * issue comments: quoted lines and code fences never count) and `/convert-to-issue` on a
 * line of its own, which becomes `{name: "convert-to-issue"}`.
 *
 * @example parseDiscussionCommands("/agent help\n/convert-to-issue") // [{name: "help", args: []}, {name: "convert-to-issue", args: []}]
 */
export function parseDiscussionCommands(body: string | null | undefined): AgentCommand[] {
  const commands: AgentCommand[] = [];
  for (const line of commandLines(body)) {
    const command = CONVERT_LINE.test(line) ? { name: CONVERT_TO_ISSUE, args: [] } : parseCommands(line)[0];
    if (command) commands.push(command);
    if (commands.length === MAX_COMMANDS) break;
  }
  return commands;
}
