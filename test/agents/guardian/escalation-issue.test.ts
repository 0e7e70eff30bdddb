import { describe, expect, it } from "vitest";
import {
  ESCALATION_LABEL,
  escalationMarker,
  escalationTitle,
  findEscalation,
  renderEscalationBody,
  renderFailureComment,
  renderRecoveryComment,
  runMarker,
  workflowRunOf,
  type WorkflowRun,
} from "../../../src/agents/builtin/guardian/escalation-issue.js";
import { OWN_MARKER } from "../../../src/commands/parse-commands.js";
import { normalizeEvent } from "../../../src/events/normalize-event.js";
import type { SearchHit } from "../../../src/github/github-client.js";
import { asJson, examplesOf } from "../../support/examples.js";

const run: WorkflowRun = {
  name: "CI",
  path: ".github/workflows/ci.yml",
  conclusion: "failure",
  runId: 1234,
  attempt: 2,
  url: "https://github.com/octo/app/actions/runs/1234",
  sha: "3484a3fb816e0859fd6e1cea078d76385ff50625",
  branch: "main",
  actor: "octocat",
};

describe("workflowRunOf", () => {
  it("reads the run, its workflow and who triggered it from a workflow_run payload", () => {
    const payload = asJson(examplesOf("workflow_run", "completed")[1]!);
    const read = workflowRunOf(normalizeEvent("workflow_run", payload), payload);
    expect(read).toEqual({
      name: "test",
      path: ".github/workflows/test.yml",
      conclusion: "success",
      runId: 289782451,
      attempt: 1,
      url: "https://github.com/octo-org/octo-repo/actions/runs/289782451",
      sha: "3484a3fb816e0859fd6e1cea078d76385ff50625",
      branch: "master",
      actor: "Codertocat",
    });
  });

  it("is null for other events", () => {
    const payload = asJson(examplesOf("push")[0]!);
    expect(workflowRunOf(normalizeEvent("push", payload), payload)).toBeNull();
  });
});

describe("escalation texts", () => {
  it("marks the workflow by its file and the run by id and attempt", () => {
    expect(escalationMarker(run)).toBe("<!-- switchyard:guardian:.github/workflows/ci.yml -->");
    expect(escalationMarker({ ...run, path: null })).toBe("<!-- switchyard:guardian:CI -->");
    expect(runMarker(run)).toBe("<!-- switchyard:guardian:run:1234:2 -->");
    expect(runMarker({ ...run, attempt: 3 })).not.toBe(runMarker(run));
  });

  it("titles the issue after the workflow", () => {
    expect(escalationTitle(run)).toBe('Workflow "CI" is failing');
  });

  it("puts the markers, run link, sha, actor, attempt and conclusion in the body", () => {
    const body = renderEscalationBody(run);
    for (const part of [OWN_MARKER, escalationMarker(run), runMarker(run), "[run 1234, attempt 2](https://github.com/octo/app/actions/runs/1234)", "` 3484a3f `", "[octocat](https://github.com/octocat)", "` failure `", "` main `"]) {
      expect(body).toContain(part);
    }
    // No @mention: an escalation must not ping the actor on every failure.
    expect(body).not.toContain("@octocat");
  });

  it("marks comments as switchyard's own and by run, so they are never parsed or repeated", () => {
    for (const comment of [renderFailureComment(run), renderRecoveryComment({ ...run, conclusion: "success" })]) {
      expect(comment.startsWith(OWN_MARKER)).toBe(true);
      expect(comment).toContain(runMarker(run));
      expect(comment).toContain(run.url);
      for (const line of comment.split("\n")) expect(line.startsWith("/agent")).toBe(false);
    }
    expect(renderRecoveryComment(run)).toMatch(/succeeded again/);
  });
});

describe("escalation texts from a hostile workflow", () => {
  // Whoever writes a workflow file names it, and a fork's pull request writes its own.
  const hostile: WorkflowRun = {
    ...run,
    name: "CI @octo-org/admins ![x](https://evil.example/i.png) [login](https://evil.example) <img src=x onerror=alert(1)> | cell --> \u202e",
    path: ".github/workflows/x--><b>y</b>.yml",
    branch: "main` @team <b>x</b>",
    actor: "mallory](https://evil.example) @team",
    url: "https://evil.example/run) ![x](https://evil.example/i.png",
    sha: "<img src=x>",
  };
  const texts = [renderEscalationBody(hostile), renderFailureComment(hostile), renderRecoveryComment(hostile)];

  it.each(texts.map((text, i) => [["the issue body", "a failure comment", "the recovery comment"][i]!, text] as const))("%s publishes no mention, image, link or HTML", (_, text) => {
    const outsideCode = text.replace(/(`+) .*? \1/g, "");
    expect(outsideCode).not.toMatch(/@(?!&#8203;)\w/);
    expect(outsideCode).not.toMatch(/!\[|\]\(https:\/\/evil|<img|<b>|\u202e/);
    expect(text).not.toContain("https://evil.example/run)");
    // The one hidden comment each marker opens is closed by that marker.
    for (const line of text.split("\n").filter((l) => l.startsWith("<!--"))) expect(line.match(/-->/g)).toHaveLength(1);
  });

  it("keeps the name readable and the table whole", () => {
    const body = renderEscalationBody(hostile);
    expect(body).toContain("**CI @&#8203;octo\\-org/admins");
    expect(body).toContain("\\u202e");
    expect(body.split("\n").filter((l) => l.startsWith("| ")).every((row) => row.split(/(?<!\\)\|/).length === 4)).toBe(true);
    expect(body).toContain("| Commit | unknown |");
    expect(escalationTitle(hostile)).toContain("\\u202e");
    expect(escalationMarker(hostile)).toBe("<!-- switchyard:guardian:.github/workflows/x--%3E%3Cb%3Ey%3C/b%3E.yml -->");
  });
});

describe("findEscalation", () => {
  // switchyard's logins under `serve` with a token: github-actions[bot] is not among them.
  const own = ["switchyard-bot"];
  const hit = (number: number, title: string, fields: Partial<SearchHit> = {}): SearchHit => ({ number, title, state: "open", labels: [ESCALATION_LABEL], user: "switchyard-bot", ...fields });
  const cases: { name: string; hits: SearchHit[]; ownLogins?: string[]; found: number | null }[] = [
    { name: "no hits", hits: [], found: null },
    { name: "the exact title", hits: [hit(7, 'Workflow "CI" is failing')], found: 7 },
    { name: "not another workflow whose name contains this one", hits: [hit(8, 'Workflow "CI nightly" is failing')], found: null },
    { name: "not a closed issue", hits: [hit(7, 'Workflow "CI" is failing', { state: "closed" })], found: null },
    { name: "not without the label", hits: [hit(7, 'Workflow "CI" is failing', { labels: ["bug"] })], found: null },
    { name: "the oldest when a race opened two", hits: [hit(12, 'Workflow "CI" is failing'), hit(9, 'Workflow "CI" is failing')], found: 9 },
    { name: "switchyard's login in another case", hits: [hit(7, 'Workflow "CI" is failing', { user: "Switchyard-Bot" })], found: 7 },
    { name: "not one someone else opened with the label and title", hits: [hit(7, 'Workflow "CI" is failing', { user: "mallory" })], found: null },
    { name: "not an older planted one: switchyard's own", hits: [hit(12, 'Workflow "CI" is failing'), hit(9, 'Workflow "CI" is failing', { user: "mallory" })], found: 12 },
    { name: "not one whose author is unknown (a deleted account)", hits: [hit(7, 'Workflow "CI" is failing', { user: null })], found: null },
    { name: "not github-actions[bot]'s under serve: any workflow writes as it", hits: [hit(7, 'Workflow "CI" is failing', { user: "github-actions[bot]" })], found: null },
    { name: "github-actions[bot]'s in Actions mode, where it is switchyard", hits: [hit(7, 'Workflow "CI" is failing', { user: "github-actions[bot]" })], ownLogins: ["github-actions[bot]"], found: 7 },
    { name: "none with switchyard's identity unknown", hits: [hit(7, 'Workflow "CI" is failing')], ownLogins: [], found: null },
  ];
  for (const { name, hits, ownLogins = own, found } of cases) {
    it(name, () => expect(findEscalation(hits, run, ownLogins)?.number ?? null).toBe(found));
  }
});
