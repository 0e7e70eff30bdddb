/** A task a shutdown waits for. */
export interface DrainingTask {
  id: string;
  agent: string;
  /** When this process started running it (epoch ms). */
  startedAt: number;
}

const LISTED = 5;

/**
 * The line a shutdown prints while it waits: what still runs, for how long, and how long
 * until it is cut off. `phase` "draining" waits for tasks to finish; "aborting" waits for
 * aborted ones to stop before their leases are handed back.
 *
 * @example
 * describeDrain("draining", [{ id: "12", agent: "ExecAgent", startedAt: 0 }], 8_000, 25_000)
 * // "draining: 1 task still running (ExecAgent task 12, 8 s); 17 s left"
 */
export function describeDrain(phase: "draining" | "aborting", tasks: readonly DrainingTask[], now: number, deadline: number): string {
  const listed = tasks
    .slice(0, LISTED)
    .map((t) => `${t.agent} task ${t.id}, ${Math.max(0, Math.floor((now - t.startedAt) / 1000))} s`)
    .join("; ");
  const more = tasks.length > LISTED ? `; and ${tasks.length - LISTED} more` : "";
  const left = Math.max(0, Math.ceil((deadline - now) / 1000));
  const count = `${tasks.length} task${tasks.length === 1 ? "" : "s"}`;
  return phase === "draining"
    ? `draining: ${count} still running (${listed}${more}); ${left} s left`
    : `aborted: ${count} still stopping (${listed}${more}); handed back in ${left} s`;
}
