import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { runStoreContract } from "./store-contract.js";

runStoreContract("memory", async ({ clock }) => createMemoryStore({ clock }));

describe("createMemoryStore", () => {
  it("is one process's store: exclusive, kind memory, nothing to migrate", async () => {
    const store = createMemoryStore();
    expect(store.kind).toBe("memory");
    expect(store.exclusive).toBe(true);
    await store.migrate();
    await store.close();
  });

  it("hands out copies: editing a record read back changes nothing stored", async () => {
    const store = createMemoryStore();
    const body = Buffer.from('{"a":1}');
    await store.accept(
      { id: "d1", signature: null, event: "issues", action: "opened", repository: "octo/a", installation: null, headers: { h: "1" }, body, receivedAt: 0 },
      [{ rule: "r", agent: "IssueAgent", action: "x", priority: "high", idempotencyKey: null }],
      { replayWindowMs: 0 },
    );
    body.write("X");
    const first = await store.getDelivery("d1");
    first!.headers.h = "changed";
    first!.body.write("Y");
    first!.tasks[0]!.status = "dead";
    const again = await store.getDelivery("d1");
    expect(again!.headers).toEqual({ h: "1" });
    expect(again!.body.toString()).toBe('{"a":1}');
    expect(again!.tasks[0]!.status).toBe("ready");
    await store.close();
  });
});
