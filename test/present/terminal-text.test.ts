import { describe, expect, it } from "vitest";
import { renderDeliveryDetail, renderTaskDetail } from "../../src/present/render-detail.js";
import type { DeliveryDetail, TaskDetailView } from "../../src/present/load-detail.js";
import { terminalText } from "../../src/present/terminal-text.js";
import { RAW_CONTROL } from "../support/raw-control.js";

describe("terminalText", () => {
  it("writes out C0 controls but LF and tab, DEL, C1 controls and bidi controls as \\u and four hex digits", () => {
    expect(terminalText("\x1b[31mRED\x1b[0m")).toBe("\\u001b[31mRED\\u001b[0m");
    expect(terminalText("\x00\x07\x08\x0b\x0c\x1f\x7f\x80\x85\x9b\x9f")).toBe("\\u0000\\u0007\\u0008\\u000b\\u000c\\u001f\\u007f\\u0080\\u0085\\u009b\\u009f");
    expect(terminalText("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")).toBe("\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069");
  });

  it("keeps line feeds and tabs; a CRLF is a line end, a lone CR is written out", () => {
    expect(terminalText("a\nb\tc")).toBe("a\nb\tc");
    expect(terminalText("a\r\nb\rc")).toBe("a\nb\\u000dc");
  });

  it("oneLine writes line feeds and tabs out too", () => {
    expect(terminalText("a\r\nb\tc\nd", { oneLine: true })).toBe("a\\u000ab\\u0009c\\u000ad");
  });

  it("leaves every other character as it is: other scripts, emoji, bidi marks, U+00A0 and up", () => {
    const text = "café ünïcode 日本語 עברית العربية 🚀 \u200f\u00a0\u00ff ~ \\u001b";
    expect(terminalText(text)).toBe(text);
  });

  it("never leaves a raw control character, whatever the input", () => {
    let all = "";
    for (let c = 0; c < 0x2100; c++) all += String.fromCharCode(c);
    expect(terminalText(all)).not.toMatch(RAW_CONTROL);
    expect(terminalText(all, { oneLine: true })).not.toMatch(/[\n\t]/);
  });
});

const HOSTILE = "\x1b[31mRED\x1b[0m \x9b2J \u202eevil\u202c";
const SHOWN = "\\u001b[31mRED\\u001b[0m \\u009b2J \\u202eevil\\u202c";

function hostileTask(): TaskDetailView {
  return {
    id: "7",
    delivery: "d-1",
    rule: "issue-opened",
    agent: "IssueAgent",
    action: `Triage ${HOSTILE}`,
    priority: "high",
    idempotency_key: `key ${HOSTILE}`,
    status: "dead",
    attempts: 1,
    run_at: "2024-01-01T00:00:00.000Z",
    last_error: `failed: ${HOSTILE}\nsecond line`,
    created_at: "2024-01-01T00:00:00.000Z",
    updated_at: "2024-01-01T00:00:00.000Z",
    attempt_log: [
      { task: "7", n: 1, agent: "IssueAgent", started_at: "2024-01-01T00:00:00.000Z", finished_at: "2024-01-01T00:00:01.000Z", outcome: "permanent", error: `failed: ${HOSTILE}`, retry_delay_ms: null, output: `out ${HOSTILE}\r\nend` },
    ],
    github_writes: [
      { id: "1", agent: "IssueAgent", task: "7", method: "POST", route: "/repos/octo/hello/issues/1/comments", body: { body: `multi\n${HOSTILE}`, title: HOSTILE, labels: [HOSTILE] }, dry_run: true, at: "2024-01-01T00:00:00.000Z" },
    ],
    failed_writes: [{ method: "PATCH", route: `/repos/octo/${HOSTILE}`, attempt: 1, see: "error" }],
  } as TaskDetailView;
}

describe("tasks show and deliveries show text", () => {
  it("writes out what the agent, the event and GitHub wrote, field by field", () => {
    const text = renderTaskDetail(hostileTask());
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain(`  action: Triage ${SHOWN}\n`);
    expect(text).toContain(`  idempotency key: key ${SHOWN}\n`);
    // A multi-line error goes under its label, indented, like output.
    expect(text).toContain(`  last error:\n    failed: ${SHOWN}\n    second line\n`);
    expect(text).toContain(`    error: failed: ${SHOWN}\n`);
    expect(text).toContain(`    output:\n      out ${SHOWN}\n      end\n`);
    expect(text).toContain(`      body:\n        multi\n        ${SHOWN}\n`);
    expect(text).toContain(`      title: ${SHOWN}\n`);
    // JSON escapes the C0 controls; the C1 and bidi ones are written out here.
    expect(text).toContain(`      labels: ["\\u001b[31mRED\\u001b[0m \\u009b2J \\u202eevil\\u202c"]\n`);
    expect(text).toContain(`    PATCH /repos/octo/${SHOWN}  (failed in attempt 1, not recorded: see its error)\n`);
  });

  it("keeps a header, a repository and an event on their lines", () => {
    const detail = {
      delivery: "d-1",
      event: "issues",
      action: "opened\n::error::x",
      repository: `octo/${HOSTILE}`,
      received_at: "2024-01-01T00:00:00.000Z",
      ack_ms: 3,
      status: "failed",
      signature: "sha256=…",
      installation: null,
      headers: { "user-agent": `GitHub-Hookshot \x9b2J`, "x-github-event": "issues" },
      decision: { rule: "issue-opened", agent: "IssueAgent", priority: "high", action: `Triage ${HOSTILE}` },
      tasks: [hostileTask()],
      payload: null,
    } as unknown as DeliveryDetail;
    const text = renderDeliveryDetail(detail);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain("  event: issues.opened\\u000a::error::x\n");
    expect(text).toContain(`  repository: octo/${SHOWN}\n`);
    expect(text).toContain("    user-agent: GitHub-Hookshot \\u009b2J\n");
    expect(text).toContain(`  decision: issue-opened → IssueAgent (high): Triage ${SHOWN}\n`);
    expect(text.split("\n").some((line) => line.startsWith("::"))).toBe(false);
  });
});
