import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signPayload } from "../../src/security/verify-signature.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

const OPS = "octo-org/ops";
const SOURCES = ["203.0.113.10", "203.0.113.11", "198.51.100.7"];
const CANARY = "PAYLOAD-CANARY-8f3e";
const FORGED_SECRET = "attacker-guess-secret";

let fake: GithubFake;
let server: TestServer;

/** A forged delivery (signed with the wrong secret) from `source`, as a proxy would forward it. */
async function forged(source: string, n: number): Promise<number> {
  const body = JSON.stringify({ zen: CANARY, n });
  const res = await server.deliver("push", null, {
    raw: body,
    secret: FORGED_SECRET,
    headers: { "x-forwarded-for": source, "x-github-hook-id": "424242" },
  });
  return res.status;
}

/** `count` forged deliveries spread over the sources; the statuses answered. */
async function flood(count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push(await forged(SOURCES[i % SOURCES.length]!, i));
  return statuses;
}

function incidentIssues() {
  return fake.repo(OPS).issues.filter((i) => i.labels.includes("security:webhook"));
}

beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  fake.repo(OPS);
  server = await startTestServer(
    {
      server: { trustProxy: true },
      github: { token: "test-token", apiUrl: fake.url, writeIntervalMs: 0 },
      security: {
        failedAuth: { max: 5, windowMs: 60_000 },
        // Small window and quiet so the test sees the whole life of an incident in seconds.
        incidents: { repository: OPS, threshold: 20, window: "1s", quiet: "2500ms" },
      },
    },
    undefined,
    { pollMs: 100 },
  );
});
afterAll(async () => {
  await server.stop();
  await fake.close();
});

describe("security incidents", () => {
  it("a flood opens one issue, a second burst updates it, quiet closes it; the webhook answers as before throughout", async () => {
    const statuses = await flood(45);
    // Answered exactly as without incidents: 401 until a source has failed more than
    // failedAuth.max (5) times, then 429.
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 401)).toHaveLength(SOURCES.length * 6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(45 - SOURCES.length * 6);

    // A genuine delivery from a flooding address is still accepted.
    const genuine = await server.deliver("issues", exampleOf("issues", "opened"), { headers: { "x-forwarded-for": SOURCES[0] } });
    expect(genuine.status).toBe(202);

    const [issue] = await waitFor(async () => (incidentIssues().length > 0 ? incidentIssues() : null), 10_000);
    expect(issue!.title).toBe("Webhook security failure");
    expect(issue!.state).toBe("open");
    const body = issue!.body ?? "";
    // Opened at the first tick past the threshold: normally after all 45, on a slow machine
    // mid-flood (the rest then shows in the update). Either way the counts add up.
    const total = Number(/\*\*(\d+)\*\* failed verifications/.exec(body)?.[1]);
    expect(total).toBeGreaterThan(20);
    expect(total).toBeLessThanOrEqual(45);
    const byReason = [...body.matchAll(/^\| (?:bad signature|over the failed-verification limit) \([0-9]+\) \| (\d+) \|$/gm)].map((m) => Number(m[1]));
    expect(byReason.reduce((a, b) => a + b, 0)).toBe(total);
    expect(body).toMatch(/^\| bad signature \(401\) \| \d+ \|$/m);
    for (const source of SOURCES) expect(body).toMatch(new RegExp(`^\\| \`${source.replaceAll(".", "\\.")}\` \\| \\d+ \\|$`, "m"));
    expect(body).toContain("Hook ids claimed: `424242`");
    expect(body).toContain("Events claimed: `push`");
    // Never the payload, a signature or a secret.
    for (const secret of [CANARY, FORGED_SECRET, TEST_SECRET, "sha256=", signPayload(FORGED_SECRET, Buffer.from("x")).slice(0, 12)]) expect(body).not.toContain(secret);
    expect(fake.repo(OPS).labels.map((l) => l.name)).toContain("security:webhook");

    // A second burst: the same issue gets one comment, no second issue.
    expect((await flood(30)).every((s) => s === 429)).toBe(true);
    const updates = await waitFor(async () => {
      const comments = fake.repo(OPS).comments(issue!.number).filter((c) => c.body.includes("Still failing"));
      return comments.some((c) => c.body.includes("**75** failed verifications")) ? comments : null;
    }, 10_000);
    // One comment, edited in place if the burst was reported in two steps.
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body).toContain("| over the failed-verification limit (429) | 57 |");
    expect(incidentIssues()).toHaveLength(1);

    // Quiet: a closing comment, and the issue closed.
    const closed = await waitFor(async () => (fake.repo(OPS).issue(issue!.number)!.state === "closed" ? fake.repo(OPS).issue(issue!.number)! : null), 15_000);
    expect(closed.state).toBe("closed");
    const comments = fake.repo(OPS).comments(issue!.number);
    expect(comments.at(-1)!.body).toContain("closing");
    expect(incidentIssues()).toHaveLength(1);

    // 75 forged requests cost a handful of GitHub writes: label, issue, one comment, closing comment, close.
    const writes = fake.writes.filter((w) => w.path.startsWith(`/repos/${OPS}`));
    const shapes = writes.map((w) => `${w.method} ${w.path.replace(/\d+/g, "N")}`);
    expect(shapes.slice(0, 3)).toEqual([`POST /repos/${OPS}/labels`, `POST /repos/${OPS}/issues`, `POST /repos/${OPS}/issues/N/comments`]);
    expect(shapes.slice(-2)).toEqual([`POST /repos/${OPS}/issues/N/comments`, `PATCH /repos/${OPS}/issues/N`]);
    // Between them at most a few edits of the one comment, never a write per request.
    expect(shapes.slice(3, -2).every((w) => w === "PATCH /repos/octo-org/ops/issues/comments/N")).toBe(true);
    expect(writes.length).toBeLessThanOrEqual(8);
    // And every write is on record, with no task.
    const recorded = (await server.store.listGithubActions({ limit: 100 })).filter((a) => a.agent === "security-incidents");
    expect(recorded.map((a) => `${a.method} ${a.route}`)).toContain("POST /repos/{owner}/{repo}/issues");
    expect(recorded.every((a) => a.task === null)).toBe(true);
  });

  /** A server started anew, reporting incidents to `ops` and closing them after 1.5 s of quiet. */
  const restartWithIncidentsIn = (ops: string) =>
    startTestServer(
      {
        github: { token: "test-token", apiUrl: fake.url, writeIntervalMs: 0 },
        security: { incidents: { repository: ops, threshold: 20, window: "1s", quiet: "1500ms" } },
      },
      undefined,
      { pollMs: 100 },
    );

  it("an incident issue an earlier run left open is adopted at start and closed after quiet, with no new failure", async () => {
    // SQLite keeps the incident in memory: what a process stopped mid-incident leaves behind.
    const ops = "octo-org/ops-restarted";
    const left = fake.repo(ops).addIssue({ title: "Webhook security failure", labels: ["security:webhook"], body: "opened by the run before" });
    const other = fake.repo(ops).addIssue({ title: "Something else", labels: ["security:webhook"] });
    const restarted = await restartWithIncidentsIn(ops);
    try {
      const closed = await waitFor(async () => (fake.repo(ops).issue(left.number)!.state === "closed" ? fake.repo(ops).issue(left.number)! : null), 15_000);
      expect(closed.state).toBe("closed");
      const comments = fake.repo(ops).comments(left.number);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain("since switchyard started again: closing");
      // Only switchyard's own incident issue, found by its title.
      expect(fake.repo(ops).issue(other.number)!.state).toBe("open");
    } finally {
      await restarted.stop();
    }
  });

  it("an issue someone else opened with the incident's label and title is never adopted, commented on or closed", async () => {
    const ops = "octo-org/ops-planted";
    const left = fake.repo(ops).addIssue({ title: "Webhook security failure", labels: ["security:webhook"], body: "opened by the run before" });
    // Newer, so listed first: the label and title alone would pick it.
    const planted = fake.repo(ops).addIssue({ title: "Webhook security failure", labels: ["security:webhook"], body: "[rotate the secret here](https://evil.example)", user: "mallory" });
    const restarted = await restartWithIncidentsIn(ops);
    try {
      await waitFor(async () => (fake.repo(ops).issue(left.number)!.state === "closed" ? true : null), 15_000);
      expect(fake.repo(ops).comments(left.number)).toHaveLength(1);
      expect(fake.repo(ops).issue(planted.number)!.state).toBe("open");
      expect(fake.repo(ops).comments(planted.number)).toEqual([]);
      expect(fake.writes.filter((w) => w.path.startsWith(`/repos/${ops}/issues/${planted.number}`))).toEqual([]);
    } finally {
      await restarted.stop();
    }
  });
});
