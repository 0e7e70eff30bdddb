import { commandWordOf } from "../commands/parse-commands.js";
import { isRegexLiteral, matcherOf } from "../config/string-condition.js";
import type { CompiledRule } from "./compile-rules.js";

/** The events whose comment is read for `/agent` commands (src/events/normalize-event.ts): no other event carries any. */
export const COMMAND_EVENTS: readonly string[] = ["issue_comment", "discussion_comment"];

/** Whether the rule's `when.event` (a name or a /pattern/) can be one of `events`. */
function eventCanBe(event: string, events: readonly string[]): boolean {
  // compileRules has already refused a pattern that does not compile.
  return events.some(matcherOf(event));
}

/** The comment actions besides `created` that a rule's `when.action` names (none when it has no action). */
function otherCommentActions(action: string | readonly string[] | undefined): string[] {
  if (action === undefined) return [];
  return ["edited", "deleted"].filter((a) => actionCanBe(action, a));
}

function actionCanBe(action: string | readonly string[] | undefined, wanted: string): boolean {
  if (action === undefined) return true;
  return (typeof action === "string" ? [action] : action).some((value) => matcherOf(value)(wanted));
}

/** The events whose payload holds a pull request (src/events/normalize-event.ts reads `pull_request`). */
const PULL_REQUEST_EVENTS = ["pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment", "pull_request_review_thread"];
/**
 * A branch is read from a `refs/heads/` ref at the payload's top (a push, a workflow_dispatch,
 * a code scanning alert), a pull request's base and a workflow run's head (a deployment's
 * too). These events have none of them: a check's or job's head_branch is its own field,
 * which no condition reads. Listed rather than derived, so that an event not listed is
 * never warned about wrongly.
 */
const NO_BRANCH_EVENTS = ["check_suite", "check_run", "workflow_job", "issues", "issue_comment", "discussion", "discussion_comment", "label", "release", "star", "watch", "fork", "create", "delete", "status"];
const BRANCH_FROM = "a pushed ref, a pull request's base or a workflow run's head";
/** Labels are read from the issue, pull request or discussion an event is about. */
const LABELLED_EVENTS = ["issues", "issue_comment", ...PULL_REQUEST_EVENTS, "discussion", "discussion_comment"];

type CarriedKey = "conclusion" | "workflow" | "draft" | "merged" | "tag" | "deleted" | "label";

/** The events whose payload carries what a condition reads (src/events/normalize-event.ts), and which of its values need it. */
const CARRIERS: readonly { key: CarriedKey; from: string; events: readonly string[]; needs: (value: unknown) => boolean }[] = [
  { key: "conclusion", from: "the workflow run", events: ["workflow_run"], needs: () => true },
  { key: "workflow", from: "the workflow run", events: ["workflow_run"], needs: () => true },
  { key: "draft", from: "the pull request", events: PULL_REQUEST_EVENTS, needs: (value) => value === true },
  { key: "merged", from: "the pull request", events: PULL_REQUEST_EVENTS, needs: (value) => value === true },
  { key: "tag", from: "the pushed ref", events: ["push"], needs: (value) => value === true },
  { key: "deleted", from: "the push", events: ["push"], needs: (value) => value === true },
  { key: "label", from: "the issue, pull request or discussion", events: LABELLED_EVENTS, needs: () => true },
];

/**
 * Conditions the rule's event never carries: `conclusion: failure` on a check_run event reads
 * a workflow run's conclusion, which only workflow_run events have, so the rule never runs.
 * (`draft: false` and the like hold on an event without a pull request: not these.) Only a
 * rule naming one event by name: a /pattern/ may match a carrier.
 */
function uncarriedConditions(rule: CompiledRule): string[] {
  const { event } = rule.when;
  if (isRegexLiteral(event)) return [];
  const warnings = CARRIERS.filter(({ key, events, needs }) => rule.when[key] !== undefined && needs(rule.when[key]) && !events.includes(event)).map(
    ({ key, from, events }) =>
      `routing rule ${rule.id} never runs: ${key} is read from ${from}, which only ${events.join(", ")} events carry, and its event is ${event}. Write event: ${events[0]}, or drop ${key}`,
  );
  // The branch conditions, on an event known to have no branch.
  if (NO_BRANCH_EVENTS.includes(event)) {
    for (const key of ["branch", "deployBranch", "defaultBranch"] as const) {
      const value = rule.when[key];
      if (value === undefined || (key !== "branch" && value !== true)) continue;
      const instead = ["check_suite", "check_run", "workflow_job"].includes(event) ? "workflow_run" : "push";
      warnings.push(`routing rule ${rule.id} never runs: ${key} is read from ${BRANCH_FROM}, and a ${event} event has none. Write event: ${instead}, or drop ${key}`);
    }
  }
  // labelAdded is the label a `labeled` action just added: every other action has none.
  const { labelAdded, action } = rule.when;
  if (labelAdded !== undefined && !actionCanBe(action, "labeled")) {
    warnings.push(`routing rule ${rule.id} never runs: labelAdded is the label a labeled action just added, and its action is ${describeAction(action)}. Write action: labeled, or label: (a label the issue or pull request carries) instead of labelAdded`);
  }
  return warnings;
}

function describeAction(action: string | readonly string[] | undefined): string {
  return typeof action === "string" ? action : (action ?? []).join(", ");
}

/**
 * A `repository` value that is neither owner/name nor a /pattern/ (`octo`, an owner alone):
 * compared with the event's full name, it never matches.
 */
function repositoryWithoutOwner(rule: CompiledRule): string[] {
  const spec = rule.when.repository;
  if (spec === undefined) return [];
  return (typeof spec === "string" ? [spec] : spec)
    .filter((value) => !isRegexLiteral(value) && !value.includes("/"))
    .map((value) => `routing rule ${rule.id} never runs${typeof spec === "string" ? "" : ` for "${value}"`}: repository is matched against the full name (owner/name), and "${value}" has no owner. Write ${value}/<name>, or a /pattern/ such as /^${value.replaceAll(".", "\\.")}\\//i for every repository of ${value}`);
}

/**
 * A rule that asks for a bot's comment or label: switchyard ignores those (decide.ts,
 * ignoredReason: no bot drives it, nor it itself), so the rule never runs. Only plain values
 * that name bots alone (`senderType: Bot`, a `…[bot]` sender) on a comment event or a
 * `labeled` action.
 */
function botTrigger(rule: CompiledRule): string | null {
  const { event, action, labelAdded, senderType, sender } = rule.when;
  const only = (spec: string | readonly string[] | undefined, test: (value: string) => boolean) =>
    spec !== undefined && (typeof spec === "string" ? [spec] : spec).every((value) => !isRegexLiteral(value) && test(value));
  if (!only(senderType, (v) => v === "Bot") && !only(sender, (v) => v.toLowerCase().endsWith("[bot]"))) return null;
  const comment = !isRegexLiteral(event) && COMMAND_EVENTS.includes(event);
  if (!comment && labelAdded === undefined && !only(action, (a) => a === "labeled")) return null;
  return `routing rule ${rule.id} never runs: switchyard ignores ${comment ? "comments" : "labels"} by bots (no bot can drive it, nor can it drive itself), and the rule asks for a bot's. Other events from bots (a Dependabot pull request opened) route as usual`;
}

/** A rule's `commentCommand` words (not `true`/`false`): one string or a list. */
function commandWords(spec: string | readonly string[]): readonly string[] {
  return typeof spec === "string" ? [spec] : spec;
}

/**
 * Why no comment `/agent …` is the rule's command `word` (or only one nobody means to write),
 * with what to write instead; null for a word a comment carries as written. Derived from
 * the parser (commandWordOf), which reads the one word after `/agent`, lower-cased.
 */
function commandWordProblem(ruleId: string, word: string): string | null {
  if (isRegexLiteral(word)) return null;
  const read = commandWordOf(word);
  // `/agent /fix` would yield `/fix`: "runs only on" rather than a false "never runs".
  const lead = read === word ? `runs for ${word} only on the comment \`/agent ${word}\`` : `never runs for "${word}"`;
  // `/agent fix` (a Probot app's command ported as is): the rule names the word after /agent.
  if (/^\/agent(\s|$)/i.test(word)) {
    const meant = commandWordOf(word.slice("/agent".length));
    return `routing rule ${ruleId} ${lead}: commentCommand names the word after /agent, not the whole command (the comment \`/agent ${meant}\` is the command ${meant}). Write commentCommand: ${meant}`;
  }
  if (word.includes("/")) {
    const meant = commandWordOf(word.split("/").find((part) => part.trim() !== "") ?? word);
    return `routing rule ${ruleId} ${lead}: commentCommand names the word after /agent, without a slash (a /pattern/ needs its closing /). Write commentCommand: ${meant}`;
  }
  if (read === word) return null;
  if (read === word.toLowerCase()) {
    return `routing rule ${ruleId} never runs for ${word}: command words are read in lower case (\`/agent ${word}\` is ${read}). Write commentCommand: ${read}`;
  }
  return `routing rule ${ruleId} ${lead}: a command is one word, and the words after it are its arguments (\`/agent ${word}\` is the command ${read}; the agent gets the arguments in event.commands). Write commentCommand: ${read}`;
}

/**
 * Warnings for rules from the config file whose conditions no event can meet together:
 * `commentCommand` asks for an `/agent` command, which only a comment event carries, so on
 * any other event the rule silently never runs. (`commentCommand: false` holds on every
 * other event, so it is not one of these.) A command word no comment yields never matches
 * either: one with capitals (commands are read lower-cased), with whitespace (one word is
 * the command, the rest its arguments), or written with its `/agent`.
 *
 * @example findUnmatchableRules(compileRules(config)) // ['routing rule deploy-on-issue never runs: …']
 */
export function findUnmatchableRules(rules: readonly CompiledRule[]): string[] {
  const warnings: string[] = [];
  for (const rule of rules) {
    if (rule.origin === "default") continue;
    warnings.push(...uncarriedConditions(rule), ...repositoryWithoutOwner(rule));
    const bots = botTrigger(rule);
    if (bots !== null) warnings.push(bots);
    const { event, commentCommand } = rule.when;
    if (commentCommand === undefined || commentCommand === false) continue;
    if (commentCommand !== true) {
      for (const word of commandWords(commentCommand)) {
        const problem = commandWordProblem(rule.id, word);
        if (problem !== null) warnings.push(problem);
      }
    }
    if (eventCanBe(event, COMMAND_EVENTS)) {
      const other = otherCommentActions(rule.when.action);
      if (other.length > 0) {
        const none = !actionCanBe(rule.when.action, "created");
        warnings.push(
          `routing rule ${rule.id} ${none ? "never runs" : "runs only on created comments"}: an ${other.join(" or ")} comment carries no /agent command (commands are read from new comments only, so an edit cannot run one). ` +
            (none ? "Write action: created" : `Drop ${other.join(" and ")} from its action`),
        );
      }
      continue;
    }
    warnings.push(
      `routing rule ${rule.id} never runs: its commentCommand needs an /agent command, which only ${COMMAND_EVENTS.join(" and ")} events carry, and its event is ${event}. ` +
        `Write event: issue_comment (or discussion_comment) for a command, or drop commentCommand`,
    );
  }
  return warnings;
}
