import { describe, expect, it } from "vitest";
import { createKeyedQueue } from "../../../src/agents/builtin/guardian/create-keyed-queue.js";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("createKeyedQueue", () => {
  it("runs tasks of one key one after another and of different keys side by side", async () => {
    const serialize = createKeyedQueue();
    const gate = deferred();
    const events: string[] = [];
    const first = serialize("a", async () => {
      events.push("a1 start");
      await gate.promise;
      events.push("a1 end");
    });
    const second = serialize("a", async () => void events.push("a2"));
    const other = serialize("b", async () => void events.push("b1"));
    await other;
    expect(events).toEqual(["a1 start", "b1"]);
    gate.resolve();
    await Promise.all([first, second]);
    expect(events).toEqual(["a1 start", "b1", "a1 end", "a2"]);
  });

  it("runs the next task of a key after one fails, and passes each its own result", async () => {
    const serialize = createKeyedQueue();
    const failed = serialize("a", async () => {
      throw new Error("boom");
    });
    const next = serialize("a", async () => 42);
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe(42);
  });
});
