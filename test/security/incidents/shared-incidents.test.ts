import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createGithubClient } from "../../../src/github/github-client.js";
import { createWritePacer } from "../../../src/github/write-pacer.js";
import { createLogger } from "../../../src/observability/logger.js";
import { createIncidentReporter, type IncidentReporter } from "../../../src/security/incidents/create-incident-reporter.js";
import { createStoreLedger } from "../../../src/security/incidents/incident-ledger.js";
import { createPostgresStore } from "../../../src/store/postgres/postgres-store.js";
import type { Store } from "../../../src/store/store.js";
import { startGithubFake, type GithubFake } from "../../support/github-fake/index.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../../support/postgres.js";

const OPS = "octo-org/ops";
const SETTINGS = { threshold: 20, windowMs: 60_000, quietMs: 120_000 };

let fake: GithubFake;
beforeAll(async () => {
  fake = await startGithubFake();
  fake.repo(OPS);
});
afterAll(async () => {
  await fake.close();
  await dropTestDatabases();
});

/** One instance: its own store connection and reporter, on the shared database and a test clock. */
function instance(store: Store, clock: { now: number }): IncidentReporter {
  const logger = createLogger("silent");
  const octokit = new Octokit({ auth: "t", baseUrl: fake.url });
  return createIncidentReporter({
    settings: SETTINGS,
    repository: OPS,
    ledger: createStoreLedger(store.exchangeIncidentState!.bind(store), () => clock.now),
    github: async () => createGithubClient({ octokit, dryRun: false, record: () => undefined, logger, pace: createWritePacer(0), paceKey: "token", agent: "security-incidents", task: null }),
    // The fake's token writes as its default identity.
    ownLogins: () => ["switchyard-test"],
    logger,
    now: () => clock.now,
    tickMs: 3_600_000, // driven by hand
  });
}

describePg("security incidents shared through PostgreSQL", () => {
  it("four instances flooded at once open exactly one issue, and one of them closes it", async () => {
    const url = await createTestDatabase();
    const stores = [0, 1, 2, 3].map(() => createPostgresStore(url, {}));
    await Promise.all(stores.map((s) => s.migrate()));
    const clock = { now: 1_700_000_000_000 };
    const reporters = stores.map((s) => instance(s, clock));
    try {
      // Each instance alone stays under the threshold; together they are over it.
      reporters.forEach((r, i) => {
        for (let n = 0; n < 6; n++) r.record({ reason: "bad_signature", source: `203.0.113.${i}`, hookId: "7", event: "push", at: clock.now });
      });
      await Promise.all(reporters.map((r) => r.tick()));
      // Whoever claimed the open carried it out inside its tick; the others saw the claim and stood back.
      await Promise.all(reporters.map((r) => r.tick()));
      const issues = fake.repo(OPS).issues;
      expect(issues).toHaveLength(1);
      expect(issues[0]!.body).toMatch(/\*\*24\*\* failed verifications/);
      for (let i = 0; i < 4; i++) expect(issues[0]!.body).toContain(`| \`203.0.113.${i}\` | 6 |`);

      clock.now += SETTINGS.quietMs;
      await Promise.all(reporters.map((r) => r.tick()));
      expect(fake.repo(OPS).issue(issues[0]!.number)!.state).toBe("closed");
      expect(fake.repo(OPS).comments(issues[0]!.number).filter((c) => c.body.includes("closing"))).toHaveLength(1);
      expect(fake.repo(OPS).issues).toHaveLength(1);
    } finally {
      await Promise.all(reporters.map((r) => r.close()));
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
