import type { IncidentState } from "./step-incident.js";

/**
 * Where the incident state lives: a read-modify-write under a lock, so that of several
 * instances exactly one claims each action. PostgreSQL keeps it in `security_incidents`
 * (migration 7, a row lock); one process (SQLite, memory) keeps it in memory and finds an
 * incident left open by an earlier run on GitHub, by its label, title and author.
 */
export interface IncidentLedger {
  exchange<T>(change: (state: IncidentState | null) => { state: IncidentState; result: T }): Promise<T>;
}

/** One process: the state in memory, exchanges run one after another. */
export function createMemoryLedger(): IncidentLedger {
  let state: IncidentState | null = null;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    exchange(change) {
      const run = tail.then(() => {
        const next = change(state === null ? null : structuredClone(state));
        state = next.state;
        return next.result;
      });
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

/** Instances sharing a database: the state is the store's `security_incidents` row `name`, exchanged under its lock. */
export function createStoreLedger(
  exchange: <T>(name: string, now: number, change: (state: string | null) => { state: string; result: T }) => Promise<T>,
  now: () => number = Date.now,
  name = "webhook",
): IncidentLedger {
  return {
    exchange: (change) =>
      exchange(name, now(), (raw) => {
        const next = change(raw === null ? null : (JSON.parse(raw) as IncidentState));
        return { state: JSON.stringify(next.state), result: next.result };
      }),
  };
}
