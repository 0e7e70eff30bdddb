import { redactUrl } from "../../config/redact-url.js";
import { UsageError } from "../../errors.js";
import { isStoreUnavailable } from "../store-unavailable.js";
import type { Store } from "../store.js";
import { lateOutcomeNote, parseTaskId, serializedActions } from "../rows.js";
import { acceptDelivery } from "./pg-accept.js";
import { createAckCorrector } from "./pg-ack-corrector.js";
import { recordAuthFailure } from "./pg-auth-failures.js";
import { exchangeIncidentState } from "./pg-incidents.js";
import { claimTasks } from "./pg-claim.js";
import { completeTask, insertGithubAction, recordLateOutcome, listAttemptProcesses, reclaimExpired, recordAttemptProcess, renewLease } from "./pg-lease-ops.js";
import { createTasksDueListener } from "./pg-listener.js";
import { checkPostgresSchema, migratePostgres } from "./pg-migrate.js";
import { createPgPool, transaction, type PgPoolOptions } from "./pg-pool.js";
import { getDelivery, getTask, listDeliveries, listGithubActions, listSubjectGithubActions, listTasks, nextRunAt, waitingAgents } from "./pg-queries.js";
import { replayDead, replayDelivery, replayTask } from "./pg-replay.js";
import { addRejections, readKpiCounts, readQueueStats } from "./pg-stats.js";
import { createRejectionTally } from "../rejection-tally.js";
import { pruneBodies, pruneBookkeeping, pruneRows } from "./pg-prune.js";
import { countRedeliveries, knownDeliveries, lockRecoveryHook, readRedeliveries, recordRedeliveryAnswer, reserveRedelivery } from "./pg-redeliveries.js";

export type { StoreLogger } from "./pg-pool.js";

export interface PostgresStoreOptions extends PgPoolOptions {
  /** false: `migrate()` only checks the schema is current, as for a read-only store (the writing commands other than serve). */
  migrates?: boolean;
  /** The clock `accept` reads as its transaction starts, for the delivery's ack time; default Date.now. */
  clock?: () => number;
}

// What PostgreSQL (or the network) says when the URL itself is wrong: worth exit 2 and a fix, not a retry.
const CONFIG_ERRORS: Record<string, string> = {
  "3D000": "the database does not exist: create it (createdb) or fix the name in DATABASE_URL",
  "28P01": "password authentication failed: fix the user or password in DATABASE_URL",
  "28000": "the server refused this user: fix the user in DATABASE_URL or the server's pg_hba.conf",
  ENOTFOUND: "the host name does not resolve: fix the host in DATABASE_URL",
};

// Node's codes for a server certificate that did not verify: the URL (its sslmode or CA) must change, retrying will not help.
const CERTIFICATE_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
]);

/**
 * DATABASE_URL's host does not resolve: a typo, or (in a container network) a database
 * container not started yet, whose name resolves once it is. `serve` waits a little for it
 * before taking it as a typo (open-runtime-store.ts).
 */
export class DatabaseHostNotFound extends UsageError {}

/** A failure while opening the database, as something the user can act on, naming the URL without its password. */
function openError(where: string, error: unknown): Error {
  if (error instanceof UsageError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOTFOUND") return new DatabaseHostNotFound(`cannot use the database ${where}: ${CONFIG_ERRORS[code]}`);
  if (typeof code === "string" && code in CONFIG_ERRORS) return new UsageError(`cannot use the database ${where}: ${CONFIG_ERRORS[code]}`);
  // pg's own words (no code) for sslmode=require against a server without SSL: the URL asks what the server cannot give.
  if (/^The server does not support SSL connections/.test(message)) {
    return new UsageError(`cannot use the database ${where}: the server does not support SSL connections, and DATABASE_URL asks for SSL (sslmode): enable SSL on the server, or drop sslmode from DATABASE_URL`);
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new UsageError(
      `cannot use the database ${where}: the server's TLS certificate is not for this host name (${message}): connect by a name the certificate holds, or write sslmode=verify-ca (with sslrootcert=FILE) or sslmode=require, which do not check the name`,
    );
  }
  if (typeof code === "string" && CERTIFICATE_ERRORS.has(code)) {
    return new UsageError(
      `cannot use the database ${where}: the server's TLS certificate did not verify (${message}): give the certificate of the CA that signed it with sslrootcert=FILE in DATABASE_URL, or write sslmode=require to encrypt without verifying the server`,
    );
  }
  if (/^SECURITY WARNING: Using sslmode=verify-ca requires/.test(message)) {
    return new UsageError(`cannot use the database ${where}: sslmode=verify-ca needs the CA's certificate: add sslrootcert=FILE to DATABASE_URL (or use sslmode=verify-full, which also checks the host name)`);
  }
  return new Error(`cannot reach the database ${where}: ${message} (is PostgreSQL running and DATABASE_URL right?)`);
}

/**
 * The PostgreSQL adapter: any number of switchyard processes on one database. Every check
 * that must hold across them is a constraint (unique delivery id, the signature table, the
 * idempotency-key holder index) or a row lock (`FOR UPDATE SKIP LOCKED` claims, fenced
 * leases); LISTEN/NOTIFY wakes idle workers everywhere. A failed query rejects (the webhook
 * answers 503, nothing acknowledged); the pool reconnects by itself when the database is back.
 *
 * @example
 * const store = createPostgresStore("postgres://app:pw@db/switchyard", { poolSize: 10 });
 * await store.migrate();
 */
export function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const where = redactUrl(url);
  const readonly = options.readonly === true;
  const clock = options.clock ?? Date.now;
  const pool = createPgPool(url, options);
  const listener = createTasksDueListener(url, options);
  let closed = false;
  // Writes under way: close() lets them commit before it ends the pool.
  const inflight = new Set<Promise<unknown>>();
  // Refused requests: counted in memory, one upsert per hour and reason about every second.
  // An outage is said once (the counts wait in memory, retried each second), a bug each time.
  let countersFailing = false;
  const rejections = createRejectionTally({
    write: async (rows) => {
      await addRejections(pool, rows);
      countersFailing = false;
    },
    onError: (error) => {
      const outage = isStoreUnavailable(error);
      if (outage && countersFailing) return;
      countersFailing = outage;
      options.logger?.warn(outage ? { error: (error as Error).message, store: where } : { err: error, store: where }, "could not write the rejection counters; will try again");
    },
  });

  const writable = (): void => {
    if (readonly) throw new Error(`the store ${where} is open read-only: writes go through \`switchyard serve\``);
    if (closed) throw new Error("the store is closed: no more writes are accepted");
  };
  function write<T>(op: () => Promise<T>): Promise<T> {
    try {
      writable();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const running = op();
    inflight.add(running);
    const forget = () => inflight.delete(running);
    running.then(forget, forget);
    return running;
  }
  const taskId = (id: string): number | null => parseTaskId(id);
  const correctAckMs = createAckCorrector(pool);

  return {
    kind: "postgres",
    exclusive: false,

    async migrate() {
      try {
        if (!readonly && options.migrates !== false) return await migratePostgres(pool, where);
        await checkPostgresSchema(pool, where);
        return [];
      } catch (error) {
        throw openError(where, error);
      }
    },
    announce() {
      // Any number of servers share the database: CLIs write to it directly, and NOTIFY wakes the workers.
    },
    onTasksDue(wake) {
      return listener.subscribe(wake);
    },
    recordAuthFailure(source, now, window) {
      return write(() => recordAuthFailure(pool, source, now, window));
    },
    exchangeIncidentState(name, now, change) {
      return write(() => exchangeIncidentState(pool, name, now, change));
    },

    accept(delivery, tasks, { replayWindowMs }) {
      const headers = JSON.stringify(delivery.headers);
      return write(() => acceptDelivery((body) => transaction(pool, body), delivery, headers, tasks, delivery.receivedAt - replayWindowMs, clock));
    },
    correctAckMs(delivery, ackMs) {
      return write(() => correctAckMs(delivery, ackMs));
    },
    claim(claimOptions) {
      return write(async () => (claimOptions.limit <= 0 ? [] : claimTasks(pool, claimOptions)));
    },
    renew(id, token, leaseUntil) {
      const n = taskId(id);
      return write(async () => n !== null && renewLease(pool, n, token, leaseUntil));
    },
    complete(id, token, outcome, now) {
      const n = taskId(id);
      const actions = serializedActions(outcome);
      return write(async () => n !== null && completeTask(pool, n, token, outcome, now, actions));
    },
    recordLateOutcome(id, attempt, outcome, now) {
      const n = taskId(id);
      const actions = serializedActions(outcome);
      return write(async () => {
        if (n !== null) await recordLateOutcome(pool, n, attempt, lateOutcomeNote(outcome, now), outcome.output ?? null, actions);
      });
    },
    recordAttemptProcess(id, token, process) {
      const n = taskId(id);
      return write(async () => n !== null && recordAttemptProcess(pool, n, token, process));
    },
    async listAttemptProcesses(id) {
      const n = taskId(id);
      return n === null ? [] : listAttemptProcesses(pool, n);
    },
    reclaimExpired(now, reclaimOptions) {
      return write(() => reclaimExpired(pool, now, reclaimOptions));
    },
    nextRunAt: () => nextRunAt(pool),
    waitingAgents: () => waitingAgents(pool),

    replayTask(id, now) {
      const n = taskId(id);
      return write(async () => (n === null ? null : replayTask(pool, n, now)));
    },
    replayDead(now) {
      return write(() => replayDead(pool, now));
    },
    replayDelivery(deliveryId, tasks, now) {
      return write(() => replayDelivery(pool, deliveryId, tasks, now));
    },

    getDelivery: (id) => getDelivery(pool, id),
    listDeliveries: (listOptions) => listDeliveries(pool, listOptions),
    async getTask(id) {
      const n = taskId(id);
      return n === null ? null : getTask(pool, n);
    },
    listTasks: (listOptions) => listTasks(pool, listOptions),

    async recordGithubAction(action) {
      const task = action.task === null ? null : taskId(action.task);
      if (action.task !== null && task === null) throw new Error(`recordGithubAction: "${action.task}" is not a task id`);
      await write(() => insertGithubAction(pool, action, task, action.body === undefined ? null : JSON.stringify(action.body)));
    },
    async listGithubActions({ task, limit }) {
      if (task === undefined) return listGithubActions(pool, { limit });
      const n = taskId(task);
      return n === null ? [] : listGithubActions(pool, { task: n, limit });
    },
    listSubjectGithubActions: (listOptions) => listSubjectGithubActions(pool, listOptions),

    countRejection(reason, at) {
      if (!readonly && !closed) rejections.add(reason, at);
    },
    readKpiCounts: (window) => readKpiCounts(pool, window),
    readQueueStats: (now) => readQueueStats(pool, now),

    knownDeliveries: (ids) => knownDeliveries(pool, ids),
    readRedeliveries: (guids) => readRedeliveries(pool, guids),
    reserveRedelivery(ask, maxAsks) {
      return write(() => reserveRedelivery(pool, ask, maxAsks));
    },
    recordRedeliveryAnswer(guid, n, answer) {
      return write(() => recordRedeliveryAnswer(pool, guid, n, answer));
    },
    countRedeliveries: (since) => countRedeliveries(pool, since),
    lockRecoveryHook: (hook) => lockRecoveryHook(pool, hook),

    pruneBodies(pruneOptions) {
      return pruneOptions.dryRun ? pruneBodies(pool, pruneOptions) : write(() => pruneBodies(pool, pruneOptions));
    },
    pruneRows(pruneOptions) {
      return pruneOptions.dryRun ? pruneRows(pool, pruneOptions) : write(() => pruneRows(pool, pruneOptions));
    },
    pruneBookkeeping(pruneOptions) {
      return pruneOptions.dryRun ? pruneBookkeeping(pool, pruneOptions) : write(() => pruneBookkeeping(pool, pruneOptions));
    },

    async close() {
      if (closed) return;
      closed = true;
      await rejections.close();
      await Promise.allSettled([...inflight]);
      await listener.close();
      await pool.end();
    },
  };
}
