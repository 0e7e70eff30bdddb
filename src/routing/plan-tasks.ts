import type { EventPayload } from "../events/event-payload.js";
import type { NewTask } from "../store/store.js";
import type { CompiledRule } from "./compile-rules.js";
import { decide, type DecideOptions, type RoutingDecision } from "./decide.js";

/**
 * The key that makes a task run once however many deliveries ask for it. A deployment is
 * the case that matters: the merge's `pull_request.closed` and the `push` of the same sha
 * both route to DeploymentAgent, and must deploy once (docs/design.md).
 */
export function idempotencyKeyFor(agent: string, event: EventPayload, environment = "production"): string | null {
  if (agent === "DeploymentAgent" && event.repository && event.sha && event.type !== "issue_comment") {
    return `deploy:${event.repository}:${event.sha}:${environment}`;
  }
  return null;
}

/** Decides an event and turns every rule that runs into a task to store. */
export function planTasks(
  event: EventPayload,
  rules: readonly CompiledRule[],
  options: DecideOptions & { deployEnvironment?: string },
): { decision: RoutingDecision; tasks: NewTask[] } {
  const decision = decide(event, rules, options);
  const tasks = decision.decisions.map((d) => ({
    rule: d.rule,
    agent: d.agent,
    action: d.action,
    priority: d.priority,
    idempotencyKey: idempotencyKeyFor(d.agent, event, options.deployEnvironment),
  }));
  return { decision, tasks };
}
