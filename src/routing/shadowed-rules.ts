import { isDeepStrictEqual } from "node:util";
import { PRIORITIES, type RuleWhen } from "../config/schema.js";
import { isRegexLiteral, matcherOf } from "../config/string-condition.js";
import type { CompiledRule } from "./compile-rules.js";

type Condition = RuleWhen[keyof RuleWhen];

/** The plain strings a condition takes, or null when it is a pattern or a boolean (compared only for equality). */
function literals(value: Condition): string[] | null {
  const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : null;
  return list !== null && list.every((s) => !isRegexLiteral(s)) ? list : null;
}

/** Whether the winner's condition holds wherever the loser's does: the same, or a list or pattern taking each of the loser's plain strings. */
function widerOrSame(wanted: Condition, theirs: Condition): boolean {
  if (isDeepStrictEqual(wanted, theirs)) return true;
  const narrow = literals(theirs);
  const wide = typeof wanted === "string" ? [wanted] : Array.isArray(wanted) ? wanted : null;
  if (narrow === null || wide === null) return false;
  // compileRules has already refused a pattern that does not compile.
  const tests = wide.map((value) => matcherOf(value));
  return narrow.every((s) => tests.some((test) => test(s)));
}

/**
 * Whether every event `loser` matches, `winner` matches too, and wants the same of it: each
 * condition of the winner is one the loser also has, equal or wider (a list of plain strings,
 * or a pattern, taking all of the loser's). Conservative: booleans count only when written
 * the same, so a false "never runs" cannot come from here. `commentCommand: true` is not
 * wider than a command word: it leaves the words other rules name to them
 * (src/routing/share-commands.ts). A winner that routes commands only from
 * commands.associations does not cover a loser that routes them from anyone.
 */
function covers(winner: CompiledRule, loser: CompiledRule): boolean {
  if (winner.commandAuthors !== null && loser.commandAuthors === null) return false;
  return Object.entries(winner.when).every(([key, wanted]) => {
    if (wanted === undefined) return true;
    const theirs = loser.when[key as keyof RuleWhen];
    return theirs !== undefined && widerOrSame(wanted, theirs);
  });
}

/** How to make `loser` run after all, each way that can work. */
function remedies(loser: CompiledRule, winner: CompiledRule, loserAt: number, winnerAt: number): string[] {
  const rank = PRIORITIES.indexOf(winner.priority);
  // Equal priority wins only from earlier in the table; config rules keep their file order, after the defaults.
  const needed = loserAt < winnerAt ? rank : rank - 1;
  const ways: string[] = [];
  if (needed >= 0) ways.push(`give ${loser.id} priority ${PRIORITIES[needed]}`);
  else if (winner.origin === "config" && loser.origin === "config") ways.push(`list ${loser.id} before ${winner.id} in routing.rules${loser.priority === "critical" ? "" : ", with priority critical"}`);
  ways.push(`give ${loser.id} the id ${winner.id} to replace that rule`, `add ${winner.id} to routing.disable`);
  const copy = winner.origin === "default" ? `, copied into routing.rules with its id, when, agent, priority and action` : "";
  ways.push(`set continue: true on ${winner.id}${copy} (then both run)`);
  return ways;
}

/** "a, b, or c", with the first letter upper-case. */
function either(ways: readonly string[]): string {
  const text = ways.length === 1 ? ways[0]! : `${ways.slice(0, -1).join(", ")}, or ${ways.at(-1)}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Warnings for rules from the config file that can never run: a rule ranked before them
 * (higher priority, or the same and earlier in the table) matches every event they match,
 * wants the same of it, and stops there (no `continue: true`). The routing itself is right
 * to pick the winner; the rule the user wrote is what silently does nothing. The advice
 * names only what can work: no higher priority than critical, and `continue: true` on the
 * rule that wins.
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
      .map((rule, i) => ({ rule, i }))
      .filter(({ rule, i }) => i !== at && !rule.continue && before(rule, i) && covers(rule, loser))
      .sort((a, b) => rank(a.rule) - rank(b.rule) || a.i - b.i)[0];
    if (winner === undefined) return;
    const { rule: w } = winner;
    const why = rank(w) < rank(loser) ? `priority ${w.priority} over ${loser.priority}` : `priority ${w.priority} too, and earlier in the table`;
    warnings.push(
      `routing rule ${loser.id} never runs: every event it matches, rule ${w.id} matches too and wins (${why}) without continue: true. ${either(remedies(loser, w, at, winner.i))}`,
    );
  });
  return warnings;
}
