import type { NewDelivery } from "../../src/store/store.js";

/** A delivery to accept straight into a store: an issues.opened whose body is just its id. */
export function newDelivery(id: string): NewDelivery {
  return {
    id,
    signature: `sha256=${id}`,
    event: "issues",
    action: "opened",
    repository: "octo/hello",
    installation: null,
    headers: {},
    body: Buffer.from(`{"id":"${id}"}`),
    receivedAt: Date.parse("2026-01-01T00:00:00Z"),
  };
}
