import { isDeepStrictEqual } from "node:util";
import { PRIORITIES, type RuleWhen } from "../config/schema.js";
import { isRegexLiteral } from "../config/string-condition.js";
import type { CompiledRule } from "./compile-rules.js";

type Condition = RuleWhen[keyof RuleWhen];

/** The plain strings a condition takes, or null when it is a pattern or a boolean (compared only for equality). */
function literals(value: Condition): string[] | null {
  const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : null;
  return list !== null && list.every((s) => !isRegexLiteral(s)) ? list : null;
}

/**
 * Whether every event `loser` matches, `winner` matches too: each condition of the winner is
 * one the loser also has, equal or wider (a list of plain strings holding all of the
 * loser's). Conservative: patterns and booleans count only when written the same, so a
 * false "never runs" cannot come from here. A winner that routes commands only from
 * commands.associations does not cover a loser that routes them from anyone.
 */
function covers(winner: CompiledRule, loser: CompiledRule): boolean {
  if (winner.commandAuthors !== null && loser.commandAuthors === null) return false;
  return Object.entries(winner.when).every(([key, wanted]) => {
    if (wanted === undefined) return true;
    const theirs = loser.when[key as keyof RuleWhen];
    if (theirs === undefined) return false;
    if (isDeepStrictEqual(wanted, theirs)) return true;
    const wide = literals(wanted);
    const narrow = literals(theirs);
    return wide !== null && narrow !== null && narrow.every((s) => wide.includes(s));
  });
}

/**
 * Warnings for rules from the config file that can never run: a rule ranked before them
 * (higher priority, or the same and earlier in the table) matches every event they match
 * and stops there (no `continue: true`). The routing itself is right to pick the winner;
 * the rule the user wrote is what silently does nothing.
 *
 * @example findShadowedRules(compileRules(config)) // ['routing rule my-issue never runs: …issue-opened…']
 */
export function findShadowedRules(rules: readonly CompiledRule[]): string[] {
  const rank = (rule: CompiledRule) => PRIORITIES.indexOf(rule.priority);
  const warnings: string[] = [];
  rules.forEach((loser, at) => {
    if (loser.origin === "default") return;
    const before = (rule: CompiledRule, i: number) => rank(rule) < rank(loser) || (rank(rule) === rank(loser) && i < at);
    // The one that takes the event first: the highest priority, then the earliest.
    const winner = rules
      .filter((rule, i) => i !== at && !rule.continue && before(rule, i) && covers(rule, loser))
      .sort((a, b) => rank(a) - rank(b))[0];
    if (winner === undefined) return;
    const why = rank(winner) < rank(loser) ? `priority ${winner.priority} over ${loser.priority}` : `priority ${winner.priority} too, and earlier in the table`;
    warnings.push(
      `routing rule ${loser.id} never runs: every event it matches, rule ${winner.id} matches too and wins (${why}) without continue: true. ` +
        `Give ${loser.id} a higher priority, give it the id ${winner.id} to replace that rule, add ${winner.id} to routing.disable, or set continue: true on it`,
    );
  });
  return warnings;
}
