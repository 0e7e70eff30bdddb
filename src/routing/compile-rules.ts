import type { Config, ExecutorConfig, Priority, Rule, RuleWhen } from "../config/schema.js";
import { matcherOf } from "../config/string-condition.js";
import { suggestName } from "../config/suggest-name.js";
import { UsageError } from "../errors.js";
import type { EventPayload } from "../events/event-payload.js";
import { forkRunReason } from "../events/fork-run-reason.js";
import { DEFAULT_RULES } from "./default-rules.js";

/** What a condition needs beyond the event: the settings that make a branch a deploy branch. */
export interface RoutingContext {
  deployBranches: readonly string[];
  executeLabel: string;
}

/**
 * The `/agent` commands of an event that rules naming them take (a command word → the ids of
 * the matching rules that name it): `decide` works them out first, since `commentCommand:
 * true` holds only for the commands no such rule takes (src/routing/share-commands.ts).
 */
export type CommandClaims = ReadonlyMap<string, readonly string[]>;

/** What a condition is tested with: the routing context, and the commands taken by name. */
export interface CheckContext extends RoutingContext {
  claims?: CommandClaims;
}

/** One condition of a rule, ready to test: `null` when it holds, else why not. */
export type Check = (event: EventPayload, ctx: CheckContext) => string | null;

export interface CompiledRule {
  id: string;
  agent: string;
  priority: Priority;
  action: string;
  continue: boolean;
  /** Where the rule came from: the default table, or the config file (new or replacing). */
  origin: "default" | "config" | "replaced";
  when: RuleWhen;
  checks: Check[];
  /**
   * Which of a comment's `/agent` commands the rule takes: `"any"` (`commentCommand: true`:
   * those no other rule names), a test of the command word (`commentCommand: mycmd`), or
   * null: the rule is about the whole event (no `commentCommand`, or `false`).
   */
  commandWords: "any" | ((name: string) => boolean) | null;
  /**
   * The author associations a comment needs for this rule to route it (commands.associations),
   * or null when nothing is required here: a rule without commands, or one whose agent is
   * the built-in CoordinatorAgent, which checks them itself and answers a refusal.
   */
  commandAuthors: readonly string[] | null;
}

/** A value that matches strings: equality for plain strings, a RegExp for `/re/flags`. */
type StringMatcher = { describe: string; test: (value: string) => boolean };

/** Conditions on names GitHub compares in any letter case: `Octo/Hello` is `octo/hello`'s repository. */
const CASELESS_KEYS = new Set(["repository", "sender"]);

function compileMatcher(spec: string | string[], key: string, ruleLabel: string, ctx: { executeLabel: string }): StringMatcher {
  const parts = (Array.isArray(spec) ? spec : [spec]).map((raw) => {
    const value = raw === "$executeLabel" ? ctx.executeLabel : raw;
    try {
      return matcherOf(value, { caseless: CASELESS_KEYS.has(key) });
    } catch (error) {
      throw new UsageError(`${ruleLabel}.when.${key}: ${value} is not a valid regular expression (${(error as Error).message}); write /pattern/flags, or a plain string to match exactly`);
    }
  });
  const shown = (Array.isArray(spec) ? spec : [spec]).map((s) => (s === "$executeLabel" ? ctx.executeLabel : s));
  return { describe: shown.length === 1 ? shown[0]! : `one of ${shown.join(", ")}`, test: (s) => parts.some((p) => p(s)) };
}

function stringCheck(name: string, pick: (e: EventPayload) => string | null, m: StringMatcher, carriedBy?: string): Check {
  return (event) => {
    const value = pick(event);
    // A workflow run's conclusion on a check_run event is not "missing" data: that event has no workflow run.
    if (value === null && carriedBy !== undefined && event.type !== carriedBy) return `${name} is read from a ${carriedBy} event, and this is ${event.type} (wanted ${m.describe})`;
    if (value === null) return `${name} is missing (wanted ${m.describe})`;
    return m.test(value) ? null : `${name} is ${value}, not ${m.describe}`;
  };
}

function boolCheck(name: string, pick: (e: EventPayload, ctx: RoutingContext) => boolean | null, wanted: boolean): Check {
  return (event, ctx) => {
    const value = pick(event, ctx) ?? false;
    return value === wanted ? null : `${name} is ${value}, not ${wanted}`;
  };
}

/**
 * Why an event's branch is not `what`, for the explanation. A tag push (`refs/tags/v1.0`)
 * is on no branch: "branch (none)" would hide that it was a tag, so it is named as one. So is
 * a fork's workflow run, whose branch (often `main`) is the fork's, not the repository's.
 */
function notOnBranch(event: EventPayload, what: string): string {
  if (event.branch === null && event.isTag) return `${event.ref} is a tag push, not ${what}`;
  const fork = forkRunReason(event);
  if (fork !== null) return `${fork}, so not ${what}`;
  return `branch ${event.branch ?? "(none)"} is not ${what}`;
}

/** Whether the branch conditions must explain the event's missing branch instead of saying "(none)". */
const offBranch = (e: EventPayload): boolean => e.branch === null && (e.isTag || e.workflow?.fromFork === true);

/** The deploy branches in force for this event: configured ones, else its default branch. */
export function deployBranchesFor(event: EventPayload, ctx: RoutingContext): string[] {
  if (ctx.deployBranches.length > 0) return [...ctx.deployBranches];
  return event.defaultBranch ? [event.defaultBranch] : [];
}

/**
 * Whether an agent name runs the built-in CoordinatorAgent (by its own name, or mapped to it
 * with `{builtin: CoordinatorAgent}`): the one agent that checks who may run a command itself,
 * and says so to whoever may not.
 */
export function runsBuiltinCoordinator(agent: string, agents: Readonly<Record<string, ExecutorConfig>>): boolean {
  const spec = agents[agent] ?? "builtin";
  return spec === "builtin" ? agent === "CoordinatorAgent" : "builtin" in spec && spec.builtin === "CoordinatorAgent";
}

/**
 * Routes a command only from the authors allowed to run commands, as CoordinatorAgent would
 * (docs/security.md#commands): any other agent gets no comment from the rest. Write access
 * (commands.writeRequired) needs the GitHub API, which routing never calls: that check stays
 * CoordinatorAgent's.
 */
function authorCheck(authors: readonly string[]): Check {
  return (event) => {
    const association = event.comment?.authorAssociation ?? "NONE";
    return authors.includes(association) ? null : `author association ${association} is not among commands.associations (${authors.join(", ")})`;
  };
}

/** Why a comment carries no command: it has none, or it is an edited or deleted one, whose commands never count. */
function noCommandsReason(event: EventPayload): string {
  if (event.action !== null && event.action !== "created") return `an ${event.action} comment carries no /agent command: commands are read from new comments only (created)`;
  return "the comment holds no /agent command";
}

/** Why `commentCommand: true` does not hold: no command, or every one is taken by a rule that names it. */
function anyCommandCheck(event: EventPayload, ctx: CheckContext): string | null {
  if (event.commands.length === 0) return noCommandsReason(event);
  const claims = ctx.claims;
  if (claims === undefined || event.commands.some((c) => !claims.has(c.name))) return null;
  const taken = [...new Set(event.commands.map((c) => c.name))].map((name) => `${name}: ${claims.get(name)!.join(", ")}`);
  return `every /agent command in the comment is taken by a rule that names it (${taken.join("; ")})`;
}

function compileWhen(when: RuleWhen, ruleLabel: string, ctx: { executeLabel: string; commandAuthors: readonly string[] | null }): Check[] {
  const m = (key: string, spec: string | string[]) => compileMatcher(spec, key, ruleLabel, ctx);
  const checks: Check[] = [stringCheck("event", (e) => e.type, m("event", when.event))];
  if (when.action !== undefined) checks.push(stringCheck("action", (e) => e.action, m("action", when.action)));
  if (when.labelAdded !== undefined) checks.push(stringCheck("label just added", (e) => e.labelAdded, m("labelAdded", when.labelAdded)));
  if (when.label !== undefined) {
    const lm = m("label", when.label);
    checks.push((e) => (e.labels.some(lm.test) ? null : `no label is ${lm.describe}`));
  }
  if (when.commentCommand !== undefined) {
    const spec = when.commentCommand;
    if (spec === true) {
      checks.push(anyCommandCheck);
    } else if (spec === false) {
      checks.push((e) => (e.commands.length === 0 ? null : "the comment holds an /agent command"));
    } else {
      const cm = m("commentCommand", spec);
      checks.push((e) => (e.commands.some((c) => cm.test(c.name)) ? null : e.commands.length === 0 && e.action !== "created" ? noCommandsReason(e) : `no /agent command is ${cm.describe}`));
    }
    if (ctx.commandAuthors !== null) checks.push(authorCheck(ctx.commandAuthors));
  }
  if (when.draft !== undefined) checks.push(boolCheck("draft", (e) => e.draft, when.draft));
  if (when.merged !== undefined) checks.push(boolCheck("merged", (e) => e.merged, when.merged));
  if (when.branch !== undefined) {
    const bm = m("branch", when.branch);
    const check = stringCheck("branch", (e) => e.branch, bm);
    checks.push((e, c) => (offBranch(e) ? notOnBranch(e, `a branch (wanted ${bm.describe})`) : check(e, c)));
  }
  if (when.deployBranch !== undefined) {
    const wanted = when.deployBranch;
    checks.push((e, c) => {
      const branches = deployBranchesFor(e, c);
      const is = e.branch !== null && branches.includes(e.branch);
      if (is === wanted) return null;
      return wanted ? notOnBranch(e, `a deploy branch (${branches.join(", ") || "none known"})`) : `branch ${e.branch} is a deploy branch`;
    });
  }
  if (when.defaultBranch !== undefined) {
    const wanted = when.defaultBranch;
    checks.push((e) => {
      const is = e.branch !== null && e.branch === e.defaultBranch;
      if (is === wanted) return null;
      return wanted ? notOnBranch(e, `the default branch (${e.defaultBranch ?? "unknown"})`) : "the branch is the default branch";
    });
  }
  if (when.tag !== undefined) checks.push(boolCheck("tag", (e) => e.isTag, when.tag));
  if (when.deleted !== undefined) checks.push(boolCheck("deleted", (e) => e.deleted, when.deleted));
  if (when.conclusion !== undefined) checks.push(stringCheck("conclusion", (e) => e.workflow?.conclusion ?? null, m("conclusion", when.conclusion), "workflow_run"));
  if (when.workflow !== undefined) checks.push(stringCheck("workflow", (e) => e.workflow?.name ?? null, m("workflow", when.workflow), "workflow_run"));
  if (when.repository !== undefined) checks.push(stringCheck("repository", (e) => e.repository, m("repository", when.repository)));
  if (when.sender !== undefined) checks.push(stringCheck("sender", (e) => e.sender?.login ?? null, m("sender", when.sender)));
  if (when.senderType !== undefined) checks.push(stringCheck("sender type", (e) => e.sender?.type ?? null, m("senderType", when.senderType)));
  return checks;
}

/** What `CompiledRule.commandWords` says of a `commentCommand` condition. */
function commandWordsOf(spec: RuleWhen["commentCommand"], ruleLabel: string, executeLabel: string): CompiledRule["commandWords"] {
  if (spec === undefined || spec === false) return null;
  if (spec === true) return "any";
  return compileMatcher(spec, "commentCommand", ruleLabel, { executeLabel }).test;
}

/** The `when` as it applies: `$executeLabel` replaced by the configured label, for `check` and `init`. */
function resolvePlaceholders(when: RuleWhen, executeLabel: string): RuleWhen {
  const resolve = (v: unknown): unknown => (v === "$executeLabel" ? executeLabel : Array.isArray(v) ? v.map(resolve) : v);
  return Object.fromEntries(Object.entries(when).map(([k, v]) => [k, resolve(v)])) as RuleWhen;
}

/** Guardian's rules only watch the configured workflows, when some are configured. */
function withGuardianWorkflows(rule: Rule, workflows: readonly string[]): Rule {
  const guarded = rule.id === "workflow-failure" || rule.id === "workflow-recovered";
  if (!guarded || workflows.length === 0 || rule.when.workflow !== undefined) return rule;
  return { ...rule, when: { ...rule.when, workflow: [...workflows] } };
}

/**
 * Builds the rules table in force: the defaults, with config rules replacing those of the
 * same id in place and new ones appended, minus the disabled ids. Bad regular expressions
 * and unknown ids in `routing.disable` are UsageErrors naming the key.
 */
export function compileRules(config: Config, where = "config: "): CompiledRule[] {
  const { rules: userRules, disable, executeLabel } = config.routing;
  const table: { rule: Rule; origin: CompiledRule["origin"]; at: string }[] = DEFAULT_RULES.map((rule) => ({
    rule,
    origin: "default",
    at: `(default rule ${rule.id})`,
  }));
  const seen = new Set<string>();
  userRules.forEach((rule, i) => {
    if (seen.has(rule.id)) throw new UsageError(`${where}routing.rules[${i}].id: "${rule.id}" appears twice; give each rule its own id`);
    seen.add(rule.id);
    const at = table.findIndex((entry) => entry.rule.id === rule.id);
    const entry = { rule, origin: at >= 0 ? ("replaced" as const) : ("config" as const), at: `routing.rules[${i}]` };
    if (at >= 0) table[at] = entry;
    else table.push(entry);
  });
  disable.forEach((id, i) => {
    if (!table.some((entry) => entry.rule.id === id)) {
      const ids = table.map((e) => e.rule.id);
      const near = suggestName(id, ids);
      throw new UsageError(`${where}routing.disable[${i}]: no rule has id "${id}"${near === null ? "" : `: did you mean ${near}?`} (ids: ${ids.join(", ")})`);
    }
  });
  return table
    .filter((entry) => !disable.includes(entry.rule.id))
    .map(({ rule, origin, at }) => {
      const effective = withGuardianWorkflows(rule, config.guardian.workflows);
      const label = where + at;
      const spec = effective.when.commentCommand;
      const takesCommands = spec !== undefined && spec !== false;
      const commandAuthors = takesCommands && !runsBuiltinCoordinator(rule.agent, config.agents) ? [...config.commands.associations] : null;
      const checks = compileWhen(effective.when, label, { executeLabel, commandAuthors });
      return {
        id: rule.id,
        agent: rule.agent,
        priority: rule.priority,
        action: rule.action,
        continue: rule.continue ?? false,
        origin,
        when: resolvePlaceholders(effective.when, executeLabel),
        checks,
        commandWords: commandWordsOf(spec, label, executeLabel),
        commandAuthors,
      };
    });
}
