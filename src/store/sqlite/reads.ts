import type { Database } from "better-sqlite3";
import type { Store } from "../store.js";
import { parseTaskId } from "../rows.js";
import { prepareGithubActions } from "./github-actions.js";
import { prepareQueries } from "./queries.js";
import { prepareRedeliveries } from "./redeliveries.js";
import { prepareStats } from "./stats.js";

/**
 * The reads behind the admin listener (lists, details, KPIs, the queue gauges): what a
 * store's read thread can answer in place of the serving connection (read-thread.ts).
 */
export const THREAD_READS = [
  "getDelivery",
  "listDeliveries",
  "getTask",
  "listTasks",
  "listGithubActions",
  "readKpiCounts",
  "readQueueStats",
  "readRedeliveries",
  "countRedeliveries",
] as const;

export type ThreadRead = (typeof THREAD_READS)[number];

type Synchronous<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;

/** Those reads as better-sqlite3 runs them: synchronous, on one connection. */
export type SqliteReads = { [K in ThreadRead]: Synchronous<NonNullable<Store[K]>> };

type Prepared = Pick<ReturnType<typeof prepareReadOps>, "queries" | "stats" | "githubActions" | "redeliveries">;

/** The statements the reads need (with the writes of the same modules, which a read-only connection prepares but never runs). */
export function prepareReadOps(db: Database) {
  return { queries: prepareQueries(db), stats: prepareStats(db), githubActions: prepareGithubActions(db), redeliveries: prepareRedeliveries(db) };
}

/**
 * The reads over prepared statements, with the store's own argument checks (a task id that
 * cannot name a task finds nothing). `prepared` is called on each read, so the statements
 * can be prepared on first use.
 */
export function sqliteReads(prepared: () => Prepared): SqliteReads {
  return {
    getDelivery: (id) => prepared().queries.getDelivery(id),
    listDeliveries: (options) => prepared().queries.listDeliveries(options),
    getTask(taskId) {
      const id = parseTaskId(taskId);
      return id === null ? null : prepared().queries.getTask(id);
    },
    listTasks: (options) => prepared().queries.listTasks(options),
    listGithubActions({ task, limit }) {
      if (task === undefined) return prepared().githubActions.list({ limit });
      const id = parseTaskId(task);
      return id === null ? [] : prepared().githubActions.list({ task: id, limit });
    },
    readKpiCounts: (window) => prepared().stats.readKpiCounts(window),
    readQueueStats: (now) => prepared().stats.readQueueStats(now),
    readRedeliveries: (guids) => prepared().redeliveries.readRedeliveries(guids),
    countRedeliveries: (since) => prepared().redeliveries.countRedeliveries(since),
  };
}
