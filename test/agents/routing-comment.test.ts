import { describe, expect, it } from "vitest";
import { deliveryMarker, renderRoutingComment, routingRow, ROUTING_MARKER } from "../../src/agents/builtin/routing-comment.js";
import { OWN_MARKER } from "../../src/commands/parse-commands.js";
import type { ClaimedTask } from "../../src/store/store.js";

const task = (id: string) => ({ id, agent: "IssueAgent", rule: "issue-opened" }) as ClaimedTask;
const at = new Date("2026-11-28T10:00:00Z");

describe("routing comment", () => {
  it("carries both markers and one row per task", () => {
    const body = renderRoutingComment(null, routingRow(task("1"), { status: "succeeded" }, "issues.opened", at));
    expect(body.startsWith(OWN_MARKER)).toBe(true);
    expect(body).toContain(ROUTING_MARKER);
    expect(body).toContain("| 2026-11-28 10:00 | issues.opened | IssueAgent (issue-opened) | succeeded <!-- task:1 --> |");
  });

  it("appends new tasks and replaces the row of the same task", () => {
    let body = renderRoutingComment(null, routingRow(task("1"), { status: "dead", outcome: "permanent", error: "HTTP 404 | Not Found" }, "issues.opened", at));
    expect(body).toContain("dead (details: `switchyard tasks show 1`) <!-- task:1 -->");
    body = renderRoutingComment(body, routingRow(task("2"), { status: "succeeded" }, "issues.assigned", at));
    body = renderRoutingComment(body, routingRow(task("1"), { status: "succeeded" }, "issues.opened", at));
    const rows = body.split("\n").filter((l) => l.includes("<!-- task:"));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain("succeeded <!-- task:1 -->");
  });

  it("a dead row carries no error text: the comment is public, the error may hold secrets", () => {
    const error = "HTTP 400 from 10.0.0.5:9521: connect postgres://admin:S3cr3tPass@10.0.0.5/prod failed; key ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const body = renderRoutingComment(null, routingRow(task("29"), { status: "dead", outcome: "permanent", error }, "issues.opened", at));
    expect(body).toContain("| IssueAgent (issue-opened) | dead (details: `switchyard tasks show 29`) <!-- task:29 --> |");
    expect(body).not.toMatch(/S3cr3tPass|ghp_|10\.0\.0\.5|HTTP 400/);
  });

  it("a delivery's comment (comments: every) carries its own marker, not the sticky one", () => {
    const marker = deliveryMarker("d-1");
    let body = renderRoutingComment(null, routingRow(task("1"), { status: "succeeded" }, "issue_comment.created", at), marker);
    body = renderRoutingComment(body, routingRow(task("2"), { status: "succeeded" }, "issue_comment.created", at), marker);
    expect(body).toContain(marker);
    expect(body).not.toContain(ROUTING_MARKER);
    expect(body.split("\n").filter((l) => l.includes("<!-- task:"))).toHaveLength(2);
  });

  it("keeps the newest 20 rows", () => {
    let body: string | null = null;
    for (let i = 0; i < 25; i++) body = renderRoutingComment(body, routingRow(task(String(i)), { status: "succeeded" }, "push", at));
    const rows = body!.split("\n").filter((l) => l.includes("<!-- task:"));
    expect(rows).toHaveLength(20);
    expect(rows[0]).toContain("task:5 ");
  });
});
