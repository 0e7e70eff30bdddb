import type { AgentStore } from "../agents/agent.js";
import type { Store } from "../store/store.js";
import { PermanentError } from "./agent-errors.js";

/** How many of a delivery's tasks are looked through: by `enqueue` for one of the same rule, by `subjectWrites` for their writes. */
const TASKS_PER_DELIVERY = 50;

/**
 * The store an agent gets for one task: enqueueing onto the task's own delivery, the
 * history of one issue or pull request, the task's own GitHub writes and those recorded
 * about one issue or pull request.
 *
 * @example
 * const agentStore = createAgentStore(store, { id: task.id, delivery: task.delivery }, now);
 * await agentStore.enqueue({ rule: "execute-plan", agent: "ExecutionAgent", action: "Execute plan", priority: "high", idempotencyKey: null });
 */
export function createAgentStore(store: Store, task: { id: string; delivery: string }, now: () => number): AgentStore {
  return {
    enqueue: async (next) => {
      // A retried attempt may have enqueued it already: that task, not a second one (and not
      // re-queued, which replayDelivery would do to a rule the delivery already has).
      const existing = (await store.listTasks({ delivery: task.delivery, limit: TASKS_PER_DELIVERY })).find((t) => t.rule === next.rule);
      if (existing) return { id: existing.id, rule: existing.rule, agent: existing.agent, status: existing.status };
      const added = (await store.replayDelivery(task.delivery, [next], now()))?.find((t) => t.rule === next.rule);
      if (!added) throw new PermanentError(`cannot enqueue ${next.agent}: delivery ${task.delivery} is no longer in the store`);
      return added;
    },
    deliveryTasks: () => store.listTasks({ delivery: task.delivery, limit: TASKS_PER_DELIVERY }),
    history: async (subject, { limit, tasksPerDelivery }) => {
      const deliveries = await store.listDeliveries({ subject, limit });
      const out = [];
      for (const d of deliveries) out.push({ ...d, tasks: await store.listTasks({ delivery: d.id, limit: tasksPerDelivery }) });
      return out;
    },
    githubWrites: ({ limit }) => store.listGithubActions({ task: task.id, limit }),
    subjectWrites: (subject, { deliveries, perTask }) => store.listSubjectGithubActions({ subject, deliveries, tasksPerDelivery: TASKS_PER_DELIVERY, perTask }),
  };
}
