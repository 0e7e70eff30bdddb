import type { AgentCommand } from "../commands/parse-commands.js";
import type { Config } from "../config/schema.js";
import { isRegexLiteral, matcherOf } from "../config/string-condition.js";
import { compileRules, runsBuiltinCoordinator, type CompiledRule } from "../routing/compile-rules.js";
import { claimCommands, commandsTaken } from "../routing/share-commands.js";
import type { AgentContext } from "./agent.js";

// The config of a process does not change while it runs: its rules are compiled once.
const compiled = new WeakMap<Config, CompiledRule[]>();

function rulesOf(config: Config): CompiledRule[] {
  let rules = compiled.get(config);
  if (rules === undefined) {
    rules = compileRules(config);
    compiled.set(config, rules);
  }
  return rules;
}

/**
 * The `/agent` commands of the event that are this task's, as routing shared them out
 * (src/routing/share-commands.ts): the ones its rule names, or for `commentCommand: true`
 * the ones no other rule takes. A task whose rule is about the whole event gets every
 * command; one whose rule the config no longer has (a task routed under another config) gets
 * those no rule takes by name, as `commentCommand: true` would.
 *
 * @example taskCommands(ctx) // [{name: "status", args: []}] for comment-command on "/agent mycmd\n/agent status"
 */
export function taskCommands(ctx: Pick<AgentContext, "task" | "event" | "config">): AgentCommand[] {
  const { event, config } = ctx;
  if (event.commands.length === 0) return [];
  const rules = rulesOf(config);
  const claims = claimCommands(event, rules, config.routing);
  const rule = rules.find((r) => r.id === ctx.task.rule);
  const names = rule ? commandsTaken(rule, event, claims) : event.commands.map((c) => c.name).filter((name) => !claims.has(name));
  return names === null ? event.commands : event.commands.filter((c) => names.includes(c.name));
}

/**
 * The rules that route a command word to an agent other than CoordinatorAgent, by the word
 * alone: when one of them did not route the comment (its other conditions did not hold),
 * CoordinatorAgent says so instead of that it knows no such command.
 *
 * @example rulesNaming("mycmd", config) // [{id: "my-command", agent: "MyAgent", …}]
 */
export function rulesNaming(name: string, config: Config): CompiledRule[] {
  return rulesOf(config).filter((r) => typeof r.commandWords === "function" && r.commandWords(name) && !runsBuiltinCoordinator(r.agent, config.agents));
}

/** A command of the config's own: a rule that routes `/agent WORD` (or a word matching a /pattern/) to an agent other than CoordinatorAgent. */
export interface CustomCommand {
  /** The word as the rule writes it: a plain word, or a `/pattern/`. */
  word: string;
  agent: string;
  rule: string;
}

/** The commands' plain words (not their `/pattern/`s): what a near miss may be told it meant. */
export function plainWords(commands: readonly CustomCommand[]): string[] {
  return commands.map((c) => c.word).filter((word) => !isRegexLiteral(word));
}

/**
 * The config's own `/agent` commands, for `/agent help`: each word that a rule routes to an
 * agent other than CoordinatorAgent. With `event`, only the rules that can match that event
 * (a discussion's help leaves out the commands of issue comments).
 *
 * @example customCommands(config, "issue_comment") // [{word: "mycmd", agent: "MyAgent", rule: "my-command"}]
 */
export function customCommands(config: Config, event?: string): CustomCommand[] {
  const out: CustomCommand[] = [];
  for (const rule of rulesOf(config)) {
    const spec = rule.when.commentCommand;
    if (typeof rule.commandWords !== "function" || spec === undefined || typeof spec === "boolean" || runsBuiltinCoordinator(rule.agent, config.agents)) continue;
    if (event !== undefined && rule.when.event !== undefined && !matcherOf(rule.when.event)(event)) continue;
    for (const word of Array.isArray(spec) ? spec : [spec]) {
      // A plain word with capitals never matches (command words are read in lower case; check warns): not offered.
      if (isRegexLiteral(word) || word === word.toLowerCase()) out.push({ word, agent: rule.agent, rule: rule.id });
    }
  }
  return out;
}
