import { webhookEventOf, webhookEventProblem } from "../config/check-names.js";
import type { Store } from "./store.js";

/**
 * Why `deliveries --event NAME` (and the admin API's `?event=`) would list nothing, or
 * null. An event in this build's table of GitHub's webhook events is always a good filter.
 * A name outside it is a good filter when the store holds a delivery of it: the webhook
 * stores any well-formed event GitHub signs, including events newer than the table. Any
 * other name is a typo, refused with the nearest known event, since it would list nothing
 * as if no such event had come. Actions-only triggers are never stored, so always refused.
 *
 * @example await eventFilterProblem(store, "isues") // 'event "isues" is not a GitHub webhook event: did you mean issues?'
 */
export async function eventFilterProblem(store: Pick<Store, "listDeliveries">, name: string): Promise<string | null> {
  const problem = webhookEventProblem(name);
  if (problem === null || webhookEventOf(name) !== name) return problem;
  const stored = await store.listDeliveries({ event: name, limit: 1 });
  return stored.length > 0 ? null : problem;
}
