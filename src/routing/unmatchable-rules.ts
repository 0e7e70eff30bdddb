import { isRegexLiteral, matcherOf } from "../config/string-condition.js";
import type { CompiledRule } from "./compile-rules.js";

/** The events whose comment is read for `/agent` commands (src/events/normalize-event.ts): no other event carries any. */
export const COMMAND_EVENTS: readonly string[] = ["issue_comment", "discussion_comment"];

/** Whether the rule's `when.event` (a name or a /pattern/) can be one of `events`. */
function eventCanBe(event: string, events: readonly string[]): boolean {
  // compileRules has already refused a pattern that does not compile.
  return events.some(matcherOf(event));
}

/**
 * Warnings for rules from the config file whose conditions no event can meet together:
 * `commentCommand` asks for an `/agent` command, which only a comment event carries, so on
 * any other event the rule silently never runs. (`commentCommand: false` holds on every
 * other event, so it is not one of these.) A command word written with upper-case letters
 * never matches either: commands are read lower-cased.
 *
 * @example findUnmatchableRules(compileRules(config)) // ['routing rule deploy-on-issue never runs: …']
 */
export function findUnmatchableRules(rules: readonly CompiledRule[]): string[] {
  const warnings: string[] = [];
  for (const rule of rules) {
    if (rule.origin === "default") continue;
    const { event, commentCommand } = rule.when;
    if (commentCommand === undefined || commentCommand === false) continue;
    // Command words are read lower-cased (src/commands/parse-commands.ts): `MyCmd` is never one.
    const cased = (typeof commentCommand === "string" ? [commentCommand] : commentCommand === true ? [] : commentCommand).filter((w) => !isRegexLiteral(w) && w !== w.toLowerCase());
    for (const word of cased) {
      warnings.push(`routing rule ${rule.id} never runs for ${word}: command words are read in lower case (\`/agent ${word}\` is ${word.toLowerCase()}). Write commentCommand: ${word.toLowerCase()}`);
    }
    if (eventCanBe(event, COMMAND_EVENTS)) continue;
    warnings.push(
      `routing rule ${rule.id} never runs: its commentCommand needs an /agent command, which only ${COMMAND_EVENTS.join(" and ")} events carry, and its event is ${event}. ` +
        `Write event: issue_comment (or discussion_comment) for a command, or drop commentCommand`,
    );
  }
  return warnings;
}
