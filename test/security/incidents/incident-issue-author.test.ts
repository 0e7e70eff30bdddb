import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGithubClient } from "../../../src/github/github-client.js";
import { createWritePacer } from "../../../src/github/write-pacer.js";
import { createLogger } from "../../../src/observability/logger.js";
import { createIncidentReporter, type IncidentReporter } from "../../../src/security/incidents/create-incident-reporter.js";
import { createMemoryLedger } from "../../../src/security/incidents/incident-ledger.js";
import { INCIDENT_LABEL, INCIDENT_TITLE } from "../../../src/security/incidents/render-incident.js";
import { startGithubFake, type GithubFake } from "../../support/github-fake/index.js";

const SETTINGS = { threshold: 20, windowMs: 60_000, quietMs: 120_000 };
// Octokit logs the 422 of a label that exists already; the reporter expects it.
const QUIET = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
/** The login the fake's token writes as, spelled as GitHub may return it: logins are case-insensitive. */
const OWN = "Switchyard-Bot";

let fake: GithubFake;
let n = 0;
beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
});
afterAll(async () => {
  await fake.close();
});

/** A reporter on a fresh repository, ticked by hand on a test clock. */
function reporterFor(repository: string, ownLogins: readonly string[], clock: { now: number }): IncidentReporter {
  const logger = createLogger("silent");
  const octokit = new Octokit({ auth: "t", baseUrl: fake.url, log: QUIET });
  return createIncidentReporter({
    settings: SETTINGS,
    repository,
    ledger: createMemoryLedger(),
    github: async () => createGithubClient({ octokit, dryRun: false, record: () => undefined, logger, pace: createWritePacer(0), paceKey: "token", agent: "security-incidents", task: null }),
    ownLogins: () => ownLogins,
    logger,
    now: () => clock.now,
    tickMs: 3_600_000,
  });
}

/** Counts a flood over the threshold and ticks: the first tick looks for an issue left open, the next acts. */
async function flood(reporter: IncidentReporter, clock: { now: number }): Promise<void> {
  await reporter.tick();
  for (let i = 0; i < 25; i++) reporter.record({ reason: "bad_signature", source: "203.0.113.9", hookId: "7", event: "push", at: clock.now });
  await reporter.tick();
}

const incidentIssues = (repo: string) => fake.repo(repo).issues.filter((i) => i.labels.includes(INCIDENT_LABEL));

describe("the security-incident issue is switchyard's own, not any issue with its label and title", () => {
  it("a planted issue is not adopted: a flood opens switchyard's own issue, and quiet closes that one", async () => {
    const repo = `octo-org/incident-author-${++n}`;
    const planted = fake.repo(repo).addIssue({ title: INCIDENT_TITLE, labels: [INCIDENT_LABEL], body: "[rotate the secret here](https://evil.example)", user: "mallory" });
    const clock = { now: 1_700_000_000_000 };
    const reporter = reporterFor(repo, [OWN], clock);
    try {
      await flood(reporter, clock);
      const opened = incidentIssues(repo).filter((i) => i.number !== planted.number);
      expect(opened.map((i) => i.user)).toEqual(["switchyard-bot"]);
      expect(opened[0]!.body).toMatch(/\*\*25\*\* failed verifications/);

      clock.now += SETTINGS.quietMs;
      await reporter.tick();
      expect(fake.repo(repo).issue(opened[0]!.number)!.state).toBe("closed");
      expect(fake.repo(repo).issue(planted.number)!.state).toBe("open");
      expect(fake.repo(repo).comments(planted.number)).toEqual([]);
    } finally {
      await reporter.close();
    }
  });

  it("switchyard's own issue left open is adopted (its login compared case-insensitively), and closed after quiet", async () => {
    const repo = `octo-org/incident-author-${++n}`;
    const left = fake.repo(repo).addIssue({ title: INCIDENT_TITLE, labels: [INCIDENT_LABEL], user: "switchyard-bot" });
    const clock = { now: 1_700_000_000_000 };
    const reporter = reporterFor(repo, [OWN], clock);
    try {
      await reporter.tick();
      clock.now += SETTINGS.quietMs;
      await reporter.tick();
      expect(fake.repo(repo).issue(left.number)!.state).toBe("closed");
      expect(incidentIssues(repo)).toHaveLength(1);
    } finally {
      await reporter.close();
    }
  });

  it("an adopted issue's update comment is found and edited by the next flood, not followed by a second one", async () => {
    const repo = `octo-org/incident-author-${++n}`;
    const left = fake.repo(repo).addIssue({ title: INCIDENT_TITLE, labels: [INCIDENT_LABEL], user: "switchyard-bot" });
    const earlier = fake.repo(repo).addComment(left.number, { body: "**Still failing** (updated 2023-11-14T22:13:20.000Z): 3 more since the last report.", user: "switchyard-bot" });
    const clock = { now: 1_700_000_000_000 };
    const reporter = reporterFor(repo, [OWN], clock);
    try {
      await reporter.tick(); // adopts the issue, and its update comment
      for (let i = 0; i < 5; i++) reporter.record({ reason: "bad_signature", source: "203.0.113.9", hookId: "7", event: "push", at: clock.now });
      clock.now += SETTINGS.windowMs;
      await reporter.tick();
      const comments = fake.repo(repo).comments(left.number);
      expect(comments.map((c) => c.id)).toEqual([earlier.id]);
      expect(comments[0]!.body).toMatch(/\*\*Still failing\*\* \(updated [^)]+\): 5 more since the last report\./);
    } finally {
      await reporter.close();
    }
  });

  it("with switchyard's identity unknown no issue is its own: a flood opens a new one, noisy but never someone else's", async () => {
    const repo = `octo-org/incident-author-${++n}`;
    const left = fake.repo(repo).addIssue({ title: INCIDENT_TITLE, labels: [INCIDENT_LABEL], user: "switchyard-bot" });
    const clock = { now: 1_700_000_000_000 };
    const reporter = reporterFor(repo, [], clock);
    try {
      await flood(reporter, clock);
      expect(incidentIssues(repo)).toHaveLength(2);
      expect(fake.repo(repo).comments(left.number)).toEqual([]);
    } finally {
      await reporter.close();
    }
  });
});

describe("an incident issue someone else changed on GitHub", () => {
  /** A repository of its own on the fake, a reporter on a test clock, and a client to change things there as someone else would. */
  const freshIncidentRepo = (name: string) => {
    const repo = `octo-org/incident-${name}-${++n}`;
    fake.repo(repo);
    const clock = { now: 1_700_000_000_000 };
    return { repo, clock, reporter: reporterFor(repo, [OWN], clock), octokit: new Octokit({ auth: "t", baseUrl: fake.url, log: QUIET }) };
  };
  const record = (reporter: IncidentReporter, clock: { now: number }, count: number) => {
    for (let i = 0; i < count; i++) reporter.record({ reason: "bad_signature", source: "203.0.113.9", hookId: "7", event: "push", at: clock.now });
  };

  it("closed by hand: the next flood opens a new issue instead of commenting on the closed one, and the closed one is left alone", async () => {
    const { repo, clock, reporter, octokit } = freshIncidentRepo("closed");
    try {
      await flood(reporter, clock);
      const [first] = incidentIssues(repo);
      const [owner, name] = repo.split("/") as [string, string];
      await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { owner, repo: name, issue_number: first!.number, state: "closed" });
      clock.now += SETTINGS.windowMs;
      record(reporter, clock, 25);
      await reporter.tick(); // the update finds the issue closed: the incident is over there
      clock.now += 1_000;
      record(reporter, clock, 25);
      await reporter.tick();
      const issues = incidentIssues(repo);
      expect(issues.map((i) => i.state)).toEqual(["closed", "open"]);
      expect(fake.repo(repo).comments(first!.number)).toEqual([]);
    } finally {
      await reporter.close();
    }
  });

  it("its update comment deleted: the next update writes a new comment instead of failing on the old one every tick", async () => {
    const { repo, clock, reporter, octokit } = freshIncidentRepo("comment");
    try {
      await flood(reporter, clock);
      const [issue] = incidentIssues(repo);
      clock.now += SETTINGS.windowMs;
      record(reporter, clock, 5);
      await reporter.tick();
      const [comment] = fake.repo(repo).comments(issue!.number);
      const [owner, name] = repo.split("/") as [string, string];
      await octokit.request("DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}", { owner, repo: name, comment_id: comment!.id });
      clock.now += SETTINGS.windowMs;
      record(reporter, clock, 5);
      await reporter.tick();
      const comments = fake.repo(repo).comments(issue!.number);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.id).not.toBe(comment!.id);
      expect(comments[0]!.body).toMatch(/35/);
    } finally {
      await reporter.close();
    }
  });

  it("an opening GitHub refuses is tried again, backing off, until it goes through, even after the failures stopped", async () => {
    const { repo, clock, reporter } = freshIncidentRepo("refused");
    try {
      fake.failNext({ method: "POST", path: `/repos/${repo}/issues`, status: 403, body: { message: "Resource not accessible by integration" } });
      await flood(reporter, clock);
      expect(incidentIssues(repo)).toEqual([]);
      clock.now += 1_000;
      await reporter.tick(); // too soon: it backs off
      expect(fake.requests.filter((r) => r.method === "POST" && r.path === `/repos/${repo}/issues`)).toHaveLength(1);
      clock.now += 3 * SETTINGS.windowMs;
      await reporter.tick();
      const issues = incidentIssues(repo);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.body).toMatch(/\*\*25\*\* failed verifications/);
      // Its headline says it was opened late, not "0 within the window".
      expect(issues[0]!.body).toContain("switchyard refused **25** webhook requests, more than the threshold of 20 within 1 min (`security.incidents`); this issue could only be opened now, after GitHub refused it earlier.");
    } finally {
      await reporter.close();
    }
  });
});
