import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { AgentContext } from "../agents/agent.js";
import type { Executor } from "../agents/executors/create-executor.js";
import type { GithubRuntime } from "../github/github-runtime.js";
import type { Config } from "../config/schema.js";
import { normalizeEvent } from "../events/normalize-event.js";
import { isFormBody, parseDeliveryBody } from "../events/parse-delivery-body.js";
import type { AttemptProcess, ClaimedTask, GithubActionRecord, HandOffLease, ReclaimResult, ReclaimedTask, Store, TaskOutcome } from "../store/store.js";
import { AfterTaskError, afterTaskNote } from "./after-task-error.js";
import { PermanentError, WaitTurnError } from "./agent-errors.js";
import { classifyError } from "./classify-error.js";
import { createAgentStore } from "./create-agent-store.js";
import { decideFailure } from "./decide-outcome.js";
import { describeDrain } from "./describe-drain.js";
import { describeFailure } from "./describe-failure.js";
import { endEarlierAttempts, endGivenUpAttempts, StoreUnreadBeforeRun } from "./end-earlier-attempts.js";
import { describeGroup, readProcessStart, signalGroup } from "./process-group.js";
import { PRUNED_BODY } from "./replay.js";
import { isStoreUnavailable, storeUnavailableWhy } from "../store/store-unavailable.js";
import { damagedDatabase } from "../store/damaged-database.js";
import { maskSecrets } from "../agents/executors/workspace/mask-secrets.js";

export interface WorkerOptions {
  store: Store;
  config: Config;
  github: GithubRuntime;
  mode?: AgentContext["mode"];
  /** Called once a task reached succeeded or dead (the routing comment hangs here). */
  afterTask?: (task: ClaimedTask, outcome: TaskOutcome, ctx: AgentContext | null) => Promise<void>;
  /** Told of every attempt whose outcome was recorded (metrics hang here). */
  observer?: WorkerObserver;
  executorFor: (agent: string) => Executor;
  logger: Logger;
  /** Identifies this worker on its leases; default host:pid:random. */
  owner?: string;
  now?: () => number;
  /** Fallback look for due tasks when no wake-up came (other instances, retries coming due). */
  pollMs?: number;
  random?: () => number;
  /** switchyard's own secrets (ownSecrets): masked in every outcome's output and error before it is stored. */
  secrets?: readonly string[];
  /**
   * Whether this process has the agent (configured or built in). Ready tasks of agents it
   * lacks (routed under another config, or by an instance configured otherwise) are left
   * ready for a process that has them, not claimed and failed here. Default: every agent.
   */
  knowsAgent?: (agent: string) => boolean;
}

/** What a worker reports as it goes, for metrics (`src/observability/`). */
export interface WorkerObserver {
  /** An attempt's outcome was committed; `runSeconds` is how long its agent ran (executor plus parsing the event). */
  attemptRecorded(task: ClaimedTask, outcome: TaskOutcome, runSeconds: number): void;
}

export interface Worker {
  /** Reclaims expired leases at once, then starts claiming. */
  start: () => Promise<void>;
  /** New tasks were committed: look now rather than at the next poll. */
  wake: () => void;
  /**
   * Stops claiming, waits up to `drainMs` for running tasks (saying every few seconds what
   * still runs and the time left), then aborts the rest (they return to ready).
   */
  stop: (drainMs?: number) => Promise<void>;
  /**
   * A forced stop (the operator asked twice): aborts every running task and SIGKILLs its
   * process group at once, then waits up to `withinMs` for the runs to hand their tasks back
   * uncounted, and hands back what has not. Safe to call during `stop`.
   */
  kill: (withinMs?: number) => Promise<void>;
  /**
   * Asked from inside an accept's transaction (`AcceptOptions.handOff`): a lease when this
   * worker has a free slot and its last claim found the queue empty, so a new task can
   * start without a claim of its own; null otherwise (then the task waits for a claim).
   */
  offer: () => HandOffLease | null;
  /**
   * Runs a task an accept handed over (once its commit is done), with the payload the
   * webhook route parsed: the task does not parse its body again.
   */
  adopt: (task: ClaimedTask, payload?: Record<string, unknown>) => void;
  /** Resolves when no task is running or ready-and-due (Actions mode waits on it). */
  idle: () => Promise<void>;
  running: () => number;
}

interface Running {
  task: ClaimedTask;
  controller: AbortController;
  done: Promise<void>;
  startedAt: number;
  /** The process group its agent runs in, once an executor reported one. */
  process: AttemptProcess | null;
}

const DEFAULT_POLL_MS = 1000;
/** How soon an attempt handed back because the store could not be read before its run is due again. */
const STORE_OUTAGE_RETRY_MS = 2_000;
/**
 * How long aborted runs get to settle before their leases are handed back anyway: longer
 * than an exec agent's own kill sequence (SIGTERM, SIGKILL 2 s later, then its process
 * group and output), so those end on their own and keep their outcome and output.
 */
const ABORT_GRACE_MS = 7000;
/** How long a slot promised to a hand-off waits for its accept to commit before it is free again. */
const HAND_OFF_HOLD_MS = 1000;
/** How often a shutdown says what it still waits for. */
const DRAIN_REPORT_MS = 5000;
/** How many task ids a log line lists: enough to look them up, bounded however many there were. */
const LISTED_TASKS = 20;

/**
 * How a warning carries a store error: an outage as its message alone (`reason`), since
 * the stack would only show the driver's internals, and it comes again at every renewal or
 * poll while the outage lasts; anything else with its stack (`err`), as a bug to find.
 * `reason` is the field of every store-outage warning (the worker's, /metrics', the
 * PostgreSQL pool's and listener's), so one log query finds them all.
 */
function storeFailure(error: unknown): Record<string, unknown> {
  return isStoreUnavailable(error) ? { reason: (error as Error).message } : { err: error };
}

/**
 * The `tasks` (and `deliveries`) fields of a line about reclaimed tasks: the first
 * LISTED_TASKS ids, and how many more there were when that is not all of them.
 */
function listed(tasks: readonly ReclaimedTask[], withDeliveries: boolean): Record<string, unknown> {
  const shown = tasks.slice(0, LISTED_TASKS);
  return {
    tasks: shown.map((t) => t.id),
    ...(withDeliveries ? { deliveries: [...new Set(shown.map((t) => t.delivery))] } : {}),
    ...(tasks.length > shown.length ? { moreTasks: tasks.length - shown.length } : {}),
  };
}
/**
 * What a task cut off by a stop records in Actions mode, instead of the server's "runs
 * again": there the store goes with the process, so nothing will run it again.
 */
export const ACTIONS_STOPPED = "cancelled: the run was stopped before this task finished; Actions mode keeps no queue, so nothing runs it again (re-run the job)";

/**
 * The worker loop: claim due tasks under a lease, run each with its agent's executor,
 * renew the lease while it runs, and record the outcome — succeeded, retried later with
 * backoff (run_at persisted), or dead. Completing needs the lease's token, so a worker
 * whose lease expired (and whose task another worker took) cannot finish it.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { store, config, logger } = options;
  const now = options.now ?? Date.now;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const { concurrency, leaseMs, perAgent } = config.worker;
  const policy = config.retry;
  // The first run and every retry: a task whose lease keeps expiring gets no more than that.
  const maxAttempts = policy.maxRetries + 1;
  const reportReclaimed = ({ requeued, dead, requeuedTasks, deadTasks }: ReclaimResult, message: string) => {
    if (requeued > 0) logger.warn({ reclaimed: requeued, ...listed(requeuedTasks, false) }, message);
    if (dead > 0) {
      logger.error(
        { dead, maxAttempts, ...listed(deadTasks, true) },
        "gave up on tasks whose last allowed attempt ended with an expired lease (the worker stopped while running them: an agent taking the process down?); see `switchyard tasks --status dead`, replay once fixed",
      );
      // No rerun will end what those attempts left running: ended here.
      void endGivenUpAttempts(store, deadTasks.map((t) => t.id), logger).catch((error: unknown) => logger.warn({ reason: (error as Error).message }, "could not end the agents of the tasks given up"));
    }
  };
  const budget = config.worker.perRepository;
  const limitsPerAgent = Object.keys(perAgent).length > 0;
  const stopNote = (serverText: string) => (options.mode === "actions" ? ACTIONS_STOPPED : serverText);

  // Every claimed task until its outcome is committed (drain and idle wait on these)…
  const running = new Map<string, Running>();
  // …and those whose agent is still at work: what concurrency and per-agent limits count.
  // A finished agent frees its slot before its completion commits, so the next claim can
  // share that commit instead of waiting for one of its own.
  const executing = new Set<string>();
  let stopping = false;
  // Outcome writes waiting to try the store again: a stop ends their wait.
  const pauses = new Set<() => void>();
  let started = false;
  let inFlightTick: Promise<void> = Promise.resolve();
  let ticking = false;
  // Whether the last claim failed because the store could not be reached (said once per outage).
  let storeDown = false;
  let tickAgain = false;
  let wakeScheduled = false;
  let pollTimer: NodeJS.Timeout | null = null;
  let lastReclaim = 0;
  // Agents of waiting tasks this process does not have: their tasks are left to others.
  const missingAgents = new Set<string>();
  const knowsAgent = options.knowsAgent ?? (() => true);

  /** An agent this process lacks, met in the store: said once, and its tasks are no longer claimed here. */
  function missing(agent: string): void {
    if (missingAgents.has(agent)) return;
    missingAgents.add(agent);
    logger.warn(
      { agent },
      `tasks for agent ${agent} wait in the store, and this process has no agent ${agent} (not built in, not under agents in its config): they stay ready, not run and not failed, until a switchyard configured with ${agent} takes them (was it dropped from the config? start with the config that routed them; switchyard tasks --agent ${agent} lists them)`,
    );
  }

  /**
   * Looks at the agents of the ready tasks, once before the first claim. Later arrivals (an
   * instance with another config routed them, a replay) are met by the claim instead
   * (handBackUnknown): looking again every so often read every ready row each time, which
   * under a backlog of 100k tasks held SQLite's serving thread for ~60–100 ms.
   */
  async function lookForMissingAgents(): Promise<void> {
    for (const agent of await store.waitingAgents()) if (!knowsAgent(agent)) missing(agent);
  }

  /**
   * A claimed task whose agent this process lacks: back to ready in its place in the queue,
   * the attempt not counted, for a switchyard configured with the agent. During a rolling
   * deploy of a config that adds an agent, the workers still on the old config meet its
   * first tasks this way.
   */
  async function handBackUnknown(task: ClaimedTask): Promise<void> {
    missing(task.agent);
    const error = `this process has no agent ${task.agent}: handed back unrun for a switchyard configured with it (not counted as a retry)`;
    await store.complete(task.id, task.leaseToken, { status: "ready", outcome: "handed-back", runAt: task.runAt, retryDelayMs: 0, error }, now()).catch((thrown: unknown) => {
      logger.warn({ ...storeFailure(thrown), task: task.id, agent: task.agent }, "could not hand back a task of an agent this process lacks; its lease will expire");
    });
  }
  let idleWaiters: (() => void)[] = [];
  // Due tasks may be waiting that this worker cannot take yet (no free slot, agent limits, repository budget).
  let blocked = false;
  // The last claim found fewer due tasks than it asked for: a new task may skip the queue.
  let queueEmpty = false;
  // Slots promised to hand-offs whose accept has not committed yet (it may still fail, or
  // be re-run): each holds its slot until adopted, or for HAND_OFF_HOLD_MS at most.
  let promised: number[] = [];

  /** Slots taken: agents at work and hand-offs on their way, so claims and hand-offs together keep to `concurrency`. */
  function busySlots(): number {
    const at = now();
    if (promised.length > 0 && promised[0]! <= at) promised = promised.filter((until) => until > at);
    return executing.size + promised.length;
  }
  let unsubscribe: (() => void) | undefined;

  function runningOf(agent: string): number {
    let n = 0;
    for (const id of executing) if (running.get(id)?.task.agent === agent) n++;
    return n;
  }

  function saturatedAgents(): string[] {
    return Object.entries(perAgent)
      .filter(([agent, limit]) => runningOf(agent) >= limit)
      .map(([agent]) => agent);
  }

  /** Extends the lease of every task this worker runs or is finishing; fenced, so a lease already lost stays lost. */
  async function renewOwnLeases(): Promise<void> {
    const until = now() + leaseMs;
    await Promise.all([...running.values()].map(({ task }) => store.renew(task.id, task.leaseToken, until)));
  }

  /** Tasks not to be run or finished here (shutdown): back to ready, the attempt not counted. */
  async function handBack(tasks: readonly ClaimedTask[], error: string): Promise<void> {
    for (const task of tasks) {
      await store.complete(task.id, task.leaseToken, { status: "ready", outcome: "shutdown", runAt: now(), retryDelayMs: 0, error: stopNote(error) }, now()).catch((thrown: unknown) => {
        logger.warn({ ...storeFailure(thrown), task: task.id }, "could not hand back a task claimed during shutdown; its lease will expire");
      });
    }
  }

  async function tick(): Promise<void> {
    if (stopping) return;
    if (ticking) {
      tickAgain = true;
      return;
    }
    ticking = true;
    let tickDone!: () => void;
    inFlightTick = new Promise<void>((resolve) => (tickDone = resolve));
    try {
      if (now() - lastReclaim >= leaseMs / 2) {
        lastReclaim = now();
        // Back from an outage: this worker's own runs (and outcomes waiting to be written)
        // missed their renewals. Their leases are renewed first, so that its own sweep does
        // not take back tasks it still holds.
        if (storeDown) await renewOwnLeases();
        reportReclaimed(await store.reclaimExpired(now(), { maxAttempts }), "returned tasks with expired leases to the queue");
      }
      while (!stopping && busySlots() < concurrency) {
        const capacity = concurrency - busySlots();
        const claimed = await store.claim({
          owner,
          now: now(),
          leaseMs,
          // With per-agent limits or a repository budget, claim one at a time so each claim
          // sees the limits anew (a batch could overshoot them by up to concurrency − 1).
          limit: limitsPerAgent || budget ? 1 : capacity,
          excludeAgents: [...saturatedAgents(), ...missingAgents],
          repositoryBudget: budget,
        });
        blocked = claimed.length === 0;
        queueEmpty = claimed.length < (limitsPerAgent || budget ? 1 : capacity);
        if (claimed.length === 0) break;
        if (stopping) {
          // A shutdown began while the claim was on its way: hand these back uncounted.
          await handBack(claimed, "claimed as a shutdown began: runs again when a worker next takes it: after a restart, or at once on another instance (not counted as a retry)");
          break;
        }
        // Started before anything is awaited: a stop that begins meanwhile finds them running.
        const unknown = claimed.filter((task) => !knowsAgent(task.agent));
        for (const task of claimed) if (!unknown.includes(task)) start(task);
        for (const task of unknown) await handBackUnknown(task);
      }
      // Every slot busy: due tasks wait for a finishing task's wake, not a 0 ms poll.
      if (busySlots() >= concurrency) blocked = true;
      if (storeDown) {
        storeDown = false;
        logger.warn("the store answers again: the worker claims tasks");
      }
    } catch (error) {
      // A claim that failed leaves the due tasks due: look again at the poll interval, not at
      // once (a store that refuses every write would be claimed from in a busy loop).
      blocked = true;
      const damaged = damagedDatabase(error);
      // An outage or a damaged database is said once, not once a poll until it ends.
      if (damaged !== null) {
        if (!storeDown) logger.error(damaged);
        storeDown = true;
      } else if (!isStoreUnavailable(error)) logger.error({ err: error }, "worker could not claim tasks; will look again");
      else if (!storeDown) {
        storeDown = true;
        logger.warn({ reason: (error as Error).message }, `${storeUnavailableWhy(error)}: the worker claims no tasks until it answers, and keeps looking`);
      }
    } finally {
      ticking = false;
      tickDone();
    }
    if (tickAgain) {
      tickAgain = false;
      wake();
      return;
    }
    await schedulePoll();
    await notifyIdle();
  }

  async function schedulePoll(): Promise<void> {
    if (stopping) return;
    let delay = pollMs;
    try {
      const next = await store.nextRunAt();
      // Due tasks this worker had to leave (slots full, agent or repository at its limit)
      // wait for a finishing task's wake or the next poll, not a busy loop.
      if (next !== null && !(blocked && next <= now())) delay = Math.min(pollMs, Math.max(0, next - now()));
    } catch {
      // the store is unavailable: try again at the poll interval
    }
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = setTimeout(() => {
      pollTimer = null;
      void tick();
    }, delay);
  }

  /** Resolves `idle()` waiters once nothing runs and nothing waits; never throws (it runs unawaited). */
  async function notifyIdle(): Promise<void> {
    if (idleWaiters.length === 0 || running.size > 0) return;
    let next: number | null;
    try {
      next = await store.nextRunAt();
    } catch (error) {
      // The store is unavailable: not idle as far as anyone knows; the next tick asks again.
      logger.warn(storeFailure(error), "worker could not read the queue to tell whether it is idle; will look again");
      return;
    }
    if (next !== null) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Writes a finished run's outcome. A store that cannot be reached is tried again, backing
   * off, while the lease is ours and for one lease more: an agent that finished during an
   * outage is recorded as it finished, instead of running again once its lease expires. The
   * write is fenced by the lease token, not by the lease's end, so a late one is taken while
   * no worker has reclaimed the task, and changes nothing once one has.
   */
  async function completeWhileLeased(task: ClaimedTask, outcome: TaskOutcome, log: Logger, leaseUntil: () => number): Promise<boolean> {
    let delay = 250;
    for (let tries = 1; ; tries++) {
      try {
        const ok = await store.complete(task.id, task.leaseToken, outcome, now());
        if (tries === 1) return ok;
        const recorded = ok || (await recordedBefore(task));
        // Said only when it is so: a task taken back meanwhile is the caller's "outcome discarded".
        if (recorded) log.info({ tries }, "the store answers again: the task's outcome is recorded");
        return recorded;
      } catch (error) {
        // A shutdown does not wait for the store: the outcome is left to the lease, as before.
        const left = leaseUntil() + leaseMs - now();
        // Less than a short pause left: this was the last try.
        if (!isStoreUnavailable(error) || stopping || left < 50) throw error;
        if (tries === 1) log.warn({ reason: (error as Error).message }, "could not record the task's outcome (the store cannot be reached): trying again until a lease after its end");
        // The last try comes at the bound, not past it after a long pause.
        await pauseUnlessStopping(Math.min(delay, left));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /**
   * Whether an earlier try whose answer was lost (the connection dropped after COMMIT) did
   * record this attempt: its lease token is gone then, so the retry finds nothing to
   * update, yet the attempt carries its outcome rather than `lease-expired`.
   */
  async function recordedBefore(task: ClaimedTask): Promise<boolean> {
    const after = await store.getTask(task.id).catch(() => null);
    const attempt = after?.attemptLog.find((a) => a.n === task.attempts);
    return attempt !== undefined && attempt.outcome !== null && attempt.outcome !== "lease-expired";
  }

  /** Waits `ms`, or less if the worker begins to stop meanwhile. */
  function pauseUnlessStopping(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pauses.add(done);
    });
  }

  function start(task: ClaimedTask, payload?: Record<string, unknown>): void {
    const controller = new AbortController();
    const log = logger.child({ delivery: task.delivery, task: task.id, agent: task.agent, attempt: task.attempts });
    const renewEvery = Math.max(250, Math.floor(leaseMs / 3));
    // Set before the completion is written: a renewal answered after it is not a lost lease.
    let finished = false;
    // Until when the lease is ours at least: how long an outcome the store refused may be tried again.
    let leaseUntil = now() + leaseMs;
    const renewer = setInterval(() => {
      if (finished) return;
      const until = now() + leaseMs;
      store.renew(task.id, task.leaseToken, until).then(
        (ok) => {
          if (ok) leaseUntil = until;
          if (!ok && !finished && !controller.signal.aborted) {
            log.warn("lease lost (it expired and the task was taken back: another worker may run it, or it was given up): aborting this run");
            controller.abort(new Error("lease lost"));
          }
        },
        (error: unknown) => log.warn(storeFailure(error), "could not renew lease"),
      );
    }, renewEvery);
    renewer.unref();

    const actions: GithubActionRecord[] = [];
    const entry: Running = { task, controller, startedAt: now(), process: null, done: Promise.resolve() };
    const reportProcess = (pgid: number) => {
      const group = describeGroup(pgid);
      entry.process = group;
      store.recordAttemptProcess?.(task.id, task.leaseToken, group).catch((error: unknown) =>
        log.warn({ ...storeFailure(error), pgid }, "could not record the agent's process group: if this process dies, a restart cannot end it"),
      );
    };
    const began = performance.now();
    entry.done = execute(task, controller.signal, log, actions, reportProcess, payload)
      .then(async ({ outcome: unmasked, ctx }) => {
        const runSeconds = (performance.now() - began) / 1000;
        // Masked once, before the routing comment, the log line and the store see it.
        let outcome = maskOutcome(unmasked, options.secrets ?? []);
        // The routing comment goes out while the lease is still held, and its writes are
        // stored with the outcome: one transaction per finished task, not one per write.
        // Not for a run a shutdown aborted: its lease is being handed back.
        if (outcome.status !== "ready" && options.afterTask && !(stopping && controller.signal.aborted)) {
          const failure = await options.afterTask(task, outcome, ctx).then(
            () => null,
            (error: unknown) => reportAfterTaskFailure(log, error),
          );
          // Kept with the attempt, not only logged: `tasks show` and the dashboard say the comment never went out.
          if (failure !== null) outcome = maskOutcome(withNote(outcome, failure), options.secrets ?? []);
        }
        executing.delete(task.id);
        wake();
        finished = true;
        clearInterval(renewer);
        const ok = await completeWhileLeased(task, { ...outcome, actions }, log, () => leaseUntil);
        if (!ok) {
          log.warn("lease no longer ours: outcome discarded (the task was taken back after its lease expired); its attempt keeps the run's output and GitHub writes");
          // The run happened: what it printed and wrote on GitHub stays on the record of its attempt.
          await store.recordLateOutcome(task.id, task.attempts, { ...outcome, actions }, now()).catch((error: unknown) => log.warn(storeFailure(error), "could not record what the attempt did after its lease was taken back"));
        } else {
          // A dead task needs someone to look at it (and perhaps replay it): warn, not info.
          const retry = outcome.status === "ready" && outcome.retryDelayMs > 0 ? { retryInMs: outcome.retryDelayMs } : {};
          // When it started and how long the agent ran: the log alone follows a delivery's timing.
          const timing = { startedAt: new Date(entry.startedAt).toISOString(), runMs: Math.round(runSeconds * 1000) };
          log[outcome.status === "dead" ? "warn" : "info"]({ status: outcome.status, ...("error" in outcome ? { error: outcome.error } : {}), ...retry, ...timing }, "task attempt finished");
          options.observer?.attemptRecorded(task, outcome, runSeconds);
        }
      })
      .catch((error: unknown) =>
        isStoreUnavailable(error)
          ? log.warn({ reason: (error as Error).message }, "could not record the task's outcome before its lease ran out (the store cannot be reached): it will run again")
          : log.error({ err: error }, "could not record the task's outcome; its lease will expire and it will run again"),
      )
      .finally(() => {
        clearInterval(renewer);
        executing.delete(task.id);
        running.delete(task.id);
        wake();
      });
    running.set(task.id, entry);
    executing.add(task.id);
  }

  /**
   * One line naming the step and what failed. GitHub answering an error, not answering, or
   * refusing credentials is the outside world: the line says it all, and a stack (with
   * Octokit's request and response, headers included) would only bury it. A TypeError or the
   * like that nothing outside caused is a bug here, and keeps its stack: that is what finds it.
   */
  function reportAfterTaskFailure(log: Logger, error: unknown): string {
    const step = error instanceof AfterTaskError ? error.step : "an after-task step";
    const cause: unknown = error instanceof AfterTaskError ? error.cause : error;
    const { line, bug } = describeFailure(cause, now());
    log.warn({ step, error: line, ...(bug ? { err: cause } : {}) }, `after-task step failed (the task's outcome stands): ${step}: ${line}`);
    return afterTaskNote(step, line);
  }

  async function execute(
    task: ClaimedTask,
    signal: AbortSignal,
    log: Logger,
    actions: GithubActionRecord[],
    reportProcess: (pgid: number) => void,
    parsed?: Record<string, unknown>,
  ): Promise<{ outcome: TaskOutcome; ctx: AgentContext | null }> {
    let ctx: AgentContext | null = null;
    try {
      // An earlier attempt's agent orphaned by a killed worker must be gone before this one starts.
      await endEarlierAttempts(store, task, log);
      // Retention empties old bodies: a dead task replayed after that has nothing to run on.
      if (parsed === undefined && task.body.length === 0) throw new PermanentError(PRUNED_BODY);
      const payload = parsed ?? parseDeliveryBody(task.body, isFormBody(task.body));
      if (typeof payload === "string") throw new PermanentError(`stored delivery is unreadable: ${payload}`);
      const event = normalizeEvent(task.event, payload);
      // Its own comments are known by its login: wait for the lookup rather than post a second one.
      await options.github.whenIdentityKnown?.();
      const github = options.github.forTask({ id: task.id, agent: task.agent, installation: task.installation }, log, (action) => actions.push(action), signal);
      ctx = { task, event, payload, logger: log, store: createAgentStore(store, task, now), signal, github, config: options.config, ownLogins: options.github.ownLogins(), mode: options.mode ?? "server", reportProcess };
      const result = await options.executorFor(task.agent)(ctx);
      return { outcome: { status: "succeeded", output: result?.output ?? null }, ctx };
    } catch (thrown) {
      const output = (thrown as { output?: unknown }).output;
      if (stopping && signal.aborted) {
        // Cut off by this process's own shutdown, not failed: it runs again at the next
        // start, and a deploy or restart never uses up a task's retries.
        const error = stopNote("stopped by a shutdown before it finished: runs again when a worker next takes it: after a restart, or at once on another instance (not counted as a retry)");
        return { outcome: { status: "ready", outcome: "shutdown", runAt: now(), retryDelayMs: 0, error, output: typeof output === "string" ? output : null }, ctx };
      }
      if (thrown instanceof StoreUnreadBeforeRun) {
        // Nothing ran: the store was out. Back to ready, not counted against the task's retries.
        const error = `${thrown.message}: the agent did not run; tried again shortly (not counted as a retry)`;
        return { outcome: { status: "ready", outcome: "handed-back", runAt: now() + STORE_OUTAGE_RETRY_MS, retryDelayMs: 0, error }, ctx };
      }
      if (thrown instanceof WaitTurnError) {
        // Nothing ran: it waits for its turn, not counted against its retries.
        const error = `${thrown.message}: tried again in ${Math.round(thrown.retryAfterMs / 1000)} s (not counted as a retry)`;
        return { outcome: { status: "ready", outcome: "handed-back", runAt: now() + thrown.retryAfterMs, retryDelayMs: 0, error }, ctx };
      }
      const failure = classifyError(thrown, now());
      const outcome = decideFailure(failure, task.attempts - task.retryBase, policy, now(), typeof output === "string" ? output : null, options.random, task.retryBase);
      return { outcome: options.mode === "actions" ? withinAWorkflowRun(outcome) : outcome, ctx };
    }
  }

  /** Stops claiming and polling: what a shutdown does first. */
  function halt(): void {
    stopping = true;
    for (const done of [...pauses]) done();
    unsubscribe?.();
    if (pollTimer) clearTimeout(pollTimer);
  }

  /**
   * Waits up to `withinMs` for every running task to settle, saying every few seconds what
   * still runs and how long is left. True when all settled.
   */
  async function settleWithin(withinMs: number, phase: "draining" | "aborting"): Promise<boolean> {
    if (running.size === 0) return true;
    const deadline = now() + withinMs;
    const report = () => {
      const tasks = [...running.values()].map((r) => ({ id: r.task.id, agent: r.task.agent, startedAt: r.startedAt }));
      if (tasks.length > 0) logger.info({ running: tasks.map((t) => t.id), leftMs: Math.max(0, deadline - now()) }, describeDrain(phase, tasks, now(), deadline));
    };
    report();
    const reporter = setInterval(report, DRAIN_REPORT_MS);
    let timer: NodeJS.Timeout | undefined;
    try {
      const all = Promise.allSettled([...running.values()].map((r) => r.done)).then(() => true);
      return await Promise.race([all, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)))]);
    } finally {
      clearInterval(reporter);
      clearTimeout(timer);
    }
  }

  function wake(): void {
    if (stopping || wakeScheduled) return;
    // Before start() has reclaimed what a previous process left running, claiming could
    // start a task that reclaim then takes back: remember the wake, start() honours it.
    if (!started) return;
    wakeScheduled = true;
    setImmediate(() => {
      wakeScheduled = false;
      void tick();
    });
  }

  return {
    start: async () => {
      lastReclaim = now();
      const expiredBefore = store.exclusive ? Number.MAX_SAFE_INTEGER : now();
      reportReclaimed(await store.reclaimExpired(now(), { expiredBefore, maxAttempts }), "returned tasks left running by a previous process to the queue");
      // Before the first claim: a task of an agent this config lacks must not be claimed and failed.
      await lookForMissingAgents();
      started = true;
      // Other instances' new, replayed and retried tasks wake this worker too.
      unsubscribe = store.onTasksDue?.(wake);
      wake();
    },
    wake,
    offer: () => {
      // Limits per agent or repository are the claim's to apply; so is a queue with tasks waiting.
      if (!started || stopping || limitsPerAgent || budget || !queueEmpty) return null;
      if (busySlots() >= concurrency) return null;
      const at = now();
      promised.push(at + HAND_OFF_HOLD_MS);
      return { owner, leaseMs, now: at };
    },
    adopt: (task, payload) => {
      promised.shift();
      if (stopping) {
        void handBack([task], "handed over as a shutdown began: runs again when a worker next takes it: after a restart, or at once on another instance (not counted as a retry)");
        return;
      }
      start(task, payload);
    },
    stop: async (drainMs = 25_000) => {
      halt();
      // A claim on its way when stop was called: its tasks are handed back (tick sees
      // `stopping`), and what runs is only known once it has returned.
      await inFlightTick;
      if (await settleWithin(drainMs, "draining")) return;
      logger.warn({ running: running.size }, "drain timeout: aborting running tasks; they return to the queue");
      for (const r of running.values()) r.controller.abort(new Error("shutting down"));
      // An agent that ignores the abort (a GitHub call in flight) must not hold the
      // shutdown past the process manager's patience: after a short grace, its lease is
      // handed back uncounted, and its late completion is refused by the fence.
      if (await settleWithin(ABORT_GRACE_MS, "aborting")) return;
      const stuck = [...running.values()].map((r) => r.task);
      logger.warn({ running: stuck.length }, "running tasks did not stop when aborted: handing their leases back");
      await handBack(stuck, "did not stop when the shutdown aborted it: runs again when a worker next takes it: after a restart, or at once on another instance (not counted as a retry)");
    },
    kill: async (withinMs = 5000) => {
      halt();
      for (const r of running.values()) {
        // Aborted first: the run then ends as "shutdown" (uncounted), not as an agent killed by a signal.
        r.controller.abort(new Error("forced shutdown"));
        const group = r.process;
        // The group is checked to be the one the agent started (its id cannot have been reused
        // while the run holds it, but a cheap check costs nothing here).
        if (group !== null && (group.start === null || readProcessStart(group.pgid) === group.start)) signalGroup(group.pgid, "SIGKILL");
      }
      if (await settleWithin(withinMs, "aborting")) return;
      const stuck = [...running.values()].map((r) => r.task);
      logger.warn({ running: stuck.length }, "forced shutdown: handing back the leases of tasks that did not stop");
      await handBack(stuck, "cut off by a forced shutdown: runs again when a worker next takes it: after a restart, or at once on another instance (not counted as a retry)");
      // Handed back, they are not this worker's any more (a late completion is refused by the
      // fence): a stop after the kill must not wait out its drain for them.
      for (const task of stuck) running.delete(task.id);
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        void notifyIdle();
      }),
    running: () => running.size,
  };
}

/**
 * The longest wait for a retry inside a workflow run: a job waits in silence while it sleeps,
 * and `init`'s jobs end after 15 minutes. GitHub's rate limit can ask for up to an hour.
 */
export const ACTIONS_MAX_RETRY_WAIT_MS = 5 * 60_000;

/** What the error of a task ended by withinAWorkflowRun says, for those who read it back. */
export const LATER_THAN_A_RUN_WAITS = "later than a workflow run waits";

/** In Actions mode, a retry asked for later than ACTIONS_MAX_RETRY_WAIT_MS ends the task now, saying when to run the workflow again. */
function withinAWorkflowRun(outcome: TaskOutcome): TaskOutcome {
  if (outcome.status !== "ready" || outcome.retryDelayMs <= ACTIONS_MAX_RETRY_WAIT_MS) return outcome;
  const wait = `${Math.ceil(outcome.retryDelayMs / 60_000)} min`;
  return {
    status: "dead",
    outcome: "transient",
    error: `${outcome.error}: a retry was due in ${wait}, ${LATER_THAN_A_RUN_WAITS} (${ACTIONS_MAX_RETRY_WAIT_MS / 60_000} min): run the workflow again after that`,
    output: outcome.output ?? null,
  };
}

/** The outcome with a line of switchyard's own after the agent's output. */
function withNote(outcome: TaskOutcome, note: string): TaskOutcome {
  const output = outcome.output ? `${outcome.output.trimEnd()}\n\n${note}` : note;
  return { ...outcome, output };
}

/**
 * The outcome with switchyard's own secrets (and GitHub-shaped tokens, URL credentials)
 * masked in its output and error: whatever an agent printed or threw is stored, shown by
 * `tasks show`, the dashboard and a job summary.
 */
function maskOutcome(outcome: TaskOutcome, secrets: readonly string[]): TaskOutcome {
  const output = outcome.output == null ? outcome.output : maskSecrets(outcome.output, secrets);
  if (outcome.status === "succeeded") return { ...outcome, output };
  return { ...outcome, output, error: maskSecrets(outcome.error, secrets) };
}
