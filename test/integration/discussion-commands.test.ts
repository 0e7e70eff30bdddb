import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWN_MARKER } from "../../src/commands/parse-commands.js";
import type { TaskRecord } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { splitCodeSpans } from "../support/markdown-code-spans.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { deliverAndSettle as settle } from "../support/deliver-and-settle.js";
import { waitFor } from "../support/wait-for.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

let fake: GithubFake;
let server: TestServer;
let nextRepo = 1;
let nextComment = 7_000_000;

/** A discussion_comment.created in a fresh repository (one per test), seeded into the fake by delivery. */
function discussionIn(repo: string, discussion: { labels?: string[]; title?: string; body?: string; category?: string } = {}): Payload {
  const payload = exampleOf("discussion_comment", "created") as unknown as Payload;
  const [owner, name] = repo.split("/");
  payload.repository = { ...payload.repository, full_name: repo, name, owner: { ...payload.repository.owner, login: owner } };
  payload.discussion.node_id = `D_${repo}`;
  payload.discussion.title = discussion.title ?? "Crash when the login page opens";
  payload.discussion.body = discussion.body ?? "Opening /login shows a stack trace.";
  payload.discussion.labels = (discussion.labels ?? []).map((label, i) => ({ id: i + 1, name: label, color: "ededed", default: false, description: null }));
  if (discussion.category !== undefined) payload.discussion.category = { ...payload.discussion.category, name: discussion.category };
  return payload;
}

function commentOn(base: Payload, body: string, options: { login?: string; association?: string; parent?: number } = {}): Payload {
  const payload = structuredClone(base);
  const id = ++nextComment;
  const login = options.login ?? "maintainer";
  payload.comment = { ...payload.comment, id, node_id: `DC_${id}`, body, parent_id: options.parent ?? null, author_association: options.association ?? "OWNER", user: { ...payload.comment.user, login, type: "User" } };
  payload.sender = { ...payload.sender, login, type: "User" };
  return payload;
}

async function deliver(payload: Payload): Promise<TaskRecord[]> {
  fake.seedFromPayload("discussion_comment", payload);
  return settle(server, "discussion_comment", payload);
}

/** switchyard's replies in a discussion: comments carrying its marker. */
function repliesIn(repo: string, number = 90) {
  return fake.discussions(repo).comments(number).filter((c) => c.body.includes(OWN_MARKER));
}

function freshRepo(): string {
  return `octo-org/discussions-${nextRepo++}`;
}

beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  server = await startTestServer({ github: { token: "test-token", apiUrl: fake.url, writeIntervalMs: 0 }, retry: { maxRetries: 2, initialDelayMs: 50, maxDelayMs: 100 } }, undefined, { pollMs: 100 });
});
afterAll(async () => {
  await server.stop();
  await fake.close();
});

describe("/agent commands in a discussion", () => {
  it("/agent help gets one reply, threaded under the asking comment", async () => {
    const repo = freshRepo();
    const asking = commentOn(discussionIn(repo), "How do I use this?\n/agent help");
    const [task] = await deliver(asking);
    expect(task).toMatchObject({ status: "succeeded", agent: "CoordinatorAgent", rule: "discussion-command" });

    const replies = repliesIn(repo);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.replyToId).toBe(asking.comment.node_id);
    expect(replies[0]!.body).toContain("switchyard commands");
    expect(replies[0]!.body).toContain("/convert-to-issue");
    // Said of the discussion, not of an issue: what analyze and status do here.
    expect(replies[0]!.body).toContain("what switchyard knows about this discussion");
    expect(replies[0]!.body).toContain("the `type:*` and `priority:*` labels this discussion would get as an issue (nothing is labelled here)");
    expect(replies[0]!.body).not.toContain("issue or pull request:");
    // No help line starts with a command, so switchyard never reads its own help as one.
    expect(replies[0]!.body.split("\n").some((line) => /^\s*\/agent/.test(line))).toBe(false);
    // Nothing went to the issue REST API: a discussion is not an issue.
    expect(fake.repo(repo).issues).toEqual([]);
    expect(fake.unknownRoutes).toEqual([]);
  });

  it("a command in a reply is answered in the same thread (GitHub threads are one level deep)", async () => {
    const repo = freshRepo();
    const top = commentOn(discussionIn(repo), "Question about the API");
    fake.seedFromPayload("discussion_comment", top);
    const reply = commentOn(top, "/agent status", { parent: top.comment.id });
    const [task] = await deliver(reply);
    expect(task!.status).toBe("succeeded");
    const replies = repliesIn(repo);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.replyToId).toBe(top.comment.node_id);
    expect(replies[0]!.body).toContain("**Status of discussion #90**");
    expect(replies[0]!.body).toContain("discussion_comment.created");
  });

  it("in a discussion of more than 100 comments, a command in a late thread is answered in that thread, and a rerun edits its reply", async () => {
    const repo = freshRepo();
    const base = discussionIn(repo);
    const first = commentOn(base, "First!");
    fake.seedFromPayload("discussion_comment", first);
    // GitHub's first page holds 100 comments: the thread below is past it.
    for (let i = 0; i < 120; i++) fake.discussions(repo).addComment(90, { body: `comment ${i}`, user: "someone" });
    const late = commentOn(base, "A question, late in the discussion");
    fake.seedFromPayload("discussion_comment", late);
    const asking = commentOn(late, "/agent help", { parent: late.comment.id });
    const [task] = await deliver(asking);
    expect(task).toMatchObject({ status: "succeeded", agent: "CoordinatorAgent" });
    const replies = repliesIn(repo);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.replyToId).toBe(late.comment.node_id);

    // Run again (a retry, a replay): the reply it posted is found in that thread and edited, not posted twice.
    expect(await server.store.replayTask(task!.id, Date.now())).toBe("succeeded");
    await waitFor(async () => {
      const t = await server.store.getTask(task!.id);
      return t?.status === "succeeded" && t.attempts === 2 ? t : null;
    });
    expect(repliesIn(repo)).toHaveLength(1);
    expect(fake.unknownRoutes).toEqual([]);
  });

  it("in a discussion of more than 100 comments, a second /convert-to-issue finds the first one's reply among the latest comments", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    const base = discussionIn(repo);
    fake.seedFromPayload("discussion_comment", commentOn(base, "First!"));
    for (let i = 0; i < 120; i++) fake.discussions(repo).addComment(90, { body: `comment ${i}`, user: "someone" });
    const [first] = await deliver(commentOn(base, "/convert-to-issue"));
    expect(first!.status).toBe("succeeded");
    const [second] = await deliver(commentOn(base, "/convert-to-issue"));
    expect(second!.status).toBe("succeeded");
    const replies = repliesIn(repo);
    expect(replies.map((r) => r.body.split("\n").find((line) => /converted/i.test(line)))).toEqual([
      expect.stringMatching(/^Converted to #\d+: the discussion continues there\.$/),
      expect.stringMatching(/^This discussion was already converted to #\d+; no new issue was opened\.$/),
    ]);
    expect(fake.repo(repo).issues).toHaveLength(1);
  });

  it("/agent status shows any label and category name as code: a backtick in one cannot let @mentions or links through", async () => {
    const repo = freshRepo();
    const hostile = ["a`b", "x`` @team ``[x](http://e)", "bug"];
    const category = "Q&A` @owners [y](http://f)";
    const [task] = await deliver(commentOn(discussionIn(repo, { labels: hostile, category }), "/agent status"));
    expect(task!.status).toBe("succeeded");
    const [reply] = repliesIn(repo);
    const head = reply!.body.split("\n").find((line) => line.startsWith("**Status of discussion #90**"))!;
    const { spans, outside } = splitCodeSpans(head);
    expect(spans).toEqual([category, ...hostile]);
    expect(outside).not.toMatch(/@owners/);
    expect(outside).not.toMatch(/@team|\]\(|http/);
  });

  it("/convert-to-issue names the labels it carried as code: a backtick in one cannot let @mentions or links through", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    const hostile = "x` @team [y](http://e)";
    fake.repo(repo).addLabel("bug");
    fake.repo(repo).addLabel(hostile);
    const asking = commentOn(discussionIn(repo, { labels: ["bug", hostile] }), "/convert-to-issue");
    fake.seedFromPayload("discussion_comment", asking);
    fake.discussions(repo).add({ number: 90, labels: ["bug", hostile] });
    const [task] = await settle(server, "discussion_comment", asking);
    expect(task!.status).toBe("succeeded");
    const [reply] = repliesIn(repo);
    const line = reply!.body.split("\n").find((l) => l.startsWith("Converted to #"))!;
    const { spans, outside } = splitCodeSpans(line);
    expect(spans).toEqual(["bug", hostile]);
    expect(outside).not.toMatch(/@team|\]\(/);
  });

  it("deploy, rollback, review and execute say they do not apply; analyze suggests labels", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    const [task] = await deliver(commentOn(discussionIn(repo), "/agent deploy\n/agent rollback\n/agent review\n/agent execute\n/agent analyze"));
    expect(task!.status).toBe("succeeded");
    const bodies = repliesIn(repo).map((c) => c.body);
    expect(bodies).toHaveLength(5);
    for (const [i, name] of ["deploy", "rollback", "review", "execute"].entries()) expect(bodies[i]).toContain(`\`${name}\` does not apply to discussions`);
    expect(bodies[4]).toContain("**Analysis of discussion #90**");
    expect(bodies[4]).toContain("`type:bug`");
    expect(fake.repo(repo).deployments).toEqual([]);
  });

  it("status and analyze with words after them say they take none", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    const [task] = await deliver(commentOn(discussionIn(repo), "/agent status everything\n/agent analyze #3"));
    expect(task!.status).toBe("succeeded");
    const bodies = repliesIn(repo).map((c) => c.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toContain("`status` takes no argument: it works on this discussion, #90");
    expect(bodies[1]).toContain("`analyze` takes no argument");
  });

  it("an author without an allowed association gets one refusal and nothing runs", async () => {
    const repo = freshRepo();
    const [task] = await deliver(commentOn(discussionIn(repo), "/agent status", { login: "stranger", association: "NONE" }));
    expect(task!.status).toBe("succeeded");
    const replies = repliesIn(repo);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("@stranger, switchyard did not run this");
    expect(replies[0]!.body).not.toContain("Status of discussion");
  });
});

describe("/convert-to-issue", () => {
  it("by a maintainer: exactly one issue, linked both ways, with the labels the repository has; a second request links the same issue", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "maintain");
    fake.repo(repo).addLabel("bug");
    const base = discussionIn(repo, { labels: ["bug"] });
    const asking = commentOn(base, "Let's track this.\n/convert-to-issue");
    fake.seedFromPayload("discussion_comment", asking);
    // A label deleted from the repository since it was put on the discussion.
    fake.discussions(repo).add({ number: 90, labels: ["bug", "deleted-since"] });
    const [first] = await settle(server, "discussion_comment", asking);
    expect(first!.status).toBe("succeeded");

    const issues = fake.repo(repo).issues;
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.title).toBe("Crash when the login page opens");
    expect(issue.body).toContain("> Opening /login shows a stack trace\\.");
    expect(issue.body).toContain(`[#90](https://github.com/${repo}/discussions/90)`);
    expect(issue.body).toContain(`<!-- switchyard:converted-from:D_${repo} -->`);
    // Only the labels the repository has: an unknown one is not created by the conversion.
    expect(issue.labels).toEqual(["bug"]);
    expect(fake.repo(repo).labels.map((l) => l.name)).not.toContain("deleted-since");
    const link = repliesIn(repo);
    expect(link).toHaveLength(1);
    expect(link[0]!.body).toContain(`Converted to #${issue.number}`);

    const [second] = await deliver(commentOn(base, "/convert-to-issue", { login: "other-maintainer" }));
    expect(second!.status).toBe("succeeded");
    // other-maintainer has no write access yet: refused, nothing created.
    expect(fake.repo(repo).issues).toHaveLength(1);
    expect(repliesIn(repo).at(-1)!.body).toContain("@other-maintainer, switchyard did not run this: `/convert-to-issue` needs write access");

    fake.repo(repo).setPermission("other-maintainer", "write");
    const [third] = await deliver(commentOn(base, "/convert-to-issue", { login: "other-maintainer" }));
    expect(third!.status).toBe("succeeded");
    expect(fake.repo(repo).issues).toHaveLength(1);
    expect(repliesIn(repo).at(-1)!.body).toContain(`already converted to #${issue.number}`);
  });

  it("an issue an earlier attempt opened but never linked is found by its hidden marker, not opened again", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    fake.repo(repo).addIssue({ number: 5, title: "unrelated", body: "nothing to see" });
    // What an attempt that failed between creating the issue and replying leaves behind.
    fake.repo(repo).addIssue({ number: 6, title: "Crash when the login page opens", body: `text\n<!-- switchyard:converted-from:D_${repo} -->` });
    const [task] = await deliver(commentOn(discussionIn(repo), "/convert-to-issue"));
    expect(task!.status).toBe("succeeded");
    expect(fake.repo(repo).issues.map((i) => i.number)).toEqual([5, 6]);
    expect(repliesIn(repo)).toHaveLength(1);
    // The first the discussion hears of it: not "already converted".
    expect(repliesIn(repo)[0]!.body).toContain("Converted to #6: the discussion continues there.");
  });

  it("markers anyone wrote neither block the conversion nor point it elsewhere: only switchyard's own count", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    fake.repo(repo).addIssue({ number: 5, title: "phishing", body: `[login](https://evil.example)\n<!-- switchyard:converted-from:D_${repo} -->`, user: "mallory" });
    const asking = commentOn(discussionIn(repo), "/convert-to-issue");
    fake.seedFromPayload("discussion_comment", asking);
    fake.discussions(repo).addComment(90, { body: `${OWN_MARKER}\n<!-- switchyard:converted-to:5 -->`, user: "mallory" });
    const [task] = await settle(server, "discussion_comment", asking);
    expect(task!.status).toBe("succeeded");
    const opened = fake.repo(repo).issues.filter((i) => i.number !== 5);
    expect(opened).toHaveLength(1);
    const mine = repliesIn(repo).filter((c) => c.user === "switchyard-bot");
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toContain(`Converted to #${opened[0]!.number}`);
  });

  it("a marker copied from a discussion's body cannot point a later conversion at the attacker's issue", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    const victim = `D_${repo}`;
    // Another discussion whose body carries the victim discussion's marker, converted first.
    const evil = discussionIn(repo, { title: "Phishing", body: `Please log in again.\n<!-- switchyard:converted-from:${victim} -->` });
    Object.assign(evil.discussion, { number: 91, node_id: "D_evil" });
    const [first] = await deliver(commentOn(evil, "/convert-to-issue"));
    expect(first!.status).toBe("succeeded");
    const [planted] = fake.repo(repo).issues;
    expect(planted!.user).toBe("switchyard-bot");
    expect(planted!.body).not.toContain(`<!-- switchyard:converted-from:${victim}`);
    expect(planted!.body!.trimEnd().split("\n").at(-1)).toBe("<!-- switchyard:converted-from:D_evil -->");

    // An issue switchyard wrote before copied bodies were quoted: the victim's marker in the copied text.
    const legacy = fake.repo(repo).addIssue({ title: "Phishing", user: "switchyard-bot", body: `<!-- switchyard:converted-from:${victim} -->\n\n---\nConverted from discussion #92.\n<!-- switchyard:converted-from:D_other -->` });

    const [task] = await deliver(commentOn(discussionIn(repo), "/convert-to-issue"));
    expect(task!.status).toBe("succeeded");
    const opened = fake.repo(repo).issues.filter((i) => i.number !== planted!.number && i.number !== legacy.number);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.title).toBe("Crash when the login page opens");
    expect(repliesIn(repo).at(-1)!.body).toContain(`Converted to #${opened[0]!.number}`);

    // A second request finds the right one, by switchyard's reply and by the marker alike.
    const [again] = await deliver(commentOn(discussionIn(repo), "/convert-to-issue"));
    expect(again!.status).toBe("succeeded");
    expect(repliesIn(repo).at(-1)!.body).toContain(`already converted to #${opened[0]!.number}`);
  });

  it("a converted-to marker in a label name shown by /agent status does not redirect the conversion", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    const forged = "<!-- switchyard:converted-to:5 -->";
    fake.repo(repo).addLabel(forged);
    fake.repo(repo).addIssue({ number: 5, title: "phishing", body: "[login](https://evil.example)", user: "mallory" });
    const base = discussionIn(repo, { labels: [forged] });
    await deliver(commentOn(base, "/agent status"));
    expect(repliesIn(repo)[0]!.body).toContain(forged);
    const [task] = await deliver(commentOn(base, "/convert-to-issue"));
    expect(task!.status).toBe("succeeded");
    const opened = fake.repo(repo).issues.filter((i) => i.number !== 5);
    expect(opened).toHaveLength(1);
    expect(repliesIn(repo).at(-1)!.body).toContain(`Converted to #${opened[0]!.number}`);
  });

  it("quotes the discussion's body as text: no mention, image, link or HTML published under switchyard's name", async () => {
    const repo = freshRepo();
    fake.repo(repo).setPermission("maintainer", "admin");
    const body = [
      "Hi @octo-org/everyone, see ![x](https://evil.example/i.png) and [login](https://evil.example/login)",
      "",
      "<details><summary>click</summary><img src=x onerror=alert(1)></details>",
      "    indented like code <b>bold</b>",
      "Fixes #1, https://evil.example/bare",
      "```",
      "<!-- switchyard -->",
    ].join("\n");
    const [task] = await deliver(commentOn(discussionIn(repo, { body }), "/convert-to-issue"));
    expect(task!.status).toBe("succeeded");
    const [issue] = fake.repo(repo).issues;
    const quoted = issue!.body!.split("\n---\n")[0]!.trimEnd();
    for (const live of ["@octo-org", "![x](", "](https://evil", "<details", "<img", "<b>", "Fixes #1", "https://evil", "```", "<!--"]) expect(quoted).not.toContain(live);
    // Still readable: one quoted line per line, the blank one kept, the indented one not a code block.
    expect(quoted.split("\n")).toHaveLength(7);
    expect(quoted.split("\n").every((line) => line === ">" || line.startsWith("> "))).toBe(true);
    expect(quoted).toContain("> Hi @&#8203;octo\\-org/everyone, see \\!\\[x\\]");
    expect(quoted).toContain("> &#160;&#160;&#160;&#160;indented like code &lt;b&gt;bold&lt;/b&gt;");
    // The footer is switchyard's: the link back, the asker, and the marker as the last line.
    expect(issue!.body).toContain(`Converted from discussion [#90](https://github.com/${repo}/discussions/90) at the request of @maintainer.`);
    expect(issue!.body!.split("\n").at(-1)).toBe(`<!-- switchyard:converted-from:D_${repo} -->`);
  });

  it("a stranger is refused with a reply and no issue is created", async () => {
    const repo = freshRepo();
    const [task] = await deliver(commentOn(discussionIn(repo), "/convert-to-issue", { login: "stranger", association: "CONTRIBUTOR" }));
    expect(task!.status).toBe("succeeded");
    expect(fake.repo(repo).issues).toEqual([]);
    const replies = repliesIn(repo);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("@stranger, switchyard did not run this: `/convert-to-issue` needs an author association");
  });
});
