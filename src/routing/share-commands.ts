import type { EventPayload } from "../events/event-payload.js";
import type { CheckContext, CommandClaims, CompiledRule } from "./compile-rules.js";

const NO_CLAIMS: CommandClaims = new Map();

/**
 * The `/agent` commands of an event that rules take by name: each command word a matching
 * rule names (`commentCommand: mycmd`) → the ids of those rules. `commentCommand: true` then
 * holds only for the other commands, so a rule of your own for `/agent mycmd` gets it, and
 * the built-in `comment-command` rule does not answer that it knows no `mycmd`.
 *
 * @example claimCommands(event("/agent mycmd"), rules, ctx) // Map { "mycmd" => ["my-command"] }
 */
export function claimCommands(event: EventPayload, rules: readonly CompiledRule[], ctx: CheckContext): CommandClaims {
  if (event.commands.length === 0) return NO_CLAIMS;
  let claims: Map<string, string[]> | null = null;
  for (const rule of rules) {
    const words = rule.commandWords;
    if (typeof words !== "function" || rule.checks.some((check) => check(event, ctx) !== null)) continue;
    for (const { name } of event.commands) {
      if (!words(name)) continue;
      claims ??= new Map();
      const ids = claims.get(name) ?? [];
      if (!ids.includes(rule.id)) claims.set(name, [...ids, rule.id]);
    }
  }
  return claims ?? NO_CLAIMS;
}

/**
 * The command words of the event a matching rule takes: those it names, or for
 * `commentCommand: true` those no rule names; null when the rule is about the whole event.
 *
 * @example commandsTaken(commentCommandRule, event("/agent mycmd\n/agent status"), claims) // ["status"]
 */
export function commandsTaken(rule: CompiledRule, event: EventPayload, claims: CommandClaims): string[] | null {
  const words = rule.commandWords;
  if (words === null) return null;
  const names = [...new Set(event.commands.map((c) => c.name))];
  return words === "any" ? names.filter((name) => !claims.has(name)) : names.filter(words);
}

/**
 * Whether two rules want the same of an event, so that one can stop the other: a rule about
 * the whole event (null) wants everything; rules that take different commands of one
 * comment do not compete.
 */
export function wantSame(a: readonly string[] | null, b: readonly string[] | null): boolean {
  return a === null || b === null || a.some((name) => b.includes(name));
}
