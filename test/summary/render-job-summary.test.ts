import { describe, expect, it } from "vitest";
import type { InlineRun } from "../../src/app/run-inline.js";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import type { RoutingDecision } from "../../src/routing/decide.js";
import { codeBlock, codeSpan, escapeMarkdown, quoteText } from "../../src/summary/escape-markdown.js";
import { errorAnnotation } from "../../src/summary/error-annotation.js";
import { renderJobSummary } from "../../src/summary/render-job-summary.js";
import { asJson, exampleOf } from "../support/examples.js";
import { splitCodeSpans } from "../support/markdown-code-spans.js";
import { RAW_CONTROL } from "../support/raw-control.js";

const HOSTILE = 'x | <img src=x onerror=alert(1)> [link](https://evil.example) @octocat **bold** `code`\n# heading';

function decision(): RoutingDecision {
  const rule = { rule: "issue-opened", agent: "IssueAgent", priority: "high" as const, action: "Analyze and auto-label" };
  return { matched: true, decision: rule, decisions: [rule], explanation: [] };
}

function run(overrides: Partial<InlineRun> = {}): InlineRun {
  const task = {
    id: "1",
    delivery: "actions-run-1",
    rule: "issue-opened",
    agent: "IssueAgent",
    action: "Analyze and auto-label",
    priority: "high" as const,
    idempotencyKey: null,
    status: "dead" as const,
    attempts: 1,
    runAt: 0,
    lastError: HOSTILE,
    createdAt: 0,
    updatedAt: 0,
    attemptLog: [{ task: "1", n: 1, startedAt: 0, finishedAt: 1, outcome: "permanent", error: HOSTILE, retryDelayMs: null, output: null, agent: "IssueAgent" }],
  };
  const write = { agent: "IssueAgent", task: "1", method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/comments", body: { body: "```\n</details><script>alert(1)</script>\n````" }, dryRun: false, at: 0 };
  return { delivery: "actions-run-1", tasks: [task], writes: [write], ...overrides };
}

/** The summary's lines outside fenced code blocks: what GitHub renders as Markdown. */
function outsideFences(markdown: string): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const marker = /^\s*(`{3,})/.exec(line)?.[1];
    if (fence === null && marker) fence = marker;
    else if (fence !== null && marker && marker.length >= fence.length && line.trim() === marker) fence = null;
    else if (fence === null) out.push(line);
  }
  expect(fence).toBeNull();
  return out;
}

describe("renderJobSummary", () => {
  it("escapes what the event and agents wrote, outside and inside code blocks", () => {
    const event = normalizeEvent("issues", { ...exampleOf("issues", "opened") });
    const summary = renderJobSummary({ event, decision: decision(), run: run() });
    const markdown = outsideFences(summary).join("\n");
    expect(markdown).not.toMatch(/<img|<script|\]\(|(^|[^\\])@octocat|(^|[^\\])\*\*bold/);
    // The error stays in its table cell: its pipe is escaped and its newline is gone.
    expect(markdown).toContain("x \\| &lt;img src=x onerror=alert\\(1\\)&gt;");
    expect(markdown).not.toMatch(/^# heading/m);
    // A body holding fences of its own cannot close the block it is shown in.
    expect(summary).toContain("`````json");
    expect(summary).toContain("IssueAgent wrote ` POST /repos/{owner}/{repo}/issues/{issue_number}/comments `");
  });

  it("shows a write as tasks show does: the route filled in from the request, its parameters out of the body", () => {
    const event = normalizeEvent("issues", { ...exampleOf("issues", "opened") });
    const labels = { agent: "IssueAgent", task: "1", method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/labels", body: { owner: "Codertocat", repo: "Hello-World", issue_number: 1, labels: ["type:bug"] }, dryRun: true, at: 0 };
    const summary = renderJobSummary({ event, decision: decision(), run: run({ writes: [labels] }) });
    expect(summary).toContain("IssueAgent would have written ` POST /repos/Codertocat/Hello-World/issues/1/labels `");
    const body = /```json\n([\s\S]*?)\n\s*```/.exec(summary)![1]!.replace(/^ {3}/gm, "");
    expect(JSON.parse(body)).toEqual({ labels: ["type:bug"] });
  });

  it("keeps the summary under GitHub's 1 MiB counted in bytes, with text of several bytes a character", () => {
    const event = normalizeEvent("issues", { ...exampleOf("issues", "opened") });
    // Many writes of Japanese text: each body is within its own cap, the whole far over 1 MiB in UTF-8.
    const text = "日本語の出力".repeat(2_000);
    const writes = Array.from({ length: 60 }, (_, i) => ({ agent: "IssueAgent", task: "1", method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/comments", body: { body: `${i} ${text}` }, dryRun: true, at: 0 }));
    const summary = renderJobSummary({ event, decision: decision(), run: run({ writes }) });
    expect(Buffer.byteLength(summary)).toBeLessThan(1024 * 1024);
    expect(summary).toMatch(/… \(summary cut at 900000 bytes\)\n$/);
    expect(summary).not.toContain("\uFFFD");
  });

  it("says plainly when nothing ran", () => {
    const event = normalizeEvent("issues", { ...exampleOf("issues", "opened") });
    expect(renderJobSummary({ event, decision: decision(), run: null, decideOnly: true })).toContain("Decided only (`--dry-run`): no agent ran.");
    const none: RoutingDecision = { matched: false, decision: null, decisions: [], explanation: [] };
    expect(renderJobSummary({ event, decision: none, run: null })).toContain("no rule matched; nothing ran");
  });
});

describe("escapeMarkdown and codeBlock", () => {
  it("turn markup into text", () => {
    expect(escapeMarkdown("a|b <i>c</i> @d\ne")).toBe("a\\|b &lt;i&gt;c&lt;/i&gt; @&#8203;d e");
    // GitHub links mentions and references after Markdown, where a backslash is gone.
    expect(escapeMarkdown("@acme/everyone fixes #12 and octo/repo#3")).toBe("@&#8203;acme/everyone fixes #&#8203;12 and octo/repo#&#8203;3");
    expect(codeBlock("``` inside")).toBe("````\n``` inside\n````");
  });

  it("write control characters out: the page shows \\u001b, never the byte", () => {
    expect(escapeMarkdown("\x1b[31mRED\r\n\u202eevil\x9b")).toBe("\\\\u001b\\[31mRED \\\\u202eevil\\\\u009b");
    expect(codeBlock("{\"t\": \"\u202eevil\x85\"}")).toBe("```\n{\"t\": \"\\u202eevil\\u0085\"}\n```");
  });
});

describe("codeSpan", () => {
  // Label names and the like, chosen by whoever may create them.
  const texts = ["state:done", "a`b", "``@team``", "`[x](http://e)`", "x ` y `` z", "`", " padded ", "@team [x](http://e) <img src=x>"];
  for (const text of texts) {
    it(`holds ${JSON.stringify(text)} whole: nothing of it outside the span`, () => {
      expect(splitCodeSpans(codeSpan(text))).toEqual({ spans: [text], outside: "" });
    });
  }

  it("writes control characters out and line breaks as spaces", () => {
    expect(codeSpan("a\nb\u202e")).toBe("` a b\\u202e `");
  });
});

describe("quoteText", () => {
  it("quotes each line escaped, keeping blank lines, and indents with no-break spaces so no line becomes code", () => {
    expect(quoteText("Hi @team\n\n    <b>x</b>\r\n\tdone.")).toBe("> Hi @&#8203;team\n>\n> &#160;&#160;&#160;&#160;&lt;b&gt;x&lt;/b&gt;\n> &#160;&#160;&#160;&#160;done\\.");
  });

  it("leaves no hidden marker, fence, image or link to read as one", () => {
    const quoted = quoteText("<!-- switchyard:converted-from:D_1 -->\n```\n![x](https://e/i.png) [y](https://e)");
    expect(quoted).not.toMatch(/<!--|```|!\[|\]\(/);
    expect(quoted).toContain("&lt;\\!\\-\\- switchyard\\:converted\\-from\\:D\\_1 \\-\\-&gt;");
  });
});

describe("renderJobSummary and control characters", () => {
  it("writes them out wherever the event or an agent put them: heading, cells, attempts, bodies", () => {
    const CONTROLS = "\x1b[31mRED\x1b[0m \x07\x9b2J \u202eevil\u202c";
    // normalizeEvent takes such a name as absent; the summary escapes whatever it is given all the same.
    const event = { ...normalizeEvent("issues", asJson(exampleOf("issues", "opened"))), repository: `octo/he\x1b[5mllo` };
    const base = run();
    const task = { ...base.tasks[0]!, lastError: CONTROLS, attemptLog: [{ ...base.tasks[0]!.attemptLog[0]!, error: CONTROLS, output: `out ${CONTROLS}` }] };
    const write = { ...base.writes[0]!, route: `/repos/{owner}/\u202e{repo}`, body: { body: `echo ${CONTROLS}` } };
    const summary = renderJobSummary({ event, decision: decision(), run: { ...base, tasks: [task], writes: [write] } });
    expect(summary).not.toMatch(RAW_CONTROL);
    expect(summary).toContain("octo/he\\\\u001b\\[5mllo");
    expect(summary).toContain("| \\\\u001b\\[31mRED\\\\u001b\\[0m \\\\u0007\\\\u009b2J \\\\u202eevil\\\\u202c |");
    expect(summary).toContain("out \\\\u001b\\[31mRED");
    // A body is JSON: its C0 controls were escaped by JSON already, its bidi controls now.
    expect(summary).toContain('"body": "echo \\u001b[31mRED\\u001b[0m \\u0007\\u009b2J \\u202eevil\\u202c"');
    expect(summary).toContain("` POST /repos/{owner}/\\u202e{repo} `");
  });
});

describe("renderJobSummary and an agent's output", () => {
  it("keeps output of several lines as printed, in a code block under its attempt; a one-line output stays on the attempt's line", () => {
    const base = run();
    const report = "checked 3 files\n- a.ts: ok\n- b.ts: `any` used\n```\nnot a fence\n";
    const task = {
      ...base.tasks[0]!,
      attemptLog: [
        { ...base.tasks[0]!.attemptLog[0]!, error: "exit code 2", output: report },
        { ...base.tasks[0]!.attemptLog[0]!, n: 2, outcome: "succeeded", error: null, output: "all good\n" },
      ],
    };
    const summary = renderJobSummary({ event: normalizeEvent("issues", asJson(exampleOf("issues", "opened"))), decision: decision(), run: { ...base, tasks: [task] } });
    expect(summary).toContain(["  - attempt 1: permanent — exit code 2", "", "    ````", "    checked 3 files", "    - a.ts: ok", "    - b.ts: `any` used", "    ```", "    not a fence", "    ````", ""].join("\n"));
    expect(summary).toContain("  - attempt 2: succeeded — all good\n");
  });
});

describe("renderJobSummary and secrets", () => {
  it("masks GitHub tokens and URL credentials in an attempt's error and output: a summary is public with its repository", () => {
    const base = run();
    const leaky = "connect postgres://admin:S3cr3tPass@10.0.0.5/prod with ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const task = { ...base.tasks[0]!, lastError: leaky, attemptLog: [{ ...base.tasks[0]!.attemptLog[0]!, error: leaky, output: `out ${leaky}` }] };
    const summary = renderJobSummary({ event: normalizeEvent("issues", asJson(exampleOf("issues", "opened"))), decision: decision(), run: { ...base, tasks: [task] } });
    // Markdown-escaped as every text cell is: postgres\://\*\*\*@&#8203;10…
    expect(summary).toMatch(/postgres\\:\/\/(\\\*){3}@&#8203;10/);
    expect(summary).not.toMatch(/S3cr3tPass|ghp_abc/);
  });
});

describe("errorAnnotation", () => {
  it("keeps a message on one command line, whatever it holds", () => {
    // A CRLF is a line end like LF (terminalText); either way the next command cannot start.
    expect(errorAnnotation("a: b, c", "line 1\nline 2 100%\r\n::error::forged")).toBe("::error title=a%3A b%2C c::line 1%0Aline 2 100%25%0A::error::forged\n");
  });

  it("writes control characters and bidi controls out, in the title and the message", () => {
    expect(errorAnnotation("x\x1b]0;t\x07", "\x1b[31mRED\x1b[0m\rover \u202eevil")).toBe(
      "::error title=x\\u001b]0;t\\u0007::\\u001b[31mRED\\u001b[0m\\u000dover \\u202eevil\n",
    );
  });
});
