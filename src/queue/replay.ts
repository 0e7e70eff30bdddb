import type { LoadedConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { normalizeEvent } from "../events/normalize-event.js";
import { isFormBody, parseDeliveryBody } from "../events/parse-delivery-body.js";
import { planTasks } from "../routing/plan-tasks.js";
import type { RoutingDecision } from "../routing/decide.js";
import type { AcceptedTask, DeliveryRecord, NewTask, ReplayedTask, Store, TaskStatus } from "../store/store.js";

/** Why a task whose delivery's body retention emptied cannot run: said by the replay that refuses it, and by the worker. */
export const PRUNED_BODY = "its delivery's body was pruned (store.retention.bodies), so it cannot run again";

/** A task's replay: its status before (a running task is left to its run), its agent and delivery. */
export interface TaskReplay {
  was: TaskStatus;
  agent: string;
  delivery: string;
}

/**
 * Re-queues one task, as `replay --task` and the admin API do, unless it cannot run again
 * (its delivery's body was pruned: a usage error saying so, instead of a re-queue that only
 * dies). Null when there is no such task.
 */
export async function replayTask(store: Store, id: string, now: number): Promise<TaskReplay | null> {
  const task = await store.getTask(id);
  if (!task) return null;
  const delivery = await store.getDelivery(task.delivery);
  if (delivery !== null && delivery.body.length === 0) throw new UsageError(`task ${id} cannot be replayed: ${PRUNED_BODY}`);
  // The status the store read as it re-queued: another replay at the same moment may have re-queued it first.
  const was = await store.replayTask(id, now);
  return was === null ? null : { was, agent: task.agent, delivery: task.delivery };
}

/** Re-queued tasks whose agent the config lacks, by agent: they wait in the store, unrun, for a switchyard that has it. */
export interface MissingAgentTasks {
  agent: string;
  tasks: string[];
}

/** Which of these re-queued tasks are of an agent `knowsAgent` does not know, by agent. */
export function tasksOfMissingAgents(replayed: readonly ReplayedTask[], knowsAgent: (agent: string) => boolean): MissingAgentTasks[] {
  const byAgent = new Map<string, string[]>();
  for (const { id, agent } of replayed) if (!knowsAgent(agent)) byAgent.set(agent, [...(byAgent.get(agent) ?? []), id]);
  return [...byAgent].map(([agent, tasks]) => ({ agent, tasks }));
}

/**
 * What a replay of tasks of an agent `config` (which config: the running server's, the one
 * in use) lacks must say: re-queued, they wait unrun, and replaying their deliveries routes
 * them under the config in force.
 */
export function missingAgentNote({ agent, tasks }: MissingAgentTasks, config: string, deliveries: readonly string[] = []): string {
  const one = tasks.length === 1;
  const routeAgain = deliveries.length > 0 ? `switchyard replay ${deliveries.join(" ")}` : `replay ${one ? "its delivery" : "their deliveries"}`;
  return (
    `task${one ? "" : "s"} ${tasks.join(", ")} ${one ? "is" : "are"} for agent ${agent}, which ${config} does not have: re-queued, ${one ? "it waits" : "they wait"} in the store, unrun, ` +
    `until a switchyard configured with ${agent} runs (to run ${one ? "it" : "them"} with the agents configured now, ${routeAgain}: routed again, ${one ? "its event goes" : "their events go"} to today's rules)`
  );
}

/**
 * What a person replaying a task should know beyond "re-queued", or null (a dead task, the
 * usual case): that a running task was left to its run, that a task that had succeeded or
 * been skipped as a duplicate runs (again) anyway, or that a ready one is due now with its
 * retry budget started over.
 */
export function replayTaskNote(id: string, was: TaskStatus): string | null {
  if (was === "running") return `task ${id} is running: left to that run, not re-queued (replay it once it ends to run it again)`;
  if (was === "succeeded") return `task ${id} had succeeded: it runs again (an explicit replay runs it whatever its idempotency key)`;
  if (was === "skipped") {
    return `task ${id} had been skipped because another task held its idempotency key: it runs now anyway, so what that task did (a deployment, say) is done again (an explicit replay runs it whatever its idempotency key)`;
  }
  if (was === "ready") return `task ${id} was ready (waiting for its first run or its next try): it is due now, and its retries start over (retry.maxRetries more after its next run)`;
  return null;
}

/** What a delivery's replay did, and enough to say why when it re-queued nothing. */
export interface DeliveryReplay {
  tasks: AcceptedTask[];
  event: string;
  action: string | null;
  /** Set when the event was dropped before routing (switchyard's own event, a bot's), null otherwise. */
  ignored: NonNullable<RoutingDecision["ignored"]> | null;
}

/**
 * Re-runs a stored delivery: routes it again with the rules in force now, re-queues the
 * task rows of rules it already had (attempts keep counting) and adds rows for new ones.
 * `ownLogins` are switchyard's own GitHub logins, as for a live delivery: an event it caused
 * itself routes nowhere on a replay either. Null when the store has no such delivery.
 */
export async function replayDelivery(
  store: Store,
  loaded: Pick<LoadedConfig, "config" | "rules">,
  id: string,
  now: number,
  ownLogins: readonly string[] = [],
): Promise<DeliveryReplay | null> {
  const plan = await planReplay(store, loaded, id, ownLogins);
  return plan === null ? null : runReplay(store, plan, now);
}

/** A delivery's replay as routed now, before anything is written: its stored tasks and the ones the rules give. */
export interface ReplayPlan {
  record: DeliveryRecord;
  decision: RoutingDecision;
  tasks: NewTask[];
}

/** Routes a stored delivery again, writing nothing (see replayDelivery). Null when the store has no such delivery. */
export async function planReplay(store: Store, loaded: Pick<LoadedConfig, "config" | "rules">, id: string, ownLogins: readonly string[] = []): Promise<ReplayPlan | null> {
  const record = await store.getDelivery(id);
  if (!record) return null;
  // Retention empties old bodies (store.retention.bodies); the row stays for the record.
  if (record.body.length === 0) throw new UsageError(`delivery ${id} cannot be re-routed: its body was pruned (store.retention.bodies), so it can no longer be routed or run again`);
  const payload = parseDeliveryBody(record.body, isFormBody(record.body));
  if (typeof payload === "string") throw new UsageError(`delivery ${id} cannot be re-routed: ${payload}`);
  const event = normalizeEvent(record.event, payload);
  const { decision, tasks } = planTasks(event, loaded.rules, { ...loaded.config.routing, deployEnvironment: loaded.config.deploy.environment, ownLogins, explain: false });
  return { record, decision, tasks };
}

/** Re-queues what planReplay decided. Null when the delivery is gone meanwhile. */
export async function runReplay(store: Store, { record, decision, tasks }: ReplayPlan, now: number): Promise<DeliveryReplay | null> {
  const accepted = await store.replayDelivery(record.id, tasks, now);
  if (accepted === null) return null;
  return { tasks: accepted, event: record.event, action: record.action, ignored: decision.ignored ?? null };
}

/** A stored task whose rule names another agent now: replayed, its row runs as `to`. */
export interface Rerouted {
  task: string;
  rule: string;
  from: string;
  to: string;
}

/** The stored tasks of a plan that a replay would move to another agent (a running task is left to its run, agent and all). */
export function reroutedTasks({ record, tasks }: ReplayPlan): Rerouted[] {
  const planned = new Map(tasks.map((t) => [t.rule, t.agent]));
  return record.tasks.flatMap((t) => {
    const to = planned.get(t.rule);
    return to !== undefined && to !== t.agent && t.status !== "running" ? [{ task: t.id, rule: t.rule, from: t.agent, to }] : [];
  });
}

/**
 * Why a delivery's replay re-queued nothing, for a person: the event, and that no rule of
 * `rulesOf` (which config that was) matches it, or that it is never routed at all.
 *
 * @example
 * whyNothingReplayed({ event: "issues", action: "opened", ignored: null }, "the config in use (/srv/switchyard.yaml)")
 * // "no rule matches issues.opened under the config in use (/srv/switchyard.yaml)"
 */
export function whyNothingReplayed(replay: Pick<DeliveryReplay, "event" | "action" | "ignored">, rulesOf: string): string {
  const what = replay.action ? `${replay.event}.${replay.action}` : replay.event;
  if (replay.ignored === "own-event") return `${what} was caused by switchyard itself, and its own comments and labels never route`;
  if (replay.ignored === "bot-sender") return `${what} was sent by a bot, and bots' comments and labels never route`;
  return `no rule matches ${what} under ${rulesOf}`;
}
