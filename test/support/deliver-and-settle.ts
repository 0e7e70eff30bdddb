import { expect } from "vitest";
import type { TaskRecord } from "../../src/store/store.js";
import type { TestServer } from "./start-test-server.js";
import { waitFor } from "./wait-for.js";

const FINAL = ["succeeded", "dead", "skipped"];

/**
 * POSTs a signed delivery, expects it accepted (202), and waits until every task it routed
 * has finished (succeeded, dead or skipped). Returns the tasks in routing order.
 */
export async function deliverAndSettle(server: TestServer, event: string, payload: unknown, timeoutMs = 20_000): Promise<TaskRecord[]> {
  const res = await server.deliver(event, payload);
  expect(res.status).toBe(202);
  const ids = (res.body.routed as { task: string }[]).map((r) => r.task);
  return Promise.all(
    ids.map((id) =>
      waitFor(async () => {
        const task = await server.store.getTask(id);
        return task && FINAL.includes(task.status) ? task : null;
      }, timeoutMs),
    ),
  );
}
