import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import { createLogger } from "../../src/observability/logger.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";

let fake: GithubFake | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

/** The runtime's identity lookup against the fake, and the JSON lines it logged. */
async function lookUpIdentity(token: string, options: { actions?: boolean; level?: "info" | "debug" } = {}): Promise<{ logins: readonly string[]; lines: Array<Record<string, unknown>> }> {
  fake ??= await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  const { config } = parseConfig({ github: { token, apiUrl: fake.url } });
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const github = createGithubRuntime(config, createLogger(options.level ?? "info", out), { actions: options.actions });
  await github.resolveIdentity();
  const lines = text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logins: github.ownLogins(), lines };
}

describe("the GitHub identity lookup at start-up", () => {
  it("learns switchyard's own login from a token GitHub accepts, and logs nothing", async () => {
    const { logins, lines } = await lookUpIdentity("ghp_good");
    expect(logins).toContain("switchyard-bot");
    // Under serve, any workflow writes as github-actions[bot]: its comments are not switchyard's.
    expect(logins).not.toContain("github-actions[bot]");
    expect(lines).toEqual([]);
  });

  it("says plainly, at error level and without a stack, that GitHub rejected the token", async () => {
    fake = await startGithubFake();
    fake.failNext({ method: "GET", path: "/user", status: 401, body: { message: "Bad credentials" } });
    const { logins, lines } = await lookUpIdentity("ghp_bogus");
    expect(logins).not.toContain("switchyard-bot");
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line!.level).toBe(50);
    expect(line!.msg).toMatch(/^GitHub rejected GITHUB_TOKEN \(GET \/user: HTTP 401 from 127\.0\.0\.1:\d+: Bad credentials\): every GitHub write an agent makes will fail/);
    expect(JSON.stringify(line)).not.toContain("stack");
  });

  it("names an App's installation token, which GET /user refuses with 403, by GraphQL's viewer", async () => {
    fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
    fake.failNext({ method: "GET", path: "/user", status: 403, body: { message: "Resource not accessible by integration" } });
    const { logins, lines } = await lookUpIdentity("ghs_installation");
    expect(logins).toContain("switchyard-bot");
    expect(lines).toEqual([]);
    expect(fake.requests.some((r) => r.method === "POST" && r.path === "/graphql")).toBe(true);
  });

  it.each([
    { name: "GraphQL answering with an error", graphql: { status: 200, body: { data: { viewer: null }, errors: [{ type: "FORBIDDEN", message: "Resource not accessible by integration" }] } } },
    { name: "GraphQL refusing with 403", graphql: { status: 403, body: { message: "Resource not accessible by integration" } } },
  ])("in Actions mode, the job's GITHUB_TOKEN (403 on GET /user, no viewer: $name) is no warning: github-actions[bot] is switchyard's login", async ({ graphql }) => {
    for (const level of ["info", "debug"] as const) {
      fake = await startGithubFake();
      fake.failNext({ method: "GET", path: "/user", status: 403, body: { message: "Resource not accessible by integration" } });
      fake.failNext({ method: "POST", path: "/graphql", ...graphql });
      const { logins, lines } = await lookUpIdentity("ghs_job_token", { actions: true, level });
      await fake.close();
      fake = null;
      expect(logins).toEqual(["github-actions[bot]"]);
      // Nothing at info or above; at debug, one line that says why (beside Octokit's request lines).
      expect(lines.filter((line) => (line.level as number) >= 30)).toEqual([]);
      const why = lines.filter((line) => String(line.msg).startsWith("the token's own login"));
      if (level === "info") expect(lines).toEqual([]);
      else expect(why).toEqual([expect.objectContaining({ level: 20, msg: expect.stringMatching(/^the token's own login is not readable \((?:GET \/user|POST \/graphql \(a query\)): HTTP 403 .*\), as with the job's GITHUB_TOKEN: switchyard counts github-actions\[bot\] as its own$/) })]);
    }
  });

  it("in Actions mode, does not ask again a minute later with the job's token: it cannot learn to name itself within the run", async () => {
    fake = await startGithubFake();
    fake.failNext({ method: "GET", path: "/user", status: 403, times: 5 });
    fake.failNext({ method: "POST", path: "/graphql", status: 403, times: 5 });
    const { config } = parseConfig({ github: { token: "ghs_job_token", apiUrl: fake.url } });
    const github = createGithubRuntime(config, createLogger("silent"), { actions: true });
    await github.resolveIdentity();
    const clock = vi.spyOn(Date, "now").mockReturnValue(Date.now() + 61_000);
    try {
      await github.whenIdentityKnown!();
    } finally {
      clock.mockRestore();
    }
    expect(fake.requests.filter((r) => r.method === "GET" && r.path === "/user")).toHaveLength(1);
  });

  it("under serve the same 403 is still a warning: there no other login is switchyard's", async () => {
    fake = await startGithubFake();
    fake.failNext({ method: "GET", path: "/user", status: 403, body: { message: "Resource not accessible by integration" } });
    fake.failNext({ method: "POST", path: "/graphql", status: 403, body: { message: "Resource not accessible by integration" } });
    const { lines } = await lookUpIdentity("ghs_token");
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: expect.stringMatching(/^could not look up switchyard's own GitHub identity \((?:GET \/user|POST \/graphql \(a query\)): HTTP 403/) })]);
  });

  it("counts github-actions[bot] as its own only in Actions mode, where it writes with the job's token", () => {
    const { config } = parseConfig({});
    expect(createGithubRuntime(config, createLogger("silent")).ownLogins()).not.toContain("github-actions[bot]");
    expect(createGithubRuntime(config, createLogger("silent"), { actions: true }).ownLogins()).toContain("github-actions[bot]");
  });

  it("tries a failed lookup again a minute later, when a task asks, instead of never knowing itself until a restart", async () => {
    fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
    fake.failNext({ method: "GET", path: "/user", status: 503 });
    const { config } = parseConfig({ github: { token: "ghp_good", apiUrl: fake.url } });
    const github = createGithubRuntime(config, createLogger("silent"));
    await github.resolveIdentity();
    expect(github.ownLogins()).not.toContain("switchyard-bot");
    // Within the minute a task goes on without it; after it, the task's wait starts a new lookup.
    await github.whenIdentityKnown!();
    expect(github.ownLogins()).not.toContain("switchyard-bot");
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now + 61_000);
    try {
      await github.whenIdentityKnown!();
    } finally {
      clock.mockRestore();
    }
    expect(github.ownLogins()).toContain("switchyard-bot");
  });

  it("tells a GitHub that cannot be reached from a rejected token", async () => {
    fake = await startGithubFake();
    fake.failNext({ method: "GET", path: "/user", status: 503 });
    const { lines } = await lookUpIdentity("ghp_good");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(40);
    expect(lines[0]!.msg).toMatch(/^could not look up switchyard's own GitHub identity \(GET \/user: HTTP 503 from 127\.0\.0\.1:\d+/);
  });
});

describe("Octokit's own log at LOG_LEVEL=debug", () => {
  it("names the method and route of each request, and never logs its headers", async () => {
    fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
    const { config } = parseConfig({ github: { token: "ghp_debugtoken", apiUrl: fake.url } });
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    await createGithubRuntime(config, createLogger("debug", out)).resolveIdentity();
    const lines = text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    // Octokit's bare "request" line came with no field at all: it said nothing about which request.
    expect(lines.filter((line) => line.msg === "request")).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 20, method: "GET", url: "/user", msg: "GitHub request: GET /user" }));
    expect(text).not.toContain("ghp_debugtoken");
  });
});
