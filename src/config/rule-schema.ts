import { z } from "zod";
import { kindOf, requiredKey } from "./key-messages.js";
import { isRegexLiteral } from "./string-condition.js";
import { PRIORITIES, type Priority } from "./priorities.js";

/** A routing rule as the config writes it (`routing.rules[]`, docs/routing.md). */

export { PRIORITIES, type Priority };

/**
 * A condition value: a string, or a list of them (any may match). A string written as
 * /pattern/flags is a regular expression.
 */
/** How to write a condition's value: one value, a list of them (any matches), or a /pattern/. */
const WRITE_MATCHER = "write a value, a list of values (any of them matches) or a /pattern/ (a regular expression between slashes)";
const matcherValue = z.string({ error: (issue) => (issue.code === "invalid_type" ? `is ${kindOf(issue.input)}: ${WRITE_MATCHER}` : undefined) }).min(1, `is empty: ${WRITE_MATCHER}`);
const matcher = z.union([matcherValue, z.array(matcherValue).min(1, `is an empty list: ${WRITE_MATCHER}`)], {
  error: (issue) => (issue.code === "invalid_union" || issue.code === "invalid_type" ? `is ${kindOf(issue.input)}: ${WRITE_MATCHER}` : undefined),
});

/** The words YAML 1.1 read as booleans and YAML 1.2 reads as strings. */
const YAML_BOOLEAN_WORDS = new Set(["yes", "no", "on", "off"]);

/** What each key of a rule is, for the errors that would otherwise only say "expected string". */
const RULE_KEYS = {
  id: "the rule's id, lower-case words joined by dashes like pr-opened (check and route --explain name the rule by it, routing.disable takes it, and a default rule's id replaces that rule)",
  when: "the rule's when, the event it routes and its conditions, like {event: issues, action: opened}",
  event: "the GitHub webhook event the rule routes, like issues or pull_request (or a /pattern/)",
  agent: "the agent the rule's task goes to: a built-in one (IssueAgent, ReviewAgent, DeploymentAgent, CoordinatorAgent, Guardian, log) or one under agents",
  priority: "the rule's priority, critical, high, medium or low (of the rules an event matches, the highest-priority one runs)",
  action: 'the rule\'s action, a short description of what the task does, shown in the routing comment and by `tasks`, like "Label the issue"',
} as const;

/** What git refuses in a branch name: a name holding one is a glob or a slip, and no branch has it. */
export const NOT_IN_BRANCH_NAMES = /[*?[\]\\~^:\s]/;

/**
 * A plain `branch` condition holding what git refuses in a branch name (`*`, `?`, `[`, …): a
 * glob like `release/*`, which is matched as written and so matches no branch.
 *
 * @example branchGlobSlip("release/*") // "… write a /pattern/ such as /^release\\// …"
 */
export function branchGlobSlip(name: string): string | null {
  if (isRegexLiteral(name) || !NOT_IN_BRANCH_NAMES.test(name)) return null;
  const prefix = /^([^*?[\]\\~^:\s]+)\*$/.exec(name)?.[1];
  const instead = prefix === undefined ? "a /pattern/ (a regular expression)" : `a /pattern/ such as /^${prefix.replace(/[.+()|{}$^/]/g, (c) => `\\${c}`)}/`;
  return `"${name}" is matched as an exact branch name, and no branch holds * ? [ ] \\ ~ ^ : or spaces (git refuses them), so it would match nothing: write ${instead}, or list the branches by name`;
}

export const ruleWhenSchema = z.strictObject({
  /** One event name (or a /pattern/): the action and the other conditions are read as that event's. */
  event: z
    .string({
      error: (issue) =>
        Array.isArray(issue.input) ? "event takes one event name, not a list: write one rule per event (each with its own id), or a /pattern/ like /^(issues|push)$/" : requiredKey(RULE_KEYS.event).error(issue),
    })
    .min(1, `empty: write ${RULE_KEYS.event}`),
  action: matcher.optional(),
  /** The label this `labeled` event just added. */
  labelAdded: matcher.optional(),
  /** Any label the issue or pull request carries. */
  label: matcher.optional(),
  /** true: the comment holds an `/agent` command; a string or list: one of these commands. */
  commentCommand: z
    .union([z.boolean(), matcher], {
      error: (issue) =>
        issue.code === "invalid_union" || issue.code === "invalid_type"
          ? `is ${kindOf(issue.input)}: write true (any /agent command), false (none), a command word, a list of them or a /pattern/`
          : undefined,
    })
    .refine((value) => typeof value !== "string" || !YAML_BOOLEAN_WORDS.has(value.trim().toLowerCase()), {
      // YAML 1.2 reads yes/no/on/off as strings: as a command word, `commentCommand: yes` would wait for `/agent yes`.
      message: "yes, no, on and off are strings in YAML, so this names the command /agent <word>: write true or false (unquoted) for any command or none, or [yes] for a command of that name",
    })
    .optional(),
  draft: z.boolean().optional(),
  merged: z.boolean().optional(),
  /** The branch: a push's branch, a pull request's base, a workflow run's head branch (none for a run from a fork). */
  branch: matcher
    .superRefine((value, ctx) => {
      const values = typeof value === "string" ? [value] : value;
      values.forEach((name, i) => {
        const message = branchGlobSlip(name);
        if (message !== null) ctx.addIssue({ code: "custom", message, path: typeof value === "string" ? [] : [i] });
      });
    })
    .optional(),
  /** The branch is one of routing.deployBranches (default: the repository's default branch). */
  deployBranch: z.boolean().optional(),
  /** The branch is the repository's default branch. */
  defaultBranch: z.boolean().optional(),
  tag: z.boolean().optional(),
  deleted: z.boolean().optional(),
  conclusion: matcher.optional(),
  workflow: matcher.optional(),
  repository: matcher.optional(),
  sender: matcher.optional(),
  senderType: matcher.optional(),
}, requiredKey(RULE_KEYS.when));

export const ruleSchema = z.strictObject({
  id: z.string(requiredKey(RULE_KEYS.id)).regex(/^[a-z0-9][a-z0-9-]*$/, "rule ids are lower-case words joined by dashes, like pr-opened"),
  when: ruleWhenSchema,
  agent: z.string(requiredKey(RULE_KEYS.agent)).min(1, `empty: write ${RULE_KEYS.agent}`),
  priority: z.enum(PRIORITIES, requiredKey(RULE_KEYS.priority)),
  action: z.string(requiredKey(RULE_KEYS.action)).min(1, `empty: write ${RULE_KEYS.action}`),
  continue: z.boolean().optional(),
});

export type RuleWhen = z.infer<typeof ruleWhenSchema>;
export type Rule = z.infer<typeof ruleSchema>;
