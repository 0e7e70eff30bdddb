import type { LoadedConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { normalizeEvent } from "../events/normalize-event.js";
import { isFormBody, parseDeliveryBody } from "../events/parse-delivery-body.js";
import { planTasks } from "../routing/plan-tasks.js";
import type { AcceptedTask, Store } from "../store/store.js";

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
): Promise<AcceptedTask[] | null> {
  const record = await store.getDelivery(id);
  if (!record) return null;
  // Retention empties old bodies (store.retention.bodies); the row stays for the record.
  if (record.body.length === 0) throw new UsageError(`delivery ${id} cannot be re-routed: its body was pruned (store.retention.bodies), so it can no longer be routed or run again`);
  const payload = parseDeliveryBody(record.body, isFormBody(record.body));
  if (typeof payload === "string") throw new UsageError(`delivery ${id} cannot be re-routed: ${payload}`);
  const event = normalizeEvent(record.event, payload);
  const { tasks } = planTasks(event, loaded.rules, { ...loaded.config.routing, deployEnvironment: loaded.config.deploy.environment, ownLogins, explain: false });
  return store.replayDelivery(id, tasks, now);
}
