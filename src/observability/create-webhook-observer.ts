import type { WebhookAnswer } from "../http/webhook-route.js";
import type { Store } from "../store/store.js";
import type { Metrics } from "./create-metrics.js";

/**
 * What the webhook route is told of every answered request: the metrics count it, and a
 * refusal is also counted durably in the store's hourly rejection counters, which the KPIs
 * read (security verification, unauthorized acceptances).
 *
 * @example
 * createWebhookServer({ ...deps, observe: createWebhookObserver(metrics, store) });
 */
export function createWebhookObserver(metrics: Metrics, store: Store, now: () => number = Date.now): (answer: WebhookAnswer) => void {
  return (answer) => {
    metrics.webhookAnswered(answer);
    if (answer.outcome.startsWith("rejected_")) store.countRejection?.(answer.outcome.slice("rejected_".length), now());
  };
}
