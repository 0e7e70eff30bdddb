/**
 * What the store keeps of the missed-delivery sweep (src/recovery/): one row per
 * redelivery asked of GitHub. Camel case and epoch milliseconds, as every store record.
 */

/** One ask: GitHub is asked to redeliver the hook log entry `hookDeliveryId` of `guid`. */
export interface RedeliveryAsk {
  /** The delivery's guid: its X-GitHub-Delivery, kept by every redelivery of it. */
  guid: string;
  /** The hook, as the sweep names it: `owner/name#123`, `org:my-org#456`, `app`. */
  hook: string;
  /** The id of the hook log entry asked for (GitHub's, not the guid). */
  hookDeliveryId: number;
  askedAt: number;
}

/** What was asked for one guid so far, across every sweep and instance. */
export interface RedeliveryHistory {
  asks: number;
  lastAskedAt: number;
  /** GitHub's HTTP status for the latest ask that counts: 202 took it, a 4xx refused it; null when none counts or its answer is not in. */
  lastStatus: number | null;
}

/** GitHub's answer to an ask: its HTTP status (202 when it took it), or an error when there was none. */
export interface RedeliveryAnswer {
  status: number | null;
  error: string | null;
}

/** Redeliveries asked within a window, and how many of their guids the store now holds. */
export interface RedeliveryCounts {
  /** Guids asked for (each counted once, however many asks it took). */
  asked: number;
  /** Of those, the ones the store holds now: recovered. */
  recovered: number;
}

/** The sweep of one hook holds this while it runs (PostgreSQL: an advisory lock); release it when done. */
export type HookLockRelease = () => Promise<void>;
