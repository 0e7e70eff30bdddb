import { existsSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { UsageError } from "../../errors.js";
import type { ClaimedTask, GithubActionRecord, Store } from "../store.js";
import { prepareAccept, prepareCorrectAckMs, prepareInsertTask } from "./accept.js";
import { prepareClaim, prepareLeaseTask } from "./claim.js";
import { startCheckpointer } from "./checkpointer.js";
import { watchFileIdentity } from "./file-identity.js";
import { createGroupCommitWriter } from "./group-commit.js";
import type { GroupCommitStats } from "./group-commit.js";
import { prepareComplete, prepareLateAttempt, prepareListAttemptProcesses, prepareReclaimExpired, prepareRecordAttemptProcess, prepareRenew } from "./lease-ops.js";
import { checkSqliteSchema, migrateSqlite } from "./migrate.js";
import { availableThreadReadsEntry, offloadReads, type OffloadedReadStats } from "./read-offload.js";
import { prepareReadOps, sqliteReads, THREAD_READS } from "./reads.js";
import { prepareReplay } from "./replay.js";
import { preparePrune } from "./prune.js";
import { createRejectionTally } from "../rejection-tally.js";
import { lateOutcomeNote, parseTaskId, serializedActions } from "../rows.js";
import { acquireStoreLock, lockHolder, type StoreLock } from "./lock-file.js";

/** A read-only open of a database file that is not there: reading commands exit 2 with this. */
export class StoreMissingError extends UsageError {
  readonly file: string;

  constructor(file: string) {
    // A live server holding the lock means the file was there: removed while it ran.
    const holder = lockHolder(file);
    super(
      holder !== null && holder.pid > 0
        ? `the database ${file} is missing, but switchyard (pid ${holder.pid}) holds its lock: the file was removed while it ran, and it accepts nothing until it is stopped and the file put back`
        : `the database ${file} does not exist yet: \`switchyard serve\` creates it (or point DATABASE_URL at an existing one)`,
    );
    this.name = "StoreMissingError";
    this.file = file;
  }
}

export interface SqliteStoreOptions {
  /** Open for reading only: the file must exist, and it is never created, migrated or written. */
  readonly?: boolean;
  /** false: `migrate()` only checks the schema is current, as for a read-only store (the writing commands other than serve). */
  migrates?: boolean;
  /**
   * Hold the file alone (a `.lock` beside it, released on close): what `serve` and the
   * commands that write without a server need, since two writers would each run workers
   * and reclaim each other's leases. Refused with a UsageError naming the holder.
   */
  exclusive?: boolean;
  /**
   * Run WAL checkpoints on a background thread (checkpointer.ts) instead of on the
   * connection that serves requests: what `serve` and `work` do.
   */
  checkpointThread?: boolean;
  /** Told what went wrong on the checkpoint thread (it never fails a request). */
  onCheckpointError?: (message: string) => void;
  /** With checkpointThread: called once the thread runs, before the store is returned (see startCheckpointer). */
  onThreadStarted?: () => void;
  /**
   * With checkpointThread: that thread answers the admin listener's reads as well
   * (`adminView()`), on a read-only connection it opens at the first one (read-offload.ts):
   * what `serve` does.
   */
  readThread?: boolean;
  /** Told when the read thread cannot be used or stopped (its reads then run on this connection). */
  onReadThreadError?: (message: string) => void;
  /** The clock `accept` reads inside its transaction, for the delivery's ack time; default Date.now. */
  clock?: () => number;
}

/** The SQLite adapter: the Store plus what only SQLite has. */
export interface SqliteStore extends Store {
  readonly file: string;
  readonly readonly: boolean;
  /** The connection, for SQLite-specific checks (pragmas) and reports. Writes go through the store. */
  readonly db: Database.Database;
  /** How the group-commit writer has batched the writes so far. */
  readonly writerStats: Readonly<GroupCommitStats>;
  /** What the read thread answered (null without one). */
  readonly readThreadStats: Readonly<OffloadedReadStats> | null;
}

/**
 * Remembers the first report (a checkpoint's error) that says the database is damaged;
 * `check` throws it from then on, as SQLite's own SQLITE_CORRUPT (which damagedDatabase
 * turns into what to do, wherever it is met).
 *
 * @example const damage = watchForDamage(); damage.report("… database disk image is malformed"); damage.check(); // throws
 */
export function watchForDamage(): { report: (message: string) => void; check: () => void } {
  let damaged: Error | null = null;
  return {
    report(message) {
      const said = /database disk image is malformed|file is not a database/i.exec(message);
      if (damaged !== null || said === null) return;
      damaged = Object.assign(new Error(`${said[0]} (found by the background WAL checkpoint)`), { code: "SQLITE_CORRUPT" });
    },
    check() {
      if (damaged !== null) throw damaged;
    },
  };
}

/** An empty file (which SQLite opens as a new database) of mode 0600; one made meanwhile by another process is left as it is. */
function createOwnerOnly(file: string): void {
  try {
    writeFileSync(file, "", { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

function openDatabase(file: string, readonly: boolean): Database.Database {
  if (readonly && !existsSync(file)) throw new StoreMissingError(file);
  // A new database is made readable by its owner only (it holds event payloads, in whatever
  // directory it is put); SQLite gives its -wal and -shm files the database file's mode.
  if (!readonly && file !== ":memory:" && !existsSync(file)) createOwnerOnly(file);
  const db = readonly ? new Database(file, { readonly: true, fileMustExist: true }) : new Database(file);
  // Reading CLIs and a migrating serve hold locks for moments: wait rather than fail at once.
  db.pragma("busy_timeout = 5000");
  // Retention frees pages; INCREMENTAL lets the prune give them back to the file system a few
  // at a time. It takes effect only on a file that has no tables yet: an older file keeps
  // NONE (its free pages are reused, not returned) until `switchyard prune --vacuum`.
  if (!readonly) db.pragma("auto_vacuum = INCREMENTAL");
  // WAL lets CLIs read while serve writes. It is a property of the file, set by the writer.
  if (!readonly) db.pragma("journal_mode = WAL");
  // FULL: a commit is on disk when COMMIT returns, and the HTTP layer acknowledges on it.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // 2 MB of page cache (SQLite's own default): better-sqlite3 builds SQLite with 16 MB
  // (SQLITE_DEFAULT_CACHE_SIZE), which the bodies of a busy server fill and keep resident.
  // Rows missed here are read from the OS page cache.
  db.pragma("cache_size = -2000");
  return db;
}

function prepareOps(db: Database.Database) {
  const insertTask = prepareInsertTask(db);
  const leaseTask = prepareLeaseTask(db);
  return {
    accept: prepareAccept(db, insertTask, leaseTask),
    correctAckMs: prepareCorrectAckMs(db),
    claim: prepareClaim(db, leaseTask),
    renew: prepareRenew(db),
    complete: prepareComplete(db),
    lateAttempt: prepareLateAttempt(db),
    reclaimExpired: prepareReclaimExpired(db),
    recordAttemptProcess: prepareRecordAttemptProcess(db),
    listAttemptProcesses: prepareListAttemptProcesses(db),
    replay: prepareReplay(db, insertTask),
    // What the read thread prepares too (reads.ts), with the writes of the same modules.
    ...prepareReadOps(db),
    prune: preparePrune(db),
  };
}

/**
 * Opens (creating unless read-only) the SQLite store at `file`. Call `migrate()` before
 * anything else on a new file; statements are prepared on first use, after it.
 *
 * @example
 * const store = createSqliteStore(".switchyard/switchyard.db", {});
 * await store.migrate();
 * const result = await store.accept(delivery, tasks, { replayWindowMs: 72 * 3_600_000 });
 */
export function createSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  const readonly = options.readonly === true;
  const clock = options.clock ?? Date.now;
  const lock: StoreLock | null = options.exclusive === true && !readonly ? acquireStoreLock(file) : null;
  let db: Database.Database;
  try {
    db = openDatabase(file, readonly);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const threadReads = options.checkpointThread === true && options.readThread === true && !readonly;
  const readsEntry = threadReads ? availableThreadReadsEntry(options.onReadThreadError) : null;
  // Damage the checkpoint finds (pages the webhooks' own writes may never touch: a restored
  // copy opened with the old file's -wal) stops all writing; reads go on, for what they can
  // still show (what to redeliver).
  const damage = watchForDamage();
  const onCheckpointError = (message: string) => {
    damage.report(message);
    options.onCheckpointError?.(message);
  };
  const checkpointer =
    options.checkpointThread === true && !readonly ? startCheckpointer(db, file, { onError: onCheckpointError, onStarted: options.onThreadStarted, readsEntry: readsEntry ?? undefined }) : null;
  // A writer that stays open while its file is removed or replaced would acknowledge into a
  // file no restart opens: every commit checks that the path still names it.
  const identity = readonly || file === ":memory:" ? undefined : watchFileIdentity(file);
  const checkFile = () => {
    damage.check();
    identity?.();
  };
  const writer = createGroupCommitWriter(db, { onCommit: checkpointer === null ? undefined : () => checkpointer.committed(), verify: checkFile });
  let ops: ReturnType<typeof prepareOps> | undefined;
  const prepared = (): ReturnType<typeof prepareOps> => (ops ??= prepareOps(db));
  let closed = false;
  const reads = sqliteReads(prepared);
  const readThread = checkpointer !== null && readsEntry !== null ? offloadReads(checkpointer, reads, options.onReadThreadError) : null;
  // Refused requests ride along with the writer's batches, at most once a second.
  const rejections = createRejectionTally({ write: (rows) => write(() => prepared().stats.addRejections(rows), true) });

  /** `defer`: the worker's bookkeeping, which may wait a few ms to share a webhook's commit. */
  function write<T>(op: () => T, defer = false): Promise<T> {
    if (readonly) return Promise.reject(new Error(`the store ${file} is open read-only: writes go through \`switchyard serve\``));
    return writer.run(op, { defer });
  }

  return {
    kind: "sqlite",
    exclusive: lock !== null,
    file,
    readonly,
    db,
    writerStats: writer.stats,
    readThreadStats: readThread?.stats ?? null,

    async migrate() {
      if (!readonly && options.migrates !== false) return migrateSqlite(db, file);
      checkSqliteSchema(db, file);
      return [];
    },

    async checkWritable() {
      checkFile();
    },

    adminView() {
      if (readThread === null) return this;
      // The thread opens the file by its path: once the path names another file (a restore moved
      // into place), it would read that one. Refused as the writer refuses (503), checked per read.
      const offloaded = Object.fromEntries(
        THREAD_READS.map((read) => [
          read,
          async (...args: unknown[]) => {
            identity?.();
            return readThread.run(read, args as never);
          },
        ]),
      );
      return { ...this, ...offloaded } as SqliteStore;
    },

    announce(adminUrl) {
      lock?.publishAdminUrl(adminUrl);
    },

    async accept(delivery, tasks, { replayWindowMs, handOff }) {
      // Serialized before the transaction: the batch holds the write lock, keep it short.
      const input = { delivery, headers: JSON.stringify(delivery.headers), tasks, windowStart: delivery.receivedAt - replayWindowMs, handOff };
      return write(() => prepared().accept({ ...input, now: clock() }));
    },
    async correctAckMs(delivery, ackMs) {
      // Deferred: it rides along with the next webhook's commit, or commits alone DEFER_MS later.
      await write(() => prepared().correctAckMs(delivery, ackMs), true);
    },

    async claim(options): Promise<ClaimedTask[]> {
      if (options.limit <= 0) return [];
      return write(() => prepared().claim(options), true);
    },
    async renew(taskId, token, leaseUntil) {
      const id = parseTaskId(taskId);
      return id !== null && write(() => prepared().renew(id, token, leaseUntil), true);
    },
    async complete(taskId, token, outcome, now) {
      const id = parseTaskId(taskId);
      if (id === null) return false;
      const actions = serializedActions(outcome);
      return write(() => {
        const ok = prepared().complete(id, token, outcome, now);
        if (ok) for (const { action, body } of actions) prepared().githubActions.record(action, id, body);
        return ok;
      }, true);
    },
    async recordLateOutcome(taskId, attempt, outcome, now) {
      const id = parseTaskId(taskId);
      if (id === null) return;
      const actions = serializedActions(outcome);
      await write(() => {
        prepared().lateAttempt(id, attempt, lateOutcomeNote(outcome, now), outcome.output ?? null);
        for (const { action, body } of actions) prepared().githubActions.record(action, id, body);
      });
    },
    async recordAttemptProcess(taskId, token, process) {
      const id = parseTaskId(taskId);
      // Not deferred: until it commits, a crash would leave the agent an orphan no one can find.
      return id !== null && write(() => prepared().recordAttemptProcess(id, token, process));
    },
    async listAttemptProcesses(taskId) {
      const id = parseTaskId(taskId);
      return id === null ? [] : prepared().listAttemptProcesses(id);
    },
    reclaimExpired(now, options) {
      return write(() => prepared().reclaimExpired(now, options));
    },
    async nextRunAt() {
      return prepared().queries.nextRunAt();
    },
    async waitingAgents() {
      return prepared().queries.waitingAgents();
    },

    async replayTask(taskId, now) {
      const id = parseTaskId(taskId);
      return id === null ? null : write(() => prepared().replay.replayTask(id, now));
    },
    replayDead(now) {
      return write(() => prepared().replay.replayDead(now));
    },
    replayDelivery(deliveryId, tasks, now) {
      return write(() => prepared().replay.replayDelivery(deliveryId, tasks, now));
    },

    async getDelivery(id) {
      return reads.getDelivery(id);
    },
    async listDeliveries(options) {
      return reads.listDeliveries(options);
    },
    async getTask(taskId) {
      return reads.getTask(taskId);
    },
    async listTasks(options) {
      return reads.listTasks(options);
    },

    async recordGithubAction(action: GithubActionRecord) {
      const task = action.task === null ? null : parseTaskId(action.task);
      if (action.task !== null && task === null) throw new Error(`recordGithubAction: "${action.task}" is not a task id`);
      const body = action.body === undefined ? null : JSON.stringify(action.body);
      return write(() => prepared().githubActions.record(action, task, body));
    },
    async listGithubActions(options) {
      return reads.listGithubActions(options);
    },
    async listSubjectGithubActions(options) {
      return prepared().githubActions.listOfSubject(options);
    },

    countRejection(reason, at) {
      if (!readonly) rejections.add(reason, at);
    },
    async readKpiCounts(window) {
      return reads.readKpiCounts(window);
    },
    async readQueueStats(now) {
      return reads.readQueueStats(now);
    },

    async knownDeliveries(ids) {
      return prepared().redeliveries.knownDeliveries(ids);
    },
    async readRedeliveries(guids) {
      return reads.readRedeliveries(guids);
    },
    reserveRedelivery(ask, maxAsks) {
      return write(() => prepared().redeliveries.reserve(ask, maxAsks));
    },
    recordRedeliveryAnswer(guid, n, answer) {
      return write(() => prepared().redeliveries.answer(guid, n, answer));
    },
    async countRedeliveries(since) {
      return reads.countRedeliveries(since);
    },

    // A dry run only reads: it runs on the connection without the writer (and works read-only).
    async pruneBodies(options) {
      return options.dryRun ? prepared().prune.bodies(options) : write(() => prepared().prune.bodies(options));
    },
    async pruneRows(options) {
      return options.dryRun ? prepared().prune.rows(options) : write(() => prepared().prune.rows(options));
    },
    async pruneBookkeeping(options) {
      return options.dryRun ? prepared().prune.bookkeeping(options) : write(() => prepared().prune.bookkeeping(options));
    },
    reclaimSpace(maxPages) {
      return write(() => prepared().prune.reclaimSpace(maxPages));
    },

    async close() {
      if (closed) return;
      closed = true;
      // Queued before the writer's last batch, so the counts still pending commit with it.
      const counted = rejections.close();
      try {
        writer.close();
        // Reads still waiting are refused; the thread finishes the one it has, then closes.
        readThread?.close();
        // The thread's connection goes first, so that closing this one can remove the WAL.
        await checkpointer?.close();
        db.close();
      } finally {
        lock?.release();
      }
      await counted;
    },
  };
}
