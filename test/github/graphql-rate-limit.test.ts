import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGithubClient } from "../../src/github/github-client.js";
import { createWritePacer } from "../../src/github/write-pacer.js";
import { createLogger } from "../../src/observability/logger.js";
import { classifyError } from "../../src/queue/classify-error.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";

const QUIET = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);

let fake: GithubFake;
beforeAll(async () => {
  fake = await startGithubFake();
});
afterAll(async () => {
  await fake.close();
});

function client() {
  const octokit = new Octokit({ auth: "t", baseUrl: fake.url, log: QUIET });
  return createGithubClient({ octokit, dryRun: false, record: () => undefined, logger: createLogger("silent"), pace: createWritePacer(0), paceKey: "token", agent: "CoordinatorAgent", task: "1", now: () => NOW });
}

// GitHub answers a GraphQL rate limit with a 200 whose errors say RATE_LIMITED.
const rateLimited = (headers: Record<string, string> = {}) => ({
  method: "POST",
  path: "/graphql",
  status: 200,
  headers,
  body: { data: null, errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for user ID 1." }] },
});

describe("a GraphQL rate limit (a 200 with RATE_LIMITED)", () => {
  it("is transient, retried when x-ratelimit-reset says the limit resets", async () => {
    fake.failNext(rateLimited({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 600) }));
    const error = await client().getDiscussion("octo/app", 1).catch((thrown: unknown) => thrown);
    expect(classifyError(error, NOW)).toEqual({ kind: "transient", reason: "POST /graphql: rate limited (RATE_LIMITED): GitHub GraphQL: API rate limit exceeded for user ID 1.", retryAfterMs: 600_000 });
  });

  it("is transient after a minute when the answer gives no reset time; other GraphQL errors stay permanent", async () => {
    fake.failNext(rateLimited());
    const limited = await client().addDiscussionComment("D_1", "hello", null).catch((thrown: unknown) => thrown);
    expect(classifyError(limited, NOW)).toMatchObject({ kind: "transient", retryAfterMs: 60_000 });
    fake.failNext({ method: "POST", path: "/graphql", status: 200, body: { data: null, errors: [{ type: "NOT_FOUND", message: "Could not resolve to a Discussion with the number of 1." }] } });
    const missing = await client().getDiscussion("octo/app", 1).catch((thrown: unknown) => thrown);
    expect(classifyError(missing, NOW).kind).toBe("permanent");
  });
});

describe("other GraphQL errors", () => {
  it("name the call, and a FORBIDDEN one the permission the token lacks", async () => {
    fake.failNext({ method: "POST", path: "/graphql", status: 200, body: { data: { addDiscussionComment: null }, errors: [{ type: "FORBIDDEN", message: "Resource not accessible by integration" }] } });
    const refused = await client().addDiscussionComment("D_1", "hello", null).catch((thrown: unknown) => thrown);
    expect((refused as Error).message).toBe(
      "POST /graphql (addDiscussionComment): GitHub GraphQL: Resource not accessible by integration (the token may not use discussions: a GitHub App needs the Discussions permission, read and write; a workflow's GITHUB_TOKEN needs permissions: discussions: write)",
    );
    expect(classifyError(refused, NOW).kind).toBe("permanent");
    fake.failNext({ method: "POST", path: "/graphql", status: 200, body: { data: null, errors: [{ type: "NOT_FOUND", message: "Could not resolve to a Discussion with the number of 1." }] } });
    const missing = await client().getDiscussion("octo/app", 1).catch((thrown: unknown) => thrown);
    expect((missing as Error).message).toBe("POST /graphql (the discussion): GitHub GraphQL: Could not resolve to a Discussion with the number of 1.");
  });
});
