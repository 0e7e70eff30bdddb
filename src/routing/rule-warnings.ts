import { builtinAgentOf } from "../config/builtin-agent-of.js";
import type { Config } from "../config/schema.js";
import type { CompiledRule } from "./compile-rules.js";
import { findShadowedRules } from "./shadowed-rules.js";
import { findUncheckedCommands } from "./unchecked-commands.js";
import { findUnmatchableRules } from "./unmatchable-rules.js";

/** Command rules whose agent checks commands.associations when that list is empty: no comment can run them. */
function nobodyMayCommand(rules: readonly CompiledRule[]): string[] {
  return rules
    .filter((rule) => rule.commandAuthors !== null && rule.commandAuthors.length === 0)
    .map((rule) => `routing rule ${rule.id} never runs: commands.associations is empty, so no commenter's author association may run its command; list who may (e.g. [OWNER, MEMBER, COLLABORATOR])`);
}

/** Rules the config writes and also disables: valid, but the rule written never runs. */
function disabledOwnRules(config: Config): string[] {
  return config.routing.rules
    .map((rule, i) => ({ id: rule.id, i }))
    .filter(({ id }) => config.routing.disable.includes(id))
    .map(({ id, i }) => `routing rule ${id} (routing.rules[${i}]) never runs: routing.disable lists it too; take it out of one of them`);
}

/** The built-in agents that can work on a discussion: CoordinatorAgent answers its commands, log writes a line. */
const FOR_DISCUSSIONS = new Set(["CoordinatorAgent", "log"]);

/** Rules that route discussion events to a built-in agent that works on issues and pull requests: every task fails. */
function discussionsToIssueAgents(rules: readonly CompiledRule[], config: Config): string[] {
  return rules.flatMap((rule) => {
    const builtin = builtinAgentOf(rule.agent, config.agents);
    if (rule.origin !== "config" || !/^discussion(_comment)?$/.test(rule.when.event) || builtin === null || FOR_DISCUSSIONS.has(builtin)) return [];
    return [
      `routing rule ${rule.id}'s tasks fail: ${rule.agent} (built in) works on issues and pull requests, and a discussion is neither (GitHub answers its issue calls 404); discussions are answered by /agent commands (CoordinatorAgent) and /convert-to-issue, or route them to an exec or http agent of yours`,
    ];
  });
}

/**
 * What is valid in the rules table but surely not meant: rules that can never match or never
 * run (shadowed, disabled, nobody may command them) and command rules nobody checks. `check`
 * prints them; `serve` says them at start, where a routed event would otherwise be the
 * first sign.
 *
 * @example ruleWarnings(loaded.rules, loaded.config) // ["routing rule my-issue never runs: …"]
 */
export function ruleWarnings(rules: readonly CompiledRule[], config: Config): string[] {
  return [
    ...findUnmatchableRules(rules),
    ...findShadowedRules(rules),
    ...findUncheckedCommands(rules, config.commands),
    ...disabledOwnRules(config),
    ...nobodyMayCommand(rules),
    ...discussionsToIssueAgents(rules, config),
  ];
}
