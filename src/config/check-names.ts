import type { Config, RuleWhen } from "./schema.js";
import { BUILTIN_AGENT_NAMES, DEFAULT_AGENTS } from "./schema.js";
import { isRegexLiteral, matcherOf } from "./string-condition.js";
import { didYouMean, suggestName } from "./suggest-name.js";
import { WEBHOOK_EVENT_ACTIONS } from "./webhook-events.generated.js";

/** The agent `/agent execute` hands its plan to (the coordinator's EXECUTION_AGENT). */
export const EXECUTION_AGENT_NAME = "ExecutionAgent";

/** Names an `agents:` key may have without a rule using it: the built-in agents and the execution agent. */
export const KNOWN_AGENT_NAMES: readonly string[] = [...DEFAULT_AGENTS, EXECUTION_AGENT_NAME];

/** GitHub's list of webhook events, for a name that is near none of them. */
export const EVENTS_DOC = "https://docs.github.com/en/webhooks/webhook-events-and-payloads";

/**
 * GitHub Actions triggers that are never sent as webhooks but whose payload is another
 * event's: a `pull_request_target` workflow gets a `pull_request` payload, so `route` routes
 * it as `pull_request` (and rules name `pull_request`).
 */
const ACTIONS_EVENT_ALIASES: Readonly<Record<string, string>> = { pull_request_target: "pull_request" };

/**
 * The webhook event a GitHub Actions event name routes as: itself, or the event whose
 * payload an Actions-only trigger carries.
 *
 * @example webhookEventOf("pull_request_target") // "pull_request"
 */
export function webhookEventOf(name: string): string {
  return Object.hasOwn(ACTIONS_EVENT_ALIASES, name) ? ACTIONS_EVENT_ALIASES[name]! : name;
}

/**
 * Why `value` is not a repository's `owner/name` (null when it is one): a filter that could
 * match nothing is a mistake, refused by the CLI (`--repository`) and the admin API
 * (`?repository=`) alike.
 *
 * @example repositoryNameProblem("hello") // 'repository is owner/name, like octo-org/hello, not "hello"'
 */
export function repositoryNameProblem(value: string): string | null {
  return /^[^/\s]+\/[^/\s]+$/.test(value) ? null : `repository is owner/name, like octo-org/hello, not "${value}"`;
}

/**
 * Why `name` is not an event GitHub sends as a webhook, with the nearest one; null when it
 * is one. A typo would filter or route nothing, as if no such event had come, so the CLI
 * (exit 2) and the admin API (400) refuse it with this one message.
 *
 * @example webhookEventProblem("isues") // 'event "isues" is not a GitHub webhook event: did you mean issues?'
 */
export function webhookEventProblem(name: string): string | null {
  if (Object.hasOwn(WEBHOOK_EVENT_ACTIONS, name)) return null;
  const alias = webhookEventOf(name);
  if (alias !== name) return `event "${name}" is a GitHub Actions trigger, never sent as a webhook: its payload is a ${alias} event's (use ${alias})`;
  // `issues.opened`, as lists show an event with its action: the part before the dot is the event.
  const [event, action] = name.split(".", 2);
  if (action !== undefined && event !== undefined && Object.hasOwn(WEBHOOK_EVENT_ACTIONS, event)) {
    return `event "${name}" names an action as well: give the event alone, ${event}`;
  }
  return `event "${name}" is not a GitHub webhook event:${didYouMean(name, Object.keys(WEBHOOK_EVENT_ACTIONS)) || ` see ${EVENTS_DOC}`}`;
}

/** Events whose action is chosen by whoever sends them: `event_type` of a repository dispatch. */
const FREE_ACTION_EVENTS = new Set(["repository_dispatch"]);

export interface CheckNamesOptions {
  /** Agents the caller's registry adds to the built-in ones (tests, embedders): they run as `builtin`. */
  extraAgents?: readonly string[];
}

const quote = (value: string): string => (isRegexLiteral(value) ? value : `"${value}"`);
const listOf = (spec: string | readonly string[]): readonly string[] => (typeof spec === "string" ? [spec] : spec);

/**
 * What a rule's `when.event` and `when.action` name must exist: events GitHub sends, and
 * actions of those events (a regular expression must match at least one). Each problem
 * names the key (`at` is the rule's), the bad value and the nearest valid one.
 *
 * @example checkRuleWhen({ event: "issue" }, "routing.rules[0]") // ['routing.rules[0].when.event: "issue" is not a GitHub webhook event: did you mean issues?']
 */
export function checkRuleWhen(when: RuleWhen, at: string): string[] {
  const problems: string[] = [];
  const known = Object.keys(WEBHOOK_EVENT_ACTIONS);
  const eventMatches = matcherOf(when.event);
  const events = known.filter(eventMatches);
  const alias = webhookEventOf(when.event);
  if (alias !== when.event) {
    problems.push(`${at}.when.event: "${when.event}" is a GitHub Actions trigger, not a webhook event: route reads its payload as a ${alias} event's, so write event: ${alias}`);
    return problems;
  }
  if (events.length === 0) {
    // `issues.opened`, as lists show an event with its action: the event and its action are two keys.
    const [event, action] = when.event.split(".", 2);
    if (!isRegexLiteral(when.event) && action !== undefined && event !== undefined && Object.hasOwn(WEBHOOK_EVENT_ACTIONS, event)) {
      problems.push(`${at}.when.event: "${when.event}" names an action as well: write event: ${event} and action: ${action}`);
      return problems;
    }
    const hint = isRegexLiteral(when.event) ? "" : didYouMean(when.event, known);
    problems.push(`${at}.when.event: ${quote(when.event)} ${isRegexLiteral(when.event) ? "matches no" : "is not a"} GitHub webhook event:${hint || ` see ${EVENTS_DOC}`}`);
    return problems;
  }
  if (when.action === undefined || events.some((e) => FREE_ACTION_EVENTS.has(e))) return problems;
  const actions = [...new Set(events.flatMap((e) => WEBHOOK_EVENT_ACTIONS[e] ?? []))].sort();
  const eventsName = events.length === 1 ? `${events[0]} events` : `the events ${quote(when.event)} matches`;
  const actionKey = `${at}.when.action`;
  if (actions.length === 0) {
    problems.push(`${actionKey}: ${eventsName} have no action: remove when.action`);
    return problems;
  }
  const values = listOf(when.action);
  values.forEach((value, i) => {
    if (actions.some(matcherOf(value))) return;
    const key = typeof when.action === "string" ? actionKey : `${actionKey}[${i}]`;
    const hint = isRegexLiteral(value) ? "" : didYouMean(value, actions);
    const verb = isRegexLiteral(value) ? "matches no action of" : "is not an action of";
    problems.push(`${key}: ${quote(value)} ${verb} ${eventsName}:${hint || ` use one of ${actions.join(", ")}`}`);
  });
  return problems;
}

/**
 * Agent names, events and actions that the schema accepts as strings but that must name
 * something real, or a typo routes to nothing (or to the log agent, marked succeeded):
 * - a rule's agent is a built-in agent or one configured under `agents`;
 * - an `agents` key is a known agent name or one a rule uses (one that a rule's misspelt
 *   agent is nearest to is left to that rule's error), and `Name: builtin` only for a name
 *   that has a built-in agent;
 * - a `worker.perAgent` key names an agent that can run;
 * - a rule's event is a GitHub webhook event and its actions belong to that event.
 * Returns every problem found (an empty list when the names are sound).
 *
 * @example
 * checkNames(config) // ['routing.rules[0].agent: "IsueAgent" is neither a built-in agent nor configured under agents: did you mean IssueAgent?']
 */
export function checkNames(config: Config, options: CheckNamesOptions = {}): string[] {
  const problems: string[] = [];
  const builtin = [...BUILTIN_AGENT_NAMES, ...(options.extraAgents ?? [])];
  const configured = Object.keys(config.agents);
  const rules = config.routing.rules;
  const ruleAgents = new Set(rules.map((rule) => rule.agent));
  const runnable = [...new Set([...builtin, ...configured])];
  // A rule naming no agent is refused below with the configured agent it is nearest to. That
  // agent is then unused only because of the rule's typo: blaming it too would tell the user
  // to rename the agent after the typo, and the rule to name the agent.
  const unknownRuleAgents = [...ruleAgents].filter((agent) => !runnable.includes(agent));
  const meantByARule = new Set(unknownRuleAgents.map((agent) => suggestName(agent, runnable)));

  for (const [name, spec] of Object.entries(config.agents)) {
    const known = [...KNOWN_AGENT_NAMES, ...builtin, ...ruleAgents];
    if (!known.includes(name)) {
      if (meantByARule.has(name)) continue;
      const hint = didYouMean(name, [...KNOWN_AGENT_NAMES, ...[...ruleAgents].filter((agent) => runnable.includes(agent))]);
      problems.push(`agents.${name}: "${name}" is not a known agent and no rule uses it:${hint || ` add a rule with agent: ${name}, or remove it (known agents: ${KNOWN_AGENT_NAMES.join(", ")})`}`);
    } else if (spec === "builtin" && !builtin.includes(name)) {
      const hint = didYouMean(name, builtin);
      problems.push(`agents.${name}: builtin runs the built-in agent called ${name}, and there is none:${hint || ""} give it an executor ({exec: [argv…]}, {http: {url, secret}}, {workflow: {id}}), or {builtin: log} to only log its tasks`);
    }
  }

  rules.forEach((rule, i) => {
    const at = `routing.rules[${i}]`;
    if (!runnable.includes(rule.agent)) {
      const hint = didYouMean(rule.agent, runnable);
      problems.push(
        `${at}.agent: "${rule.agent}" is neither a built-in agent nor configured under agents:${hint || ` configure it (agents: {${rule.agent}: {exec: [./your-agent]}}) or use a built-in one (${builtin.join(", ")})`}`,
      );
    }
    problems.push(...checkRuleWhen(rule.when, at));
  });

  const limitable = [...new Set([...runnable, ...KNOWN_AGENT_NAMES, ...ruleAgents])];
  for (const name of Object.keys(config.worker.perAgent)) {
    if (!limitable.includes(name)) {
      problems.push(`worker.perAgent.${name}: no agent is called "${name}":${didYouMean(name, limitable) || ` the agents are ${limitable.join(", ")}`}`);
    }
  }
  return problems;
}

