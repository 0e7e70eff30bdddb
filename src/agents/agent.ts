import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { EventPayload } from "../events/event-payload.js";
import type { GithubClient } from "../github/github-client.js";
import type { AcceptedTask, ClaimedTask, DeliverySummary, GithubActionRecord, NewTask, TaskRecord } from "../store/store.js";

/** One delivery about an issue or pull request, with its tasks as `tasks --json` shows them. */
export interface SubjectDelivery extends Omit<DeliverySummary, "tasks"> {
  tasks: TaskRecord[];
}

/**
 * The store as an agent sees it: bound to the task it runs, it adds work to that task's
 * delivery and reads what agents need, nothing else (no claims, leases, replays of other
 * deliveries). The worker builds it for each task; times come from the worker's clock.
 */
export interface AgentStore {
  /**
   * Adds a task to this task's delivery, ready now. Idempotent per rule: when the delivery
   * already has a task of `task.rule` (a retried attempt enqueued it before), that task is
   * returned and nothing is added or re-queued.
   */
  enqueue(task: NewTask): Promise<AcceptedTask>;
  /** The tasks of this task's delivery (this one among them), in the order they were added. */
  deliveryTasks(): Promise<TaskRecord[]>;
  /** Deliveries about one issue or pull request, newest first, each with up to `tasksPerDelivery` of its tasks. */
  history(subject: { repository: string; number: number }, options: { limit: number; tasksPerDelivery: number }): Promise<SubjectDelivery[]>;
  /** The GitHub writes this task made (or, in dry-run, would have made) in its earlier attempts. */
  githubWrites(options: { limit: number }): Promise<GithubActionRecord[]>;
  /**
   * The GitHub writes recorded for the tasks of the newest `deliveries` deliveries about one
   * issue or pull request (at most `perTask` of each task's), newest first: what a dry-run
   * preview reads instead of GitHub, where its earlier writes never arrived.
   */
  subjectWrites(subject: { repository: string; number: number }, options: { deliveries: number; perTask: number }): Promise<GithubActionRecord[]>;
}

/** What an agent gets for one task: the event, a logger scoped to it, its view of the store. */
export interface AgentContext {
  task: ClaimedTask;
  event: EventPayload;
  /** The delivery's payload as GitHub sent it. */
  payload: Record<string, unknown>;
  logger: Logger;
  store: AgentStore;
  /** Aborted when the worker shuts down or the lease is lost: stop and throw. */
  signal: AbortSignal;
  /** GitHub for this task: writes recorded (and in dry-run only recorded). */
  github: GithubClient;
  config: Config;
  /** switchyard's own GitHub logins (comments and labels by them never trigger anything). */
  ownLogins: readonly string[];
  /** `server` under `serve`; `actions` in a workflow run, where the store lives for one run. */
  mode: "server" | "actions";
  /**
   * An executor that starts a process group (`exec`) reports its id here once it runs: the
   * worker records it on the attempt and kills it in a forced shutdown.
   */
  reportProcess?: (pgid: number) => void;
}

/** What a successful run leaves on its attempt row. */
export interface AgentResult {
  output?: string;
}

/**
 * An agent: a name, a help text (shown by `/agent help` and `GET /agent-help`) and a
 * handler. A handler that throws fails the attempt; the worker classifies the error
 * (TransientError / PermanentError say so explicitly) and retries or gives up.
 */
export interface Agent {
  name: string;
  help: string;
  handle: (ctx: AgentContext) => Promise<AgentResult | void>;
}
