import type { Priority } from "../config/schema.js";
import type { KpiCounts, KpiWindow, QueueStats } from "./store-stats.js";
import type { PruneBatchOptions, PruneBodiesBatch, PruneBookkeepingOptions, PruneRowsBatch } from "./prune-records.js";
import type { HookLockRelease, RedeliveryAnswer, RedeliveryAsk, RedeliveryCounts, RedeliveryHistory } from "./redelivery-records.js";

/**
 * The durable store behind switchyard: deliveries, the tasks routed from them, every
 * attempt at a task, and what agents did on GitHub. One interface, two adapters (SQLite
 * embedded, PostgreSQL for several instances), one contract test suite both run.
 *
 * Times are epoch milliseconds and are always passed in, so tests control the clock.
 */

export const TASK_STATUSES = ["ready", "running", "succeeded", "dead", "skipped"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const DELIVERY_STATUSES = ["unrouted", "pending", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface NewDelivery {
  /** X-GitHub-Delivery (or a generated id in Actions mode). */
  id: string;
  /** `sha256=<hex>` as verified; null when nothing was signed (Actions mode). */
  signature: string | null;
  event: string;
  action: string | null;
  /** `owner/name`. */
  repository: string | null;
  installation: number | null;
  /** The issue or pull request the event is about, when it is about one. */
  number?: number | null;
  /** The request headers worth keeping (never Authorization). */
  headers: Record<string, string>;
  /** The exact raw bytes received. */
  body: Buffer;
  receivedAt: number;
}

export interface NewTask {
  rule: string;
  agent: string;
  action: string;
  priority: Priority;
  /** Tasks sharing a key run once: a later one is stored as `skipped` while an earlier one is ready, running or succeeded. */
  idempotencyKey: string | null;
  /** When the task may first run; default: the delivery's receivedAt. */
  runAt?: number;
}

export type AcceptResult =
  | {
      duplicate: false;
      delivery: string;
      tasks: AcceptedTask[];
      /** The ack time stored with the delivery: from its `receivedAt` to the store's clock as the accept's transaction ran (see `correctAckMs`). */
      ackMs: number;
    }
  | {
      duplicate: true;
      delivery: string;
      by: "id" | "signature";
      /** By signature: the stored delivery that holds it (null if it is gone since). */
      of?: string | null;
      /** By id: false when the stored delivery of that id has another body (a sender reusing ids, not a redelivery); true when the same, or its body was pruned. */
      sameBody?: boolean;
    };

export interface AcceptedTask {
  id: string;
  rule: string;
  agent: string;
  status: TaskStatus;
  /** Set when the accept handed the task straight to a worker (`AcceptOptions.handOff`): leased, its first attempt open (`status` still says what it was created as: ready). */
  claimed?: ClaimedTask;
}

/** A lease a worker grants from `AcceptOptions.handOff`: the task starts as if it had claimed it. */
export interface HandOffLease {
  owner: string;
  leaseMs: number;
  now: number;
}

export interface AcceptOptions {
  /** A signature accepted less than this long before `receivedAt` makes the delivery a duplicate. */
  replayWindowMs: number;
  /**
   * Offered every task the accept stores as ready, inside the accept's own transaction: a
   * lease returned here leases the task in that transaction (no claim, no commit of its
   * own) and the task comes back as `claimed`. Called synchronously; it may be called again
   * for the same task when the batch it ran in is re-run. The SQLite store offers; the
   * others ignore it and the worker claims as usual.
   */
  handOff?: () => HandOffLease | null;
}

/**
 * A task as the store answers it: camelCase fields, times in epoch milliseconds. The
 * snake_case, ISO-8601 JSON of `tasks --json` and the admin API is made by the presenters
 * in src/cli and src/http (`src/present/`), not here.
 */
export interface TaskRecord {
  id: string;
  delivery: string;
  rule: string;
  agent: string;
  action: string;
  priority: Priority;
  idempotencyKey: string | null;
  status: TaskStatus;
  attempts: number;
  runAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  task: string;
  n: number;
  startedAt: number;
  finishedAt: number | null;
  /** `succeeded | transient | permanent | shutdown | lease-expired`, null while running. */
  outcome: string | null;
  error: string | null;
  /** The backoff chosen after this attempt, when it is retried. */
  retryDelayMs: number | null;
  /** Tail of an exec agent's stdout/stderr, or an agent's own note. */
  output: string | null;
  /**
   * The agent that ran this attempt (migration 8). A delivery replayed after a config change
   * may relabel the task with another agent; its earlier attempts keep theirs. Null for
   * attempts opened before migration 8.
   */
  agent: string | null;
}

/** A task with every attempt at it, oldest first. */
export interface TaskDetail extends TaskRecord {
  attemptLog: AttemptRecord[];
}

/** A delivery in a list: what it was and where its tasks stand. */
export interface DeliverySummary {
  id: string;
  event: string;
  action: string | null;
  repository: string | null;
  receivedAt: number;
  /**
   * Milliseconds from the verified, routed delivery being handed to the store to its commit
   * (measured in the accept's transaction, then corrected by the webhook route when the
   * commit completed much later, see `Store.correctAckMs`); null when none was recorded.
   */
  ackMs: number | null;
  status: DeliveryStatus;
  tasks: { id: string; agent: string; status: TaskStatus; attempts: number }[];
}

/** One delivery in full, for `deliveries show`, the admin API and replays. */
export interface DeliveryRecord extends Omit<DeliverySummary, "tasks"> {
  signature: string | null;
  installation: number | null;
  headers: Record<string, string>;
  /** Empty when `payloadText` is given, and once retention emptied it (`bodyPrunedAt`). */
  body: Buffer;
  /** When retention (`store.retention.bodies`) emptied the body; null while it is kept. */
  bodyPrunedAt: number | null;
  /**
   * The body's JSON object as one line of text (null: the body holds none), when the reader
   * already checked it (getDelivery with `payloadText`, where a store can do that work off
   * the serving thread); the body is then left empty. Absent otherwise.
   */
  payloadText?: string | null;
  tasks: TaskDetail[];
}

/** A task handed to a worker, fenced by its lease token. */
export interface ClaimedTask extends TaskRecord {
  leaseToken: string;
  leaseUntil: number;
  /** Attempts that do not count against the retry policy: those before the last replay and those a shutdown cut off. */
  retryBase: number;
  /** How many operator replays re-queued the task: 0 for its first run (the http executor's `webhook-id` carries it). */
  replays: number;
  /** The delivery the task came from: event name and raw body, to rebuild the event. */
  event: string;
  body: Buffer;
  repository: string | null;
  installation: number | null;
}

/**
 * The process group an attempt's agent runs in (an `exec` agent leads its own), recorded
 * so that a later process on the same host can make sure it is gone before the task runs
 * again: a worker killed with SIGKILL leaves its agent running as an orphan.
 */
export interface AttemptProcess {
  /** `os.hostname()` of the process that started it: process ids mean nothing elsewhere. */
  host: string;
  /** The process group id, which is the agent's pid (it leads its group). */
  pgid: number;
  /**
   * When the group leader started, `<boot id>:<start time in clock ticks>` from Linux's
   * /proc; null where that cannot be read. Tells the group from an unrelated one that
   * reused its id: without it, a later process never kills the group.
   */
  start: string | null;
}

/** A process recorded on one attempt of a task. */
export interface AttemptProcessRecord extends AttemptProcess {
  /** The attempt's number. */
  n: number;
  /** The attempt's outcome (null while it runs). */
  outcome: string | null;
}

export interface ReclaimOptions {
  /** Leases that end before this instant have expired; default `now`. */
  expiredBefore?: number;
  /** Attempts after which an expired task is given up (dead); default: never. */
  maxAttempts?: number;
}

export interface ReclaimResult {
  /** Tasks back to ready. */
  requeued: number;
  /** Tasks given up: their last allowed attempt ended with an expired lease. */
  dead: number;
  /** Which tasks went back to ready, by id: what the worker's log line names. */
  requeuedTasks: ReclaimedTask[];
  /** Which tasks were given up, by id. */
  deadTasks: ReclaimedTask[];
}

/** A task a reclaim changed, and its delivery. */
export interface ReclaimedTask {
  id: string;
  delivery: string;
}

export interface ClaimOptions {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** Agents at their concurrency limit: their tasks are left for later. */
  excludeAgents?: readonly string[];
  /** Repositories over their per-repository budget: their tasks wait. */
  excludeRepositories?: readonly string[];
  /**
   * `worker.perRepository`: at most `limit` task starts per repository within `windowMs`,
   * counted from the attempts in the store, so the budget holds across every process that
   * claims from it. A repository at its limit is skipped; its tasks stay ready.
   */
  repositoryBudget?: { limit: number; windowMs: number } | null;
}

/** Failed signature checks one source made within a window, across every instance. */
export interface AuthFailures {
  /** Failures within the window, counting at most `max + 1` of them. */
  count: number;
  /** The oldest of those counted, or null when there are none. */
  oldest: number | null;
}

/** Attempt outcomes that do not count against a task's retries. */
export const UNCOUNTED_OUTCOMES = ["shutdown", "handed-back"] as const;
export type UncountedOutcome = (typeof UNCOUNTED_OUTCOMES)[number];

/** True for an attempt outcome that does not count against a task's retries. */
export function isUncounted(outcome: string): outcome is UncountedOutcome {
  return (UNCOUNTED_OUTCOMES as readonly string[]).includes(outcome);
}

export type TaskOutcome = (
  | { status: "succeeded"; output?: string | null }
  /** Retry later: back to `ready` at runAt. */
  | { status: "ready"; runAt: number; error: string; retryDelayMs: number; outcome: "transient"; output?: string | null }
  /**
   * Back to `ready`, the attempt not counted as a retry: `shutdown` when a graceful stop cut
   * it off, `handed-back` when the worker that claimed it could not run it (no such agent
   * in its config, or the store unreadable before the agent started).
   */
  | { status: "ready"; runAt: number; error: string; retryDelayMs: 0; outcome: UncountedOutcome; output?: string | null }
  | { status: "dead"; error: string; outcome: "transient" | "permanent"; output?: string | null }
) & {
  /** GitHub writes the attempt made (or, in dry-run, would have made): stored in the same transaction. */
  actions?: readonly GithubActionRecord[];
};

export interface ListDeliveriesOptions {
  status?: DeliveryStatus;
  /** Only deliveries about this issue or pull request (both given together). */
  subject?: { repository: string; number: number };
  /** Only deliveries of this event (`issues`), or from this repository (`owner/name`). */
  event?: string;
  repository?: string;
  /**
   * Only deliveries listed after this one (older, or received in the same millisecond but
   * stored earlier): a keyset cursor, so the next page neither skips nor repeats a delivery
   * when new ones arrive meanwhile. None when no delivery has this id.
   */
  before?: string;
  limit: number;
}

export type DeliveryFilterColumn = "event" | "repository" | "number";

/**
 * The column filters a delivery list applies, in a fixed order (`subject` is a repository
 * and a number), for the stores that build one statement per combination. The repository
 * matches without letter case: GitHub's owner/name is case-insensitive.
 */
export function deliveryFilters({ subject, event, repository }: ListDeliveriesOptions): [column: DeliveryFilterColumn, value: string | number][] {
  const filters: [column: DeliveryFilterColumn, value: string | number][] = [];
  if (event !== undefined) filters.push(["event", event]);
  const repo = subject?.repository ?? repository;
  if (repo !== undefined) filters.push(["repository", repo]);
  if (subject !== undefined) filters.push(["number", subject.number]);
  return filters;
}

export interface ListTasksOptions {
  status?: TaskStatus;
  agent?: string;
  delivery?: string;
  /** Only tasks listed after this one (a lower id: the next page, newest first): a keyset cursor, any task id. */
  before?: string;
  limit: number;
}

/** Which of the GitHub writes about one issue or pull request `listSubjectGithubActions` reads. */
export interface SubjectGithubActionsOptions {
  subject: { repository: string; number: number };
  /** The newest deliveries about the subject, as listDeliveries orders them. */
  deliveries: number;
  /** The newest tasks of each of those deliveries. */
  tasksPerDelivery: number;
  /** The newest writes of each of those tasks. */
  perTask: number;
}

export interface GithubActionRecord {
  agent: string;
  task: string | null;
  method: string;
  route: string;
  body: unknown;
  dryRun: boolean;
  at: number;
}

/** A task a replay of the dead re-queued, with its agent (a replay names those the config lacks). */
export interface ReplayedTask {
  id: string;
  agent: string;
}

export interface Store {
  /** Which adapter this is (memory: one process, one run — Actions mode). */
  readonly kind: "sqlite" | "postgres" | "memory";
  /**
   * True when this process holds the database alone (SQLite's lock file): every lease left
   * running at start-up then belongs to a process that is gone, and is reclaimed at once.
   */
  readonly exclusive: boolean;

  /**
   * Runs pending migrations (a read-only store, or one opened with `migrates: false`, only
   * checks the schema is current); idempotent. Resolves to the migrations applied now
   * (`008-attempt-agent`), none when the schema was current. Refuses (UsageError) a schema
   * newer than this binary.
   */
  migrate(): Promise<readonly string[]>;

  /**
   * The store as the admin listener should read it: the same store, with the reads behind
   * its lists, details, KPIs and gauges answered off the thread that acknowledges webhooks
   * (SQLite's read thread). Absent where reads never hold that thread (PostgreSQL's pool).
   */
  adminView?(): Store;

  /** Says where this process's admin API listens, for CLIs that look for the server of this database (SQLite: in its lock file). */
  announce(adminUrl: string): void;

  /**
   * Calls `listener` whenever any process sharing the database made tasks due (PostgreSQL:
   * LISTEN/NOTIFY), so idle workers everywhere look at once rather than at their next poll.
   * Absent where one process holds the database. Returns the unsubscribe.
   */
  onTasksDue?(listener: () => void): () => void;

  /**
   * Records a failed signature check by `source` at `now` and answers that source's
   * failures within `windowMs` across every instance. Absent where one process holds the
   * database (its in-memory limiter sees every failure).
   */
  recordAuthFailure?(source: string, now: number, window: { windowMs: number; max: number }): Promise<AuthFailures>;

  /**
   * Commits a delivery and its tasks in one transaction, or reports it as a duplicate by
   * id (ever) or by signature (within the replay window). Resolves only after the commit
   * is durable: the caller acknowledges on it.
   */
  accept(delivery: NewDelivery, tasks: readonly NewTask[], options: AcceptOptions): Promise<AcceptResult>;
  /**
   * Raises the ack time stored with a delivery to `ackMs`, never lowers it: the webhook
   * route's correction when the accept's commit completed well after the store measured it
   * (a lock wait, slow statements, a slow fsync). Rare, and off the request's path: no 202
   * waits for it, and the SQLite store lets it ride along with the next commit.
   */
  correctAckMs(delivery: string, ackMs: number): Promise<void>;

  /** Leases up to `limit` ready tasks whose run_at has come: status running, attempts + 1, an attempt row opened. */
  claim(options: ClaimOptions): Promise<ClaimedTask[]>;
  /** Extends a lease; false when the token is no longer current (the lease was lost). */
  renew(taskId: string, token: string, leaseUntil: number): Promise<boolean>;
  /** Finishes the current attempt with its outcome; false (and nothing written) when the token is not current. */
  complete(taskId: string, token: string, outcome: TaskOutcome, now: number): Promise<boolean>;
  /**
   * What attempt `attempt` did after its lease was taken back (its worker could not write the
   * outcome in time: a store outage), when complete refused it: the GitHub writes it made are
   * recorded against the task (they were made), and the attempt — closed meanwhile as
   * `lease-expired` or `shutdown` — keeps the run's output and says how it really ended
   * (lateOutcomeNote). The task itself is left as the store has it.
   */
  recordLateOutcome(taskId: string, attempt: number, outcome: TaskOutcome, now: number): Promise<void>;
  /**
   * Records the process group the current attempt's agent runs in, fenced by the lease
   * token like `complete`: false (nothing written) when the token is not current. Absent
   * where the store lives no longer than the process (memory): no later process can find
   * an orphan of this one.
   */
  recordAttemptProcess?(taskId: string, token: string, process: AttemptProcess): Promise<boolean>;
  /** The processes recorded on a task's attempts, oldest first. Absent where `recordAttemptProcess` is. */
  listAttemptProcesses?(taskId: string): Promise<AttemptProcessRecord[]>;
  /**
   * Returns running tasks whose lease ends before `expiredBefore` (default: now) to ready at
   * `now`, closing their attempts as `lease-expired`. A task that has used `maxAttempts`
   * goes to dead instead: an agent that takes its worker down with it (a crash, the OOM
   * killer) would otherwise run forever, one restart after another. A process that holds
   * the database alone (SQLite's lock) passes a far-future bound at start-up: every lease
   * left running belongs to a process that is gone.
   */
  reclaimExpired(now: number, options?: ReclaimOptions): Promise<ReclaimResult>;
  /** The earliest run_at among ready tasks (epoch ms), or null: when the worker should look again. */
  nextRunAt(): Promise<number | null>;
  /** The agents of the ready tasks, each once: what a worker looks at to leave alone the tasks of agents it does not have. */
  waitingAgents(): Promise<string[]>;

  /**
   * Re-queues the same task row (ready, run now, attempts kept), unless it is running (left
   * to its worker). The status the task had when the replay took it, read in the same step
   * as the re-queue (two replays at once: the second sees `ready`); null when no such task.
   */
  replayTask(taskId: string, now: number): Promise<TaskStatus | null>;
  /** Re-queues every dead task; their ids. */
  replayDead(now: number): Promise<ReplayedTask[]>;
  /**
   * Re-runs a delivery with the tasks a fresh routing decision gives: tasks of a rule the
   * delivery already has are re-queued in place, new rules get new rows. Null when no such delivery.
   */
  replayDelivery(deliveryId: string, tasks: readonly NewTask[], now: number): Promise<AcceptedTask[] | null>;

  /**
   * Rejects when what is written now would not be kept (the SQLite file removed or replaced
   * under the open store): /readyz asks it. Absent where nothing can go that way.
   */
  checkWritable?(): Promise<void>;

  /**
   * `payloadText`: the caller wants the payload as checked text rather than the body: a
   * store whose reads run on another thread (SQLite's admin view) parses it there; `false`:
   * the caller wants no payload, and that store may leave out the body of a delivery with
   * tasks. Others ignore it and return the body.
   */
  getDelivery(id: string, options?: { payloadText?: boolean }): Promise<DeliveryRecord | null>;
  listDeliveries(options: ListDeliveriesOptions): Promise<DeliverySummary[]>;
  getTask(id: string): Promise<TaskDetail | null>;
  listTasks(options: ListTasksOptions): Promise<TaskRecord[]>;

  /** Records a GitHub write an agent made (or, in dry-run, would have made). */
  recordGithubAction(action: GithubActionRecord): Promise<void>;
  listGithubActions(options: { task?: string; limit: number }): Promise<(GithubActionRecord & { id: string })[]>;
  /**
   * The GitHub writes recorded for the tasks of one issue or pull request, in one read
   * rather than one per delivery and per task, newest recorded first: what the dry-run
   * routing comment reads in place of GitHub.
   */
  listSubjectGithubActions(options: SubjectGithubActionsOptions): Promise<(GithubActionRecord & { id: string })[]>;

  /**
   * Counts a webhook request refused with `reason` (`bad_signature`, `rate_limited`…) at `at`
   * in the hourly `rejection_counters`: kept in memory and written within a second (close
   * writes the rest), never a row per request. Ignored by a read-only store. Absent in the
   * memory store: Actions mode has no webhook listener.
   */
  countRejection?(reason: string, at: number): void;
  /**
   * Reads, changes and writes the JSON document `name` of `security_incidents` under a lock,
   * so instances sharing the database take turns (src/security/incidents/). Absent where one
   * process holds the database: it keeps the incident state in memory.
   */
  exchangeIncidentState?<T>(name: string, now: number, change: (state: string | null) => { state: string; result: T }): Promise<T>;
  /** What the KPIs are computed from, over the deliveries received in the window. */
  readKpiCounts?(window: KpiWindow): Promise<KpiCounts>;
  /** Tasks ready, running and dead, and the oldest due ready task: the queue gauges, read at scrape time. */
  readQueueStats?(now: number): Promise<QueueStats>;

  // The missed-delivery sweep (src/recovery/). Absent in the memory store: Actions mode has
  // no webhook for GitHub to redeliver to.
  /** Which of these delivery ids (X-GitHub-Delivery) the store holds. */
  knownDeliveries?(ids: readonly string[]): Promise<Set<string>>;
  /** What was asked so far for each of these guids (absent: never asked). */
  readRedeliveries?(guids: readonly string[]): Promise<Map<string, RedeliveryHistory>>;
  /**
   * Takes the next ask of `ask.guid` when fewer than `maxAsks` were made, in one insert
   * (the `(guid, n)` key refuses a second taker): its number, or null when the guid is at
   * the limit or another instance took that ask at the same moment. Taken before GitHub is
   * asked, so a crash in between counts the ask rather than repeating it.
   */
  reserveRedelivery?(ask: RedeliveryAsk, maxAsks: number): Promise<number | null>;
  /** Records GitHub's answer to ask `n` of `guid`. */
  recordRedeliveryAnswer?(guid: string, n: number, answer: RedeliveryAnswer): Promise<void>;
  /** Guids asked for since `since`, and how many of them the store holds now. */
  countRedeliveries?(since: number): Promise<RedeliveryCounts>;
  /**
   * Makes this process the only one sweeping `hook` until the release is called; null when
   * another holds it. Absent where one process holds the database (SQLite's lock).
   */
  lockRecoveryHook?(hook: string): Promise<HookLockRelease | null>;

  // Retention (src/store/retention/), one short batch per call. Absent in the memory store,
  // which lives for one run.
  /**
   * Empties the bodies of old deliveries no ready, running or dead task needs (a dead task
   * keeps its body until it is replayed or its row goes).
   */
  pruneBodies?(options: PruneBatchOptions): Promise<PruneBodiesBatch>;
  /**
   * Deletes old deliveries with their tasks, attempts, GitHub writes and signature, except
   * those with a task ready or running or changed since `before`.
   */
  pruneRows?(options: PruneBatchOptions): Promise<PruneRowsBatch>;
  /** Deletes refusal counters and redelivery asks older than `before`, at most `limit`; how many. */
  pruneBookkeeping?(options: PruneBookkeepingOptions): Promise<number>;
  /** SQLite: gives up to `maxPages` free pages back to the file system (incremental vacuum); how many it gave. */
  reclaimSpace?(maxPages: number): Promise<number>;

  /** Waits for queued writes to commit, then releases the database. */
  close(): Promise<void>;
}
