import { describe, expect, it } from "vitest";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { allExamples, asJson, eventNames, exampleOf, examplesOf } from "../support/examples.js";

const normalize = (event: string, payload: object) => normalizeEvent(event, asJson(payload));

describe("normalizeEvent on every example payload", () => {
  it("covers all 58 event names of @octokit/webhooks-examples", () => {
    expect(eventNames()).toHaveLength(58);
    expect(new Set(allExamples().map((e) => e.event)).size).toBe(58);
  });

  it.each(allExamples().map((e) => [`${e.event}${e.action ? `.${e.action}` : ""} #${e.index}`, e] as const))("%s", (_, example) => {
    const { event, payload } = example;
    const normalized = normalizeEvent(event, payload);

    expect(normalized.type).toBe(event);
    expect(normalized.action).toBe(typeof payload.action === "string" ? payload.action : null);
    const repository = payload.repository as { full_name?: string } | undefined;
    expect(normalized.repository).toBe(repository?.full_name ?? null);
    if (normalized.repository !== null) expect(normalized.repository).toMatch(/^[^/\s]+\/[^/\s]+$/);
    const sender = payload.sender as { login?: string } | undefined;
    expect(normalized.sender?.login ?? null).toBe(sender?.login ?? null);
    expect(Array.isArray(normalized.labels)).toBe(true);
    // Commands come only from issue comments: nothing else may trigger one.
    if (event !== "issue_comment") expect(normalized.commands).toEqual([]);
    // Serializable: route --json prints parts of it.
    expect(JSON.parse(JSON.stringify(normalized))).toEqual(normalized);
  });

  it("does not throw on payloads that lack everything", () => {
    const empty = normalizeEvent("issues", {});
    expect(empty).toMatchObject({ type: "issues", action: null, repository: null, sender: null, number: null, isPullRequest: false, labels: [], commands: [] });
    const odd = normalizeEvent("push", { ref: 42, repository: "x", sender: [], issue: null, labels: "bug", action: 7 });
    expect(odd).toMatchObject({ ref: null, repository: null, sender: null, action: null, branch: null, isTag: false });
  });
});

describe("normalizeEvent fields", () => {
  it("issues.labeled: labelAdded is the label just added, labels are all of them", () => {
    const payload = exampleOf("issues", "labeled");
    payload.label = { ...payload.label!, name: "agent-execute" };
    const event = normalize("issues", payload);
    expect(event.labelAdded).toBe("agent-execute");
    expect(event.labels).toEqual(payload.issue.labels!.map((l) => l.name));
    expect(event.number).toBe(payload.issue.number);
    expect(event.isPullRequest).toBe(false);
    expect(event.title).toBe(payload.issue.title);
  });

  it("labelAdded is null unless the action is labeled", () => {
    const payload = exampleOf("issues", "unlabeled");
    expect(payload.label?.name).toBeTruthy();
    expect(normalize("issues", payload).labelAdded).toBeNull();
  });

  it("pull_request: draft, merged, base/head, number, isPullRequest, sha", () => {
    const payload = exampleOf("pull_request", "opened");
    const event = normalize("pull_request", payload);
    expect(event).toMatchObject({
      type: "pull_request",
      action: "opened",
      number: payload.pull_request.number,
      isPullRequest: true,
      draft: false,
      merged: false,
      baseRef: "master",
      headRef: "changes",
      branch: "master",
      defaultBranch: "master",
      sha: payload.pull_request.head.sha,
      repository: "Codertocat/Hello-World",
    });

    const draft = exampleOf("pull_request", "converted_to_draft");
    expect(normalize("pull_request", draft).draft).toBe(true);

    const merged = exampleOf("pull_request", "closed");
    merged.pull_request.merged = true;
    merged.pull_request.merge_commit_sha = "a".repeat(40);
    merged.pull_request.base.ref = "release";
    expect(normalize("pull_request", merged)).toMatchObject({ merged: true, sha: "a".repeat(40), baseRef: "release", branch: "release" });
  });

  it("issue_comment on a pull request: isPullRequest via issue.pull_request", () => {
    const onIssue = exampleOf("issue_comment", "created");
    expect(onIssue.issue.pull_request).toBeUndefined();
    expect(normalize("issue_comment", onIssue).isPullRequest).toBe(false);

    const onPr = exampleOf("issue_comment", "created");
    const url = `https://api.github.com/repos/Codertocat/Hello-World/pulls/${onPr.issue.number}`;
    onPr.issue.pull_request = { url, html_url: url, diff_url: `${url}.diff`, patch_url: `${url}.patch` };
    onPr.comment.body = "/agent review";
    const event = normalize("issue_comment", onPr);
    expect(event).toMatchObject({ isPullRequest: true, number: onPr.issue.number, draft: null, merged: null });
    expect(event.comment).toMatchObject({ id: onPr.comment.id, body: "/agent review", authorAssociation: "OWNER", markedOwn: false });
    expect(event.commands).toEqual([{ name: "review", args: [] }]);
  });

  it("issue_comment carrying the own marker: markedOwn, and its commands are never parsed", () => {
    const payload = exampleOf("issue_comment", "created");
    payload.comment.body = "<!-- switchyard -->\n/agent execute";
    const event = normalize("issue_comment", payload);
    expect(event.comment?.markedOwn).toBe(true);
    expect(event.commands).toEqual([]);
  });

  it("push to a branch: ref, branch, isTag, deleted, sha; action null", () => {
    const [payload] = examplesOf("push").filter((p) => p.ref === "refs/heads/master");
    const event = normalize("push", payload!);
    expect(event).toMatchObject({
      action: null,
      ref: "refs/heads/master",
      branch: "master",
      isTag: false,
      deleted: false,
      sha: payload!.after,
      defaultBranch: "master",
      number: null,
      isPullRequest: false,
    });
  });

  it("push of a tag and a deletion", () => {
    const pushes = examplesOf("push");
    const tag = pushes.find((p) => p.ref.startsWith("refs/tags/") && !p.deleted)!;
    expect(normalize("push", tag)).toMatchObject({ ref: "refs/tags/simple-tag", branch: null, isTag: true, deleted: false });
    const deleted = pushes.find((p) => p.deleted)!;
    expect(normalize("push", deleted)).toMatchObject({ isTag: true, deleted: true });
    const branchDeleted = structuredClone(pushes.find((p) => p.ref === "refs/heads/master")!);
    branchDeleted.deleted = true;
    expect(normalize("push", branchDeleted)).toMatchObject({ branch: "master", isTag: false, deleted: true });
  });

  it("workflow_run: name, conclusion, branch, sha", () => {
    const payload = examplesOf("workflow_run", "completed").find((p) => p.workflow_run.conclusion === "success")!;
    const event = normalize("workflow_run", payload);
    expect(event.branch).toBe(payload.workflow_run.head_branch);
    expect(event.sha).toBe(payload.workflow_run.head_sha);
    expect(event.workflow).toMatchObject({ conclusion: "success", runId: payload.workflow_run.id, path: payload.workflow_run.path });
    // This example's run has an empty name; the workflow's name stands in for it.
    expect(payload.workflow_run.name).toBe("");
    expect(event.workflow?.name).toBe("test");

    const named = exampleOf("workflow_run", "completed");
    named.workflow_run.conclusion = "failure";
    named.workflow_run.head_branch = "feature";
    named.workflow_run.head_repository = { ...named.workflow_run.head_repository, id: named.repository.id, full_name: named.repository.full_name };
    expect(normalize("workflow_run", named)).toMatchObject({
      branch: "feature",
      workflow: { name: "Manually triggered workflow", conclusion: "failure", headBranch: "feature", fromFork: false },
    });
  });

  describe("a workflow run's branch is the repository's only when its head repository is the repository", () => {
    const run = (head: Record<string, unknown> | null) => {
      const payload = examplesOf("workflow_run", "completed").find((p) => p.workflow_run.conclusion === "success")!;
      const workflowRun = payload.workflow_run as unknown as Record<string, unknown>;
      Object.assign(workflowRun, { head_branch: "main", event: "pull_request" });
      if (head === null) delete workflowRun.head_repository;
      else workflowRun.head_repository = { ...payload.workflow_run.head_repository, ...head };
      return normalize("workflow_run", payload);
    };
    const own = { id: 300029405, full_name: "octo-org/octo-repo" };

    it.each([
      ["the same id", own, "main", false],
      ["the same name in other case, no ids", { id: undefined, full_name: "Octo-Org/Octo-Repo" }, "main", false],
      ["a fork (another id, another name)", { id: 999, full_name: "attacker/r" }, null, true],
      ["another id under the same name (ids decide)", { id: 999, full_name: "octo-org/octo-repo" }, null, true],
      ["another name, no ids", { id: undefined, full_name: "attacker/r" }, null, true],
      ["no head repository at all", null, null, true],
    ] as const)("%s", (_, head, branch, fromFork) => {
      const event = run(head);
      expect(event.branch).toBe(branch);
      expect(event.workflow).toMatchObject({ headBranch: "main", fromFork });
    });

    it("names the fork's repository, checked like any other repository name", () => {
      expect(run({ id: 999, full_name: "attacker/r" }).workflow?.headRepository).toBe("attacker/r");
      expect(run({ id: 999, full_name: "../../x" }).workflow?.headRepository).toBeNull();
    });
  });

  it("events that are not about a workflow have workflow null", () => {
    expect(normalize("issues", exampleOf("issues", "opened")).workflow).toBeNull();
  });
});

describe("normalizeEvent on values that would make GitHub API paths of their own", () => {
  it.each(["../../x", "a//b", "justname", "o/r/extra", "../r", "o/..", "o/r?x=1", "o/r#1", "ö/r", ""])("repository %j is null", (fullName) => {
    expect(normalizeEvent("issues", { action: "opened", issue: { number: 1 }, repository: { full_name: fullName } }).repository).toBeNull();
  });

  it("keeps the names GitHub has: letters, digits, -, _ and .", () => {
    expect(normalizeEvent("issues", { issue: { number: 1 }, repository: { full_name: "Octo-Org/my_repo.js" } }).repository).toBe("Octo-Org/my_repo.js");
  });

  it.each([-5, 0, 1.5, 1e29, Number.MAX_SAFE_INTEGER + 2])("issue number %d is null", (number) => {
    expect(normalizeEvent("issues", { issue: { number }, repository: { full_name: "o/r" } }).number).toBeNull();
  });
});
