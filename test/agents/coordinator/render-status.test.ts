import { describe, expect, it } from "vitest";
import type { AgentStore, SubjectDelivery } from "../../../src/agents/agent.js";
import { renderHistory } from "../../../src/agents/builtin/coordinator/render-status.js";

const LEAKY = "connect postgres://admin:S3cr3tPass@10.0.0.5/prod failed | using ghp_abcdefghijklmnopqrstuvwxyz0123456789";

function storeWith(deliveries: SubjectDelivery[]): AgentStore {
  return { history: async () => deliveries } as unknown as AgentStore;
}

describe("renderHistory (/agent status)", () => {
  it("points to a failed task's details instead of quoting its error: the reply is public", async () => {
    const task = { id: "7", delivery: "d-1", rule: "r", agent: "ReviewAgent", action: "a", priority: "high", idempotencyKey: null, status: "dead", attempts: 4, runAt: 0, lastError: LEAKY, createdAt: 0, updatedAt: 0 } as const;
    const table = await renderHistory(storeWith([{ id: "d-1", event: "pull_request", action: "opened", repository: "octo/hello", receivedAt: 0, ackMs: 1, status: "failed", tasks: [task] }]), "octo/hello", 1);
    expect(table).toContain("ReviewAgent: dead (4 attempts) — details: `switchyard tasks show 7`");
    expect(table).not.toMatch(/S3cr3tPass|ghp_|10\.0\.0\.5|postgres/);
  });
});
