import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { WEBHOOK_EVENT_ACTIONS } from "../config/webhook-events.generated.js";
import type { WebhookAnswer } from "../http/webhook-route.js";
import type { WorkerObserver } from "../queue/worker.js";
import type { Store } from "../store/store.js";

/** One process's metrics: what `GET /metrics` exposes. */
export interface Metrics {
  /** This runtime's own registry (never prom-client's global one), so several servers in one process keep apart. */
  readonly registry: Registry;
  /** The webhook route answered a request: counts it and, when it accepted or deduplicated a delivery, its ack time. */
  webhookAnswered(answer: WebhookAnswer): void;
  /** Passed to the worker: counts attempts, their outcome and run time, and tasks that finished. */
  readonly worker: WorkerObserver;
  /** Passed to the missed-delivery sweep: redeliveries GitHub took (`asked`), and those that then arrived (`recovered`). */
  readonly redeliveries: { asked: () => void; recovered: () => void };
  /**
   * Sets the queue gauges from the store, which every instance shares: called right before
   * a scrape. When the store cannot answer they are left out of the scrape, not left stale.
   */
  readQueue(store: Store, now: number): Promise<void>;
}

/**
 * The `event` label of a webhook answer: GitHub's event names only. A signed sender may
 * still name any event; each made-up name would mint a series of its own for ever.
 */
function eventLabel(event: string | null): string {
  if (event === null) return "unknown";
  return event === "ping" || Object.hasOwn(WEBHOOK_EVENT_ACTIONS, event) ? event : "other";
}

/**
 * A gauge read from the store at scrape time, with no sample at all while the store could not
 * be read. `reset()` is not enough: prom-client puts a gauge without labels back to a 0
 * sample, and `switchyard_oldest_ready_seconds 0` would read as "nothing waits" during an
 * outage. Its name, help and type stay in the scrape either way.
 */
class StoreReadGauge<T extends string = string> extends Gauge<T> {
  private unread = false;

  /** The store could not be read: no sample until the next read. */
  markUnread(): void {
    this.unread = true;
    this.reset();
  }

  /** The store was read: the values set from it are exposed again. */
  markRead(): void {
    this.unread = false;
  }

  override async get(): ReturnType<Gauge<T>["get"]> {
    const metric = await super.get();
    return this.unread ? { ...metric, values: [] } : metric;
  }
}

/** Ack times: 3 s is the KPI's bound, so the share of deliveries under it is one bucket. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 3, 5, 10];
/** Agent run times: built-in agents take milliseconds, exec and workflow agents minutes. */
const EXECUTOR_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Creates the metrics of one runtime on a registry of its own, with Node's default metrics
 * (`process_*`, `nodejs_*`). Counters are this process's since it started; the queue gauges
 * are read from the shared store at scrape time, so with several instances every one
 * exports the same queue. `webhooks: false` (a process without a webhook listener, role
 * worker) leaves out the ack histogram, which would otherwise export buckets of 0 for ever.
 *
 * @example
 * const metrics = createMetrics();
 * const runtime = await createRuntime({ ...options, observer: metrics.worker });
 * await metrics.readQueue(runtime.store, Date.now());
 * const text = await metrics.registry.metrics();
 */
export function createMetrics(options: { webhooks?: boolean } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const deliveries = new Counter({
    name: "switchyard_deliveries_total",
    help: "Requests to the webhook path by event and outcome: accepted, duplicate, rejected_<reason> (event is unknown until the signature verified).",
    labelNames: ["event", "outcome"] as const,
    registers,
  });
  const ack =
    options.webhooks === false
      ? null
      : new Histogram({
          name: "switchyard_ack_seconds",
          help: "Time from a delivery's arrival to its acknowledgement (accepted or duplicate), seconds.",
          buckets: ACK_BUCKETS,
          registers,
        });
  const tasks = new Counter({
    name: "switchyard_tasks_total",
    help: "Tasks by agent and the status this process gave them: ready or skipped when routed, succeeded or dead when finished.",
    labelNames: ["agent", "status"] as const,
    registers,
  });
  const attempts = new Counter({
    name: "switchyard_attempts_total",
    help: "Attempts this process recorded, by agent and outcome: succeeded, transient, permanent, shutdown.",
    labelNames: ["agent", "outcome"] as const,
    registers,
  });
  const executor = new Histogram({
    name: "switchyard_executor_seconds",
    help: "How long an attempt's agent ran through its executor, by agent and outcome, seconds.",
    labelNames: ["agent", "outcome"] as const,
    buckets: EXECUTOR_BUCKETS,
    registers,
  });
  const queueDepth = new StoreReadGauge({
    name: "switchyard_queue_depth",
    help: "Tasks in the store by status (ready, running, dead), read at scrape time.",
    labelNames: ["status"] as const,
    registers,
  });
  const oldestReady = new StoreReadGauge({
    name: "switchyard_oldest_ready_seconds",
    help: "How long the oldest due ready task has waited since its run_at, seconds (0 when none waits), read at scrape time.",
    registers,
  });
  const redeliveries = new Counter({
    name: "switchyard_redeliveries_total",
    help: "Deliveries the missed-delivery sweep of this process asked GitHub to redeliver (outcome asked), and those of them that then arrived (outcome recovered).",
    labelNames: ["outcome"] as const,
    registers,
  });

  return {
    registry,
    redeliveries: {
      asked: () => redeliveries.inc({ outcome: "asked" }),
      recovered: () => redeliveries.inc({ outcome: "recovered" }),
    },
    webhookAnswered(answer) {
      deliveries.inc({ event: eventLabel(answer.event), outcome: answer.outcome });
      if (answer.outcome === "accepted" || answer.outcome === "duplicate") ack?.observe(answer.seconds);
      for (const task of answer.tasks) tasks.inc({ agent: task.agent, status: task.status });
    },
    worker: {
      attemptRecorded(task, outcome, runSeconds) {
        const label = outcome.status === "succeeded" ? "succeeded" : outcome.outcome;
        attempts.inc({ agent: task.agent, outcome: label });
        executor.observe({ agent: task.agent, outcome: label }, runSeconds);
        if (outcome.status !== "ready") tasks.inc({ agent: task.agent, status: outcome.status });
      },
    },
    async readQueue(store, now) {
      try {
        const stats = await store.readQueueStats?.(now);
        if (stats === undefined) return;
        for (const status of ["ready", "running", "dead"] as const) queueDepth.set({ status }, stats[status]);
        oldestReady.set(stats.oldestDueRunAt === null ? 0 : Math.max(0, now - stats.oldestDueRunAt) / 1000);
        queueDepth.markRead();
        oldestReady.markRead();
      } catch (error) {
        queueDepth.markUnread();
        oldestReady.markUnread();
        throw error;
      }
    },
  };
}
