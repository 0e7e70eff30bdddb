import { lateOutcomeNote, parseTaskId, priorityRank } from "../rows.js";
import type { AcceptResult, AcceptedTask, DeliveryFilterColumn, GithubActionRecord, ListDeliveriesOptions, NewTask, Store } from "../store.js";
import { deliveryFilters } from "../store.js";
import { claim, complete, leased, reclaimExpired } from "./memory-lease-ops.js";
import { createTables, insertTask, retakeKey, takeLimit, tasksOf, toDeliverySummary, toTaskDetail, toTaskRecord, type DeliveryState, type MemoryTables, type TaskState } from "./memory-tables.js";

/** A delivery-list filter's test: the repository without letter case, as the SQL stores compare it. */
function sameFilterValue(column: DeliveryFilterColumn, stored: string | number | null, wanted: string | number): boolean {
  if (column === "repository" && typeof stored === "string" && typeof wanted === "string") return stored.toLowerCase() === wanted.toLowerCase();
  return stored === wanted;
}

/**
 * The in-memory adapter: the Store for one process and one run, with nothing on disk and no
 * native module — what Actions mode (`switchyard route`, the bundled GitHub Action) needs,
 * where the store lives as long as the job and the only lasting memory is GitHub's own
 * state. It passes the same contract suite as SQLite and PostgreSQL: idempotency keys with
 * one holder, the signature replay window, fenced leases, retry base, reclaim and replays.
 *
 * Every operation runs to its end synchronously, so each is atomic by construction.
 *
 * @example
 * const store = createMemoryStore();
 * await store.migrate();
 * const result = await store.accept(delivery, tasks, { replayWindowMs: 0 });
 */
export interface MemoryStoreOptions {
  /** The clock `accept` reads for the delivery's ack time; default Date.now. */
  clock?: () => number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const clock = options.clock ?? Date.now;
  const tables: MemoryTables = createTables();
  const actions: (GithubActionRecord & { id: number })[] = [];
  let nextActionId = 1;
  let closed = false;

  /** Runs a write, refused once the store is closed. */
  function write<T>(op: () => T): Promise<T> {
    if (closed) return Promise.reject(new Error("the in-memory store is closed"));
    try {
      return Promise.resolve(op());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  const taskOf = (taskId: string): TaskState | null => {
    const id = parseTaskId(taskId);
    return id === null ? null : (tables.tasks.get(id) ?? null);
  };

  const record = (action: GithubActionRecord, task: string | null) => {
    // Stored as JSON, as the SQL adapters do: what is read back is a copy, and `undefined` stays absent.
    const body = action.body === undefined ? undefined : (JSON.parse(JSON.stringify(action.body)) as unknown);
    actions.push({ ...action, task, body, id: nextActionId++ });
  };

  /** A stored write as a list hands it out: a copy, so the caller cannot change the store. */
  const copyOut = (a: GithubActionRecord & { id: number }): GithubActionRecord & { id: string } => ({
    ...a,
    id: String(a.id),
    body: a.body === undefined ? undefined : (JSON.parse(JSON.stringify(a.body)) as unknown),
  });

  /** The deliveries a list's filters match, newest first (same-millisecond ones in the order stored), as the SQL stores order them. */
  const matchingDeliveries = (options: ListDeliveriesOptions): DeliveryState[] => {
    const filters = deliveryFilters(options);
    const newestFirst = (a: DeliveryState, b: DeliveryState) => b.delivery.receivedAt - a.delivery.receivedAt || b.seq - a.seq;
    // As the SQL stores' keyset cursor: after the named delivery in list order, none when it is unknown.
    const cursor = options.before === undefined ? undefined : tables.deliveries.get(options.before);
    if (cursor === undefined && options.before !== undefined) return [];
    return [...tables.deliveries.values()]
      .filter(({ delivery: d }) => filters.every(([column, value]) => sameFilterValue(column, d[column] ?? null, value)))
      .filter((state) => cursor === undefined || newestFirst(cursor, state) < 0)
      .sort(newestFirst);
  };

  /** A replay re-queues the same row: ready, run at `now`, attempts kept, retries counted from here, one more replay. */
  const requeue = (task: TaskState, now: number) => {
    Object.assign(task, { status: "ready", runAt: now, updatedAt: now, retryBase: task.attempts, replays: task.replays + 1 });
    retakeKey(tables, task);
  };

  return {
    kind: "memory",
    exclusive: true,

    async migrate() {
      return [];
    },
    announce() {},

    accept(delivery, tasks, { replayWindowMs }) {
      return write((): AcceptResult => {
        const stored = tables.deliveries.get(delivery.id);
        if (stored !== undefined) return { duplicate: true, delivery: delivery.id, by: "id", sameBody: stored.body.length === 0 || stored.body.equals(delivery.body) };
        if (delivery.signature !== null) {
          const holder = tables.signatures.get(delivery.signature);
          if (holder !== undefined && holder.receivedAt > delivery.receivedAt - replayWindowMs) return { duplicate: true, delivery: delivery.id, by: "signature", of: holder.delivery };
          tables.signatures.set(delivery.signature, { delivery: delivery.id, receivedAt: delivery.receivedAt });
        }
        const ackMs = clock() - delivery.receivedAt;
        tables.deliveries.set(delivery.id, {
          seq: tables.nextDeliverySeq++,
          delivery: { ...delivery },
          headers: { ...delivery.headers },
          body: Buffer.from(delivery.body),
          ackMs,
        });
        const accepted = tasks.map((task) => insertTask(tables, delivery.id, task, task.runAt ?? delivery.receivedAt, delivery.receivedAt));
        return { duplicate: false, delivery: delivery.id, tasks: accepted, ackMs };
      });
    },
    correctAckMs(delivery, ackMs) {
      return write(() => {
        const stored = tables.deliveries.get(delivery);
        if (stored !== undefined && stored.ackMs < ackMs) stored.ackMs = ackMs;
      });
    },

    claim(options) {
      return write(() => claim(tables, options));
    },
    renew(taskId, token, leaseUntil) {
      return write(() => {
        const task = leased(tables, parseTaskId(taskId), token);
        if (task !== null) task.leaseUntil = leaseUntil;
        return task !== null;
      });
    },
    complete(taskId, token, outcome, now) {
      return write(() => {
        const task = leased(tables, parseTaskId(taskId), token);
        if (task === null) return false;
        complete(tables, task, outcome, now);
        for (const action of outcome.actions ?? []) record(action, String(task.id));
        return true;
      });
    },
    recordLateOutcome(taskId, attempt, outcome, now) {
      return write(() => {
        const task = tables.tasks.get(parseTaskId(taskId) ?? -1);
        if (task === undefined) return;
        const closed = task.attemptLog.find((a) => a.n === attempt && a.finishedAt !== null && (a.outcome === "lease-expired" || a.outcome === "shutdown"));
        if (closed !== undefined) {
          const note = lateOutcomeNote(outcome, now);
          Object.assign(closed, { error: closed.error === null ? note : `${closed.error}; ${note}`, output: closed.output ?? outcome.output ?? null });
        }
        for (const action of outcome.actions ?? []) record(action, String(task.id));
      });
    },
    reclaimExpired(now, options) {
      return write(() => reclaimExpired(tables, now, options));
    },
    async waitingAgents() {
      return [...new Set([...tables.tasks.values()].filter((t) => t.status === "ready").map((t) => t.agent))].sort();
    },
    async nextRunAt() {
      let next: number | null = null;
      for (const t of tables.tasks.values()) if (t.status === "ready" && (next === null || t.runAt < next)) next = t.runAt;
      return next;
    },

    replayTask(taskId, now) {
      return write(() => {
        const task = taskOf(taskId);
        const was = task?.status ?? null;
        // A running task is left to its worker.
        if (task !== null && was !== "running") requeue(task, now);
        return was;
      });
    },
    replayDead(now) {
      return write(() => {
        const dead = [...tables.tasks.values()].filter((t) => t.status === "dead").sort((a, b) => a.id - b.id);
        for (const task of dead) requeue(task, now);
        return dead.map((t) => ({ id: String(t.id), agent: t.agent }));
      });
    },
    replayDelivery(deliveryId, tasks: readonly NewTask[], now) {
      return write((): AcceptedTask[] | null => {
        if (!tables.deliveries.has(deliveryId)) return null;
        return tasks.map((task) => {
          const existing = tasksOf(tables, deliveryId).find((t) => t.rule === task.rule);
          if (existing === undefined) return insertTask(tables, deliveryId, task, task.runAt ?? now, now);
          if (existing.status === "running") return { id: String(existing.id), rule: task.rule, agent: existing.agent, status: "running" };
          // A fresh routing decision may name another agent or priority for the rule: the row follows it.
          Object.assign(existing, { agent: task.agent, action: task.action, priority: task.priority, rank: priorityRank(task.priority) });
          requeue(existing, task.runAt ?? now);
          existing.updatedAt = now;
          return { id: String(existing.id), rule: task.rule, agent: task.agent, status: "ready" };
        });
      });
    },

    async getDelivery(id) {
      const state = tables.deliveries.get(id);
      if (state === undefined) return null;
      const tasks = tasksOf(tables, id);
      const { delivery } = state;
      return {
        ...toDeliverySummary(state, []),
        status: toDeliverySummary(state, tasks).status,
        signature: delivery.signature,
        installation: delivery.installation,
        headers: { ...state.headers },
        body: Buffer.from(state.body),
        // The memory store keeps no retention: its bodies are never pruned.
        bodyPrunedAt: null,
        ackMs: state.ackMs,
        tasks: tasks.map(toTaskDetail),
      };
    },
    async listDeliveries(options) {
      const { status, limit } = options;
      return matchingDeliveries(options)
        .map((state) => toDeliverySummary(state, tasksOf(tables, state.delivery.id)))
        .filter((summary) => status === undefined || summary.status === status)
        .slice(0, takeLimit(limit));
    },
    async getTask(taskId) {
      const task = taskOf(taskId);
      return task === null ? null : toTaskDetail(task);
    },
    async listTasks({ status, agent, delivery, before, limit }) {
      const below = before === undefined ? Number.POSITIVE_INFINITY : Number(before);
      return [...tables.tasks.values()]
        .filter((t) => (status === undefined || t.status === status) && (agent === undefined || t.agent === agent) && (delivery === undefined || t.delivery === delivery) && t.id < below)
        .sort((a, b) => b.id - a.id)
        .slice(0, takeLimit(limit))
        .map(toTaskRecord);
    },

    recordGithubAction(action) {
      return write(() => {
        if (action.task !== null && parseTaskId(action.task) === null) throw new Error(`recordGithubAction: "${action.task}" is not a task id`);
        record(action, action.task);
      });
    },
    async listGithubActions({ task, limit }) {
      return actions
        .filter((a) => task === undefined || a.task === task)
        .reverse()
        .slice(0, takeLimit(limit))
        .map(copyOut);
    },
    async listSubjectGithubActions({ subject, deliveries, tasksPerDelivery, perTask }) {
      const tasks = new Set<string>();
      for (const state of matchingDeliveries({ subject, limit: deliveries }).slice(0, takeLimit(deliveries))) {
        for (const t of tasksOf(tables, state.delivery.id).reverse().slice(0, takeLimit(tasksPerDelivery))) tasks.add(String(t.id));
      }
      // Newest first, then each task's first `perTask`: its newest, as listGithubActions gives them.
      const taken = new Map<string, number>();
      return actions
        .filter((a) => a.task !== null && tasks.has(a.task))
        .reverse()
        .filter((a) => {
          const n = (taken.get(a.task!) ?? 0) + 1;
          taken.set(a.task!, n);
          return n <= takeLimit(perTask);
        })
        .map(copyOut);
    },

    async close() {
      closed = true;
    },
  };
}
