import type pg from "pg";
import { redactUrl } from "../../config/redact-url.js";
import { TASKS_DUE_CHANNEL } from "./pg-accept.js";
import { connectionConfig, loadPg, type PgPoolOptions } from "./pg-pool.js";

export interface TasksDueListener {
  subscribe(listener: () => void): () => void;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * One dedicated connection that LISTENs for `tasks due` notifications and fans them out to
 * this process's workers. It connects on the first subscriber; when the connection drops
 * (a database restart, a failover) it reconnects with backoff and then wakes everyone once,
 * since what was notified meanwhile is lost. Workers also poll, so a lost notification
 * only delays work, never loses it.
 */
export function createTasksDueListener(url: string, options: PgPoolOptions): TasksDueListener {
  const listeners = new Set<() => void>();
  let client: pg.Client | null = null;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | null = null;

  const notifyAll = () => {
    for (const listener of listeners) listener();
  };

  function scheduleReconnect(): void {
    if (closed || retryTimer !== null) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect(true);
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  }

  // Whether the connection is lost and not yet back: the loss is said once, not per retry.
  let down = false;

  async function connect(reconnecting: boolean): Promise<void> {
    if (closed) return;
    const next = new (loadPg().Client)(connectionConfig(url, options));
    client = next;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      // Said once per outage, without a stack, not once per failed retry.
      if (!closed && !down) options.logger?.warn({ reason: error.message, store: redactUrl(url) }, "lost the PostgreSQL notification connection; reconnecting (workers poll meanwhile)");
      down = true;
      next.end().catch(() => undefined);
      if (client === next) client = null;
      scheduleReconnect();
    };
    next.on("error", fail);
    next.on("end", () => fail(new Error("connection ended")));
    next.on("notification", notifyAll);
    try {
      await next.connect();
      await next.query(`LISTEN ${TASKS_DUE_CHANNEL}`);
      retryMs = RETRY_MIN_MS;
      down = false;
      if (reconnecting) {
        options.logger?.info({ store: redactUrl(url) }, "PostgreSQL notification connection is back");
        notifyAll();
      }
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (client === null && retryTimer === null && !closed) void connect(false);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      listeners.clear();
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
