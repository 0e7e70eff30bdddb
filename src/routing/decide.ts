import { PRIORITIES, type Priority } from "../config/schema.js";
import type { EventPayload } from "../events/event-payload.js";
import type { CheckContext, CompiledRule, RoutingContext } from "./compile-rules.js";
import { claimCommands, commandsTaken, wantSame } from "./share-commands.js";

/** The part of a rule a decision reports: the `decision` object of `route --json`. */
export interface RoutedRule {
  rule: string;
  agent: string;
  priority: Priority;
  action: string;
}

/** Why one rule did or did not run for an event. */
export interface RuleVerdict extends RoutedRule {
  matched: boolean;
  /** For a rule that did not match, the first condition that failed. */
  reason: string | null;
  outcome: "runs" | "outranked" | "no-match";
  /** For an outranked rule: the rule that stopped it. */
  by?: string;
  /** For a matching rule with `commentCommand`: the comment's `/agent` command words it takes. */
  commands?: string[];
}

export interface RoutingDecision {
  matched: boolean;
  /** The winning rule; null when nothing matched. */
  decision: RoutedRule | null;
  /** Every rule that runs: the winner, then those a `continue: true` let through. */
  decisions: RoutedRule[];
  /** Set when the event was dropped before routing, e.g. switchyard's own comment. */
  ignored?: "own-event" | "bot-sender";
  explanation: RuleVerdict[];
}

export interface DecideOptions extends RoutingContext {
  /** switchyard's own login(s): events they cause never trigger commands or execution. */
  ownLogins?: readonly string[];
  /** Build the per-rule explanation (default true); the webhook path skips it. */
  explain?: boolean;
}

const RANK: Record<Priority, number> = Object.fromEntries(PRIORITIES.map((p, i) => [p, i])) as Record<Priority, number>;

/** github-actions[bot] is switchyard's identity in Actions mode, whatever else is configured. */
export const ACTIONS_IDENTITY = "github-actions[bot]";

function isTrigger(event: EventPayload): boolean {
  return event.type === "issue_comment" || event.type === "discussion_comment" || event.action === "labeled";
}

/**
 * Why an event must not trigger anything: comments switchyard wrote (marker or identity),
 * and comments or labels by bots — the loops of docs/security.md#commands. Other events from
 * bots (a Dependabot pull request, a failed workflow switchyard dispatched) still route.
 */
export function ignoredReason(event: EventPayload, ownLogins: readonly string[] = []): RoutingDecision["ignored"] {
  if (!isTrigger(event)) return undefined;
  if (event.comment?.markedOwn) return "own-event";
  const login = event.sender?.login;
  if (login && (login === ACTIONS_IDENTITY || ownLogins.includes(login))) return "own-event";
  if (event.sender?.type === "Bot") return "bot-sender";
  return undefined;
}

function routed(rule: CompiledRule): RoutedRule {
  return { rule: rule.id, agent: rule.agent, priority: rule.priority, action: rule.action };
}

/**
 * Decides which rules handle an event. Of the rules that match, the highest priority wins
 * (table order breaks ties); a winner with `continue: true` lets the next-ranked matching
 * rule run too, and so on. A comment's `/agent` commands are shared out first: a rule that
 * names a command word takes it, `commentCommand: true` takes the rest, and rules that take
 * different commands of one comment do not stop one another (docs/routing.md#deciding).
 * Pure: the same event and table always give the same decision.
 */
export function decide(event: EventPayload, rules: readonly CompiledRule[], options: DecideOptions): RoutingDecision {
  const ignored = ignoredReason(event, options.ownLogins);
  const claims = ignored ? new Map<string, string[]>() : claimCommands(event, rules, options);
  const ctx: CheckContext = claims.size === 0 ? options : { ...options, claims };
  const verdicts = rules.map((rule) => {
    const reason = ignored ? `ignored: ${ignored}` : firstFailure(rule, event, ctx);
    return { rule, reason };
  });
  const ranked = verdicts
    .map((v, order) => ({ ...v, order }))
    .filter((v) => v.reason === null)
    .sort((a, b) => RANK[a.rule.priority] - RANK[b.rule.priority] || a.order - b.order);

  // A rule runs unless a higher-ranked one that runs, and does not continue, wants the same.
  const running: { rule: CompiledRule; takes: string[] | null }[] = [];
  const stoppedBy = new Map<CompiledRule, string>();
  const taken = new Map<CompiledRule, string[]>();
  for (const { rule } of ranked) {
    const takes = commandsTaken(rule, event, claims);
    if (takes !== null) taken.set(rule, takes);
    const stopper = running.find((r) => !r.rule.continue && wantSame(r.takes, takes));
    if (stopper) stoppedBy.set(rule, stopper.rule.id);
    else running.push({ rule, takes });
  }
  const runs = new Set(running.map((r) => r.rule));

  const explanation: RuleVerdict[] = options.explain === false ? [] : verdicts.map(({ rule, reason }) => {
    const commands = taken.get(rule);
    return {
      ...routed(rule),
      matched: reason === null,
      reason,
      outcome: runs.has(rule) ? "runs" : reason === null ? "outranked" : "no-match",
      ...(stoppedBy.has(rule) ? { by: stoppedBy.get(rule) } : {}),
      ...(commands ? { commands } : {}),
    };
  });
  const decisions = running.map((r) => routed(r.rule));
  return {
    matched: decisions.length > 0,
    decision: decisions[0] ?? null,
    decisions,
    ...(ignored ? { ignored } : {}),
    explanation,
  };
}

function firstFailure(rule: CompiledRule, event: EventPayload, ctx: CheckContext): string | null {
  for (const check of rule.checks) {
    const failure = check(event, ctx);
    if (failure !== null) return failure;
  }
  return null;
}
