import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadDeliveryDetail } from "../../src/present/load-detail.js";
import { stringifyDelivery } from "../../src/present/records.js";
import { startCheckpointer } from "../../src/store/sqlite/checkpointer.js";
import { availableThreadReadsEntry, MAX_WAITING_READS, offloadReads, ReadDropped, ReadsRefused, threadReadsEntry, whileWanted } from "../../src/store/sqlite/read-offload.js";
import type { ThreadReadOutcome } from "../../src/store/sqlite/checkpointer.js";
import { prepareReadOps, sqliteReads, type SqliteReads } from "../../src/store/sqlite/reads.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { NewTask } from "../../src/store/store.js";
import { runStoreContract } from "./store-contract.js";
import { newDelivery } from "../support/new-delivery.js";

const dir = mkdtempSync(path.join(tmpdir(), "switchyard-read-thread-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => path.join(dir, `store-${++files}.db`);

// Every read of the Store contract through the admin view: answered by the store's thread.
runStoreContract("sqlite admin view (read thread)", async ({ clock }) => createSqliteStore(freshFile(), { clock, readThread: true, checkpointThread: true }).adminView!());

const WINDOW = { replayWindowMs: 72 * 3_600_000 };
const delivery = newDelivery;
const task: NewTask = { rule: "issue-opened", agent: "IssueAgent", priority: "medium", action: "triage", idempotencyKey: null, runAt: Date.parse("2026-01-01T00:00:00Z") };

describe("the SQLite admin view", () => {
  it("answers the admin listener's reads on the read thread, which sees every commit before it", async () => {
    const store = createSqliteStore(freshFile(), { readThread: true, checkpointThread: true });
    try {
      await store.migrate();
      const view = store.adminView!();
      expect(store.readThreadStats).toMatchObject({ answered: 0, fellBack: 0 });
      for (let i = 1; i <= 3; i++) {
        // Each read follows its commit at once: the thread's connection reads what committed.
        const accepted = await store.accept(delivery(`d-${i}`), [task], WINDOW);
        if (accepted.duplicate) throw new Error("not a duplicate");
        expect((await view.getDelivery(`d-${i}`))?.tasks.map((t) => t.id)).toEqual(accepted.tasks.map((t) => t.id));
      }
      // The body comes back a Buffer, as the serving connection gives it.
      const record = await view.getDelivery("d-1");
      expect(Buffer.isBuffer(record?.body)).toBe(true);
      expect(record?.body.toString()).toBe('{"id":"d-1"}');
      expect((await view.listDeliveries({ limit: 10 })).map((d) => d.id)).toEqual(["d-3", "d-2", "d-1"]);
      expect(await view.listDeliveries({ limit: 10 })).toEqual(await store.listDeliveries({ limit: 10 }));
      expect(await view.getTask("1")).toEqual(await store.getTask("1"));
      expect(await view.getTask("not-a-task")).toBeNull();
      const window = { since: 0, until: Date.parse("2027-01-01T00:00:00Z") };
      expect(await view.readKpiCounts!(window)).toEqual(await store.readKpiCounts!(window));
      expect((await view.readQueueStats!(Date.now())).ready).toBe(3);
      expect(await view.readRedeliveries!(["d-1"])).toEqual(new Map());
      expect(store.readThreadStats).toMatchObject({ answered: 11, fellBack: 0 });
      // Writes through the view are the store's own: a replay reads on the thread, re-queues here.
      expect(view.accept).toBe(store.accept);
      expect(view.replayTask).toBe(store.replayTask);
    } finally {
      await store.close();
    }
  });

  it("checks a delivery's payload on the thread when asked for it as text, and sends no body back then", async () => {
    const store = createSqliteStore(freshFile(), { readThread: true, checkpointThread: true });
    try {
      await store.migrate();
      const view = store.adminView!();
      const indented = { ...delivery("d-lines"), body: Buffer.from('{\n  "id": "d-lines",\n  "n": [1,\n 2]\n}') };
      const form = { ...delivery("d-form"), body: Buffer.from(`payload=${encodeURIComponent('{"id":"d-form"}')}`) };
      const notObject = { ...delivery("d-array"), body: Buffer.from("[1,2]") };
      for (const d of [indented, form, notObject]) await store.accept(d, [task], WINDOW);

      const lines = await view.getDelivery("d-lines", { payloadText: true });
      expect(lines).toMatchObject({ id: "d-lines", payloadText: '{"id": "d-lines","n": [1,2]}' });
      expect(lines?.body.length).toBe(0);
      expect((await view.getDelivery("d-form", { payloadText: true }))?.payloadText).toBe('{"id":"d-form"}');
      expect((await view.getDelivery("d-array", { payloadText: true }))?.payloadText).toBeNull();
      // Asked without the payload: a delivery with tasks comes without its body (nothing reads it).
      expect((await view.getDelivery("d-lines", { payloadText: false }))?.body.length).toBe(0);
      // Not asked: the body as stored, no text.
      const plain = await view.getDelivery("d-lines");
      expect(plain?.payloadText).toBeUndefined();
      expect(plain?.body.toString()).toBe(indented.body.toString());
      // The document the admin listener prints is the same either way, with the payload and without.
      for (const id of ["d-lines", "d-form", "d-array"]) {
        for (const payload of [true, false]) {
          const viaThread = await loadDeliveryDetail(view, id, { payload });
          expect(viaThread).not.toBeNull();
          expect(stringifyDelivery(viaThread!)).toBe(stringifyDelivery((await loadDeliveryDetail(store, id, { payload }))!));
        }
      }
      expect(store.readThreadStats).toMatchObject({ fellBack: 0 });
    } finally {
      await store.close();
    }
  });

  it("passes on what SQLite says when a read fails on the thread", async () => {
    // Not migrated: the thread's statements name tables that are not there.
    const store = createSqliteStore(freshFile(), { readThread: true, checkpointThread: true });
    try {
      await expect(store.adminView!().listDeliveries({ limit: 1 })).rejects.toMatchObject({ message: expect.stringContaining("no such table"), code: "SQLITE_ERROR" });
      expect(store.readThreadStats).toMatchObject({ answered: 1, fellBack: 0 });
    } finally {
      await store.close();
    }
  });

  it("is the store itself without a read thread, and the thread's connection closes with the store", async () => {
    const plain = createSqliteStore(freshFile(), {});
    await plain.migrate();
    expect(plain.adminView!()).toBe(plain);
    expect(plain.readThreadStats).toBeNull();
    await plain.close();

    const file = freshFile();
    const store = createSqliteStore(file, { readThread: true, checkpointThread: true });
    await store.migrate();
    await store.accept(delivery("d-1"), [task], WINDOW);
    expect(await store.adminView!().listTasks({ limit: 5 })).toHaveLength(1);
    await store.close();
    // Both connections gone: the last to close removed the WAL, and a new writer opens the file alone.
    const again = createSqliteStore(file, { exclusive: true });
    await again.migrate();
    expect(await again.listTasks({ limit: 5 })).toHaveLength(1);
    await again.close();
  });
});

/** A migrated store, without threads, holding delivery d-1 and its task. */
async function storeWithOneDelivery() {
  const file = freshFile();
  const store = createSqliteStore(file, {});
  await store.migrate();
  await store.accept(delivery("d-1"), [task], WINDOW);
  return { file, store };
}

describe("reads on the store's thread", () => {
  const answers: SqliteReads = {
    getDelivery: () => null,
    listDeliveries: () => [],
    getTask: () => null,
    listTasks: () => [],
    listGithubActions: () => [],
    readKpiCounts: () => {
      throw new Error("not read here");
    },
    readQueueStats: () => ({ ready: 7 }) as never,
    readRedeliveries: () => new Map(),
    countRedeliveries: () => ({}) as never,
  };

  it("finds the thread's code beside the compiled code, and the build's copy when the sources run", () => {
    expect(threadReadsEntry("file:///opt/switchyard/dist/store/sqlite/read-offload.js")).toBe("/opt/switchyard/dist/store/sqlite/thread-reads.js");
    expect(threadReadsEntry("file:///w/p/src/store/sqlite/read-offload.ts")).toBe("/w/p/dist/store/sqlite/thread-reads.js");
    const said: string[] = [];
    expect(availableThreadReadsEntry((m) => said.push(m), path.join(dir, "missing.js"))).toBeNull();
    expect(said).toEqual([expect.stringContaining("the code of the SQLite store's read thread is missing")]);
    expect(availableThreadReadsEntry(undefined, threadReadsEntry())).toBe(threadReadsEntry());
  });

  it("reads on the serving connection, saying so once, when the thread cannot answer", async () => {
    const said: string[] = [];
    const reads = offloadReads({ read: async () => ({ answered: false, why: "the thread stopped" }) }, answers, (m) => said.push(m));
    expect(await reads.run("readQueueStats", [0])).toEqual({ ready: 7 });
    expect(await reads.run("readQueueStats", [0])).toEqual({ ready: 7 });
    expect(said).toEqual(["the SQLite store's thread cannot answer reads (the thread stopped): the admin listener's reads run on the serving connection"]);
    expect(reads.stats).toMatchObject({ answered: 0, fellBack: 2 });
  });

  it("answers a read the thread took with it on the serving connection, and every read after", async () => {
    const { file, store } = await storeWithOneDelivery();
    // A thread whose read side ends the thread at its first read.
    const dying = path.join(dir, "dying.mjs");
    writeFileSync(dying, "export function openThreadReads() { return { answer() { process.exit(3); }, close() {} }; }\n");
    const said: string[] = [];
    const checkpointer = startCheckpointer(store.db, file, { readsEntry: dying, onError: (m) => said.push(m) });
    const reads = offloadReads(checkpointer, sqliteReads(() => prepareReadOps(store.db)), (m) => said.push(m));
    expect((await reads.run("listDeliveries", [{ limit: 5 }])).map((d) => d.id)).toEqual(["d-1"]);
    expect((await reads.run("getTask", ["1"]))?.agent).toBe("IssueAgent");
    expect(reads.stats).toMatchObject({ answered: 0, fellBack: 2 });
    expect(said.at(-1)).toContain("the SQLite store's thread cannot answer reads");
    await checkpointer.close();
    await store.close();
  });

  it("answers a read sent before close on the thread, and one sent after it elsewhere, without calling either trouble", async () => {
    const { file, store } = await storeWithOneDelivery();
    const said: string[] = [];
    const checkpointer = startCheckpointer(store.db, file, { readsEntry: threadReadsEntry() });
    const reads = offloadReads(checkpointer, sqliteReads(() => prepareReadOps(store.db)), (m) => said.push(m));
    // Sent while the thread still imports its read code: answered there, before it closes.
    const before = reads.run("listDeliveries", [{ limit: 5 }]);
    const closing = checkpointer.close();
    const after = reads.run("listDeliveries", [{ limit: 5 }]);
    expect((await before).map((d) => d.id)).toEqual(["d-1"]);
    expect((await after).map((d) => d.id)).toEqual(["d-1"]);
    await closing;
    expect(reads.stats).toMatchObject({ answered: 1, fellBack: 1 });
    expect(said).toEqual([]);
    await store.close();
  });

  it("tries to open its read side again at the next read when opening failed", async () => {
    const { file, store } = await storeWithOneDelivery();
    // Fails the first open (as a passing EMFILE would), then opens the real read side.
    const flaky = path.join(dir, "flaky.mjs");
    writeFileSync(
      flaky,
      `import { openThreadReads as real } from ${JSON.stringify(pathToFileURL(threadReadsEntry()).href)};\nlet opens = 0;\nexport function openThreadReads(file) { if (++opens === 1) throw new Error("EMFILE: too many open files"); return real(file); }\n`,
    );
    const said: string[] = [];
    const checkpointer = startCheckpointer(store.db, file, { readsEntry: flaky });
    const reads = offloadReads(checkpointer, sqliteReads(() => prepareReadOps(store.db)), (m) => said.push(m));
    expect((await reads.run("listDeliveries", [{ limit: 5 }])).map((d) => d.id)).toEqual(["d-1"]);
    expect(reads.stats).toMatchObject({ answered: 0, fellBack: 1 });
    expect(said).toEqual(["the SQLite store's thread cannot answer reads (EMFILE: too many open files): the admin listener's reads run on the serving connection"]);
    expect((await reads.run("listDeliveries", [{ limit: 5 }])).map((d) => d.id)).toEqual(["d-1"]);
    expect(reads.stats).toMatchObject({ answered: 1, fellBack: 1 });
    await checkpointer.close();
    await store.close();
  });

  it("refuses reads as unavailable when the thread was started without them", async () => {
    const file = freshFile();
    const store = createSqliteStore(file, {});
    await store.migrate();
    const checkpointer = startCheckpointer(store.db, file);
    expect(await checkpointer.read("listDeliveries", [{ limit: 1 }])).toEqual({ answered: false, why: "this thread takes no reads" });
    await checkpointer.close();
    await store.close();
  });
});

describe("the reads waiting for the store's thread", () => {
  const fallback = {} as SqliteReads;
  /** A thread that answers each read when told to, in the order they were sent. */
  function heldThread() {
    const sent: { read: string; answer: (value: unknown) => void }[] = [];
    const thread = {
      read: (read: string) => new Promise<ThreadReadOutcome>((resolve) => sent.push({ read, answer: (value) => resolve({ answered: true, value }) })),
    };
    const answerNext = async () => {
      sent.shift()!.answer("ok");
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { thread, sent, answerNext };
  }

  it("sends one read at a time, the short ones before those that may take long", async () => {
    const { thread, sent, answerNext } = heldThread();
    const reads = offloadReads(thread, fallback);
    const done = [reads.run("readKpiCounts", [{ since: 0, until: 1 }]), reads.run("listDeliveries", [{ limit: 5 }]), reads.run("getTask", ["1"]), reads.run("readQueueStats", [0])];
    // The KPI read went first, alone; the others wait here.
    expect(sent.map((s) => s.read)).toEqual(["readKpiCounts"]);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      order.push(sent[0]!.read);
      await answerNext();
    }
    expect(order).toEqual(["readKpiCounts", "getTask", "readQueueStats", "listDeliveries"]);
    expect(await Promise.all(done)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(reads.stats).toMatchObject({ answered: 4, dropped: 0, refused: 0 });
  });

  it("refuses a read when MAX_WAITING_READS wait already, and drops those whose caller went away", async () => {
    const { thread, answerNext } = heldThread();
    const reads = offloadReads(thread, fallback);
    const first = reads.run("getTask", ["0"]);
    const gone = new AbortController();
    const abandoned = whileWanted(gone.signal, () => reads.run("readKpiCounts", [{ since: 0, until: 1 }]));
    const waiting = Array.from({ length: MAX_WAITING_READS - 1 }, (_, i) => reads.run("getTask", [String(i + 1)]));
    await expect(reads.run("getTask", ["x"])).rejects.toBeInstanceOf(ReadsRefused);
    gone.abort();
    await expect(abandoned).rejects.toBeInstanceOf(ReadDropped);
    // Its place is free again; a read for a caller already gone is not even queued.
    const another = reads.run("getTask", ["y"]);
    await expect(whileWanted(gone.signal, () => reads.run("getTask", ["z"]))).rejects.toBeInstanceOf(ReadDropped);
    for (let i = 0; i < MAX_WAITING_READS + 1; i++) await answerNext();
    expect(await Promise.all([first, ...waiting, another])).toHaveLength(MAX_WAITING_READS + 1);
    expect(reads.stats).toEqual({ answered: MAX_WAITING_READS + 1, fellBack: 0, dropped: 2, refused: 1 });
  });

  it("refuses the reads still waiting when the store closes, and lets the one under way finish", async () => {
    const { thread, answerNext } = heldThread();
    const reads = offloadReads(thread, fallback);
    const underWay = reads.run("getTask", ["1"]);
    const waiting = reads.run("getTask", ["2"]);
    reads.close();
    await expect(waiting).rejects.toMatchObject({ why: "closing" });
    await expect(reads.run("getTask", ["3"])).rejects.toMatchObject({ why: "closing" });
    await answerNext();
    expect(await underWay).toBe("ok");
  });
});
