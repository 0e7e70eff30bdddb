import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { EventPayload } from "../events/event-payload.js";
import type { GithubClient } from "../github/github-client.js";
import type { ClaimedTask, Store } from "../store/store.js";

/** What an agent gets for one task: the event, a logger scoped to it, the store. */
export interface AgentContext {
  task: ClaimedTask;
  event: EventPayload;
  /** The delivery's payload as GitHub sent it. */
  payload: Record<string, unknown>;
  logger: Logger;
  store: Store;
  /** Aborted when the worker shuts down or the lease is lost: stop and throw. */
  signal: AbortSignal;
  /** GitHub for this task: writes recorded (and in dry-run only recorded). */
  github: GithubClient;
  config: Config;
  /** switchyard's own GitHub logins (comments and labels by them never trigger anything). */
  ownLogins: readonly string[];
  /** `server` under `serve`; `actions` in a workflow run, where the store lives for one run. */
  mode: "server" | "actions";
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
