import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { exampleOf } from "../support/examples.js";
import { secondaryRateLimit, startGithubFake, type FakeHookDelivery, type GithubFake, type HookHandle } from "../support/github-fake/index.js";
import { runCli, type CliResult } from "../support/run-cli.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/start-test-server.js";

const HOUR = 3_600_000;
const HOOK = { repository: "octo/hello", id: 12 } as const;

let fake: GithubFake;
let server: TestServer;
let hook: HookHandle;

function payload(n: number): object {
  // A distinct body per delivery: the same bytes twice would be a replay by signature.
  return { ...exampleOf("star", "created"), marker: `delivery-${n}` };
}

/** `switchyard ARGS` as a process in the server's directory (its config file names the server's database). */
function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: server.dir, env: { LOG_LEVEL: "silent" } });
}

async function sweep(query = ""): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.adminUrl}/api/recovery/sweep${query}`, { method: "POST" });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeEach(async () => {
  fake = await startGithubFake();
  const config = { github: { token: "ghp_test", apiUrl: fake.url, writeIntervalMs: 0 }, recovery: { hooks: [HOOK], interval: 0 } };
  server = await startTestServer(config);
  writeFileSync(path.join(server.dir, "switchyard.config.yaml"), JSON.stringify({ ...config, store: { url: `sqlite:${server.dbFile}` } }));
  hook = fake.hook(HOOK);
  hook.setTarget(server.webhookUrl, TEST_SECRET);
});

afterEach(async () => {
  await server.stop();
  expect(fake.unknownRoutes).toEqual([]);
  await fake.close();
});

/**
 * The hook log of the scenario, 130 entries over two pages (GitHub's page is 100):
 * deliveries that reached the server, failed ones it never got, one it got although GitHub
 * saw a failure, one whose redelivery succeeded, and one failed outside the lookback.
 */
async function seedMixedLog(): Promise<{ missing: FakeHookDelivery[]; storedButFailed: FakeHookDelivery; oldFailure: FakeHookDelivery }> {
  const now = Date.now();
  const at = (i: number) => now - i * 25 * 60_000; // one entry every 25 minutes, back over ~54 hours
  const missing: FakeHookDelivery[] = [];
  let storedButFailed: FakeHookDelivery | undefined;
  for (let i = 0; i < 130; i++) {
    if (i % 20 === 7) {
      missing.push(hook.record("star", payload(i), { at: at(i), statusCode: i % 40 === 7 ? 0 : 502 }));
    } else if (i === 50) {
      // The server committed it, but GitHub gave up waiting first.
      storedButFailed = await hook.send("star", payload(i), { at: at(i) });
      expect(storedButFailed.statusCode).toBe(202);
      Object.assign(storedButFailed, { statusCode: 0, status: "timed out" });
    } else if (i === 60) {
      const failed = hook.record("star", payload(i), { at: at(i), statusCode: 503 });
      const retried = await hook.send("star", payload(i), { at: at(i) + 60_000, guid: failed.guid });
      expect(retried.statusCode).toBe(202);
    } else {
      expect((await hook.send("star", payload(i), { at: at(i) })).statusCode).toBe(202);
    }
  }
  const oldFailure = hook.record("star", payload(1000), { at: now - 80 * HOUR, statusCode: 0 });
  return { missing, storedButFailed: storedButFailed!, oldFailure };
}

describe("the missed-delivery sweep against GitHub's hook log", () => {
  it("asks exactly once for each failed delivery the store lacks, recovers every one, and a second sweep asks nothing", async () => {
    const { missing, storedButFailed, oldFailure } = await seedMixedLog();
    expect(missing).toHaveLength(7);
    for (const m of missing) expect(await server.store.getDelivery(m.guid)).toBeNull();
    const entriesBefore = hook.deliveries.length;
    fake.clearRequests();

    const first = await sweep();
    await hook.settled();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      dry_run: false,
      hooks: [{ hook: "octo/hello#12", scanned: entriesBefore - 1, failed: 8, missing: 7, redelivered: 7, given_up: 0, errors: [] }],
      redelivered: 7,
    });
    // Several pages, followed by cursor.
    const pages = fake.requests.filter((r) => r.method === "GET" && r.path.endsWith("/deliveries"));
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.slice(1).every((r) => /^v1_\d+$/.test(r.query.cursor ?? ""))).toBe(true);

    // Asked once each, for exactly the missing ones (oldest first); nothing else.
    expect(hook.attempts).toEqual([...missing].reverse().map((m) => m.id));
    expect(hook.attempts).not.toContain(storedButFailed.id);
    expect(hook.attempts).not.toContain(oldFailure.id);
    // Each redelivery re-sent the stored request, same X-GitHub-Delivery, and it was stored once.
    const listed = await server.store.listDeliveries({ limit: 1000 });
    for (const m of missing) {
      const redelivered = hook.deliveries.filter((d) => d.guid === m.guid && d.redelivery);
      expect(redelivered).toHaveLength(1);
      expect(redelivered[0]).toMatchObject({ statusCode: 202, request: { body: m.request.body } });
      expect(listed.filter((d) => d.id === m.guid)).toHaveLength(1);
      expect((await server.store.getDelivery(m.guid))?.body.toString()).toBe(m.request.body);
    }

    // Counted as they arrived at this process, not at the next sweep.
    const afterFirst = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(afterFirst).toMatch(/^switchyard_redeliveries_total\{outcome="recovered"\} 7$/m);

    const second = await sweep();
    await hook.settled();
    expect(second.body).toMatchObject({ hooks: [{ failed: 1, missing: 0, redelivered: 0, errors: [] }], redelivered: 0 });
    expect(hook.attempts).toHaveLength(7);

    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_redeliveries_total\{outcome="asked"\} 7$/m);
    expect(metrics).toMatch(/^switchyard_redeliveries_total\{outcome="recovered"\} 7$/m);
  });

  it("gives a guid up after three asks, one per sweep, however often it is swept", async () => {
    const lost = hook.record("star", payload(1), { statusCode: 502 });
    // The redeliveries fail too: the server is unreachable from GitHub's side.
    hook.setTarget("http://127.0.0.1:1/webhooks/github", TEST_SECRET);
    const results: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const { body } = await sweep();
      await hook.settled();
      results.push((body.hooks as { redelivered: number; given_up: number }[])[0]);
      // An hour passes between sweeps: the last ask is past its cooldown.
      (server.store as unknown as SqliteStore).db.prepare("UPDATE redeliveries SET asked_at = asked_at - ?").run(HOUR);
    }
    expect(results).toEqual([
      expect.objectContaining({ redelivered: 1, given_up: 0 }),
      expect.objectContaining({ redelivered: 1, given_up: 0 }),
      expect.objectContaining({ redelivered: 1, given_up: 0 }),
      expect.objectContaining({ redelivered: 0, given_up: 1 }),
    ]);
    expect(hook.attempts.filter((id) => hook.deliveries.find((d) => d.id === id)?.guid === lost.guid)).toHaveLength(3);
    // Asked about afterwards, the store says what the sweep did, not only that it holds nothing.
    const missing = await fetch(`${server.adminUrl}/api/deliveries/${lost.guid}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /^no delivery .* in the store: GitHub failed to deliver it; the missed-delivery sweep asked GitHub to redeliver it 3 times, the last at .*Z, and gave up: redeliver it by hand/,
    );
    const shown = await cli(["deliveries", "show", lost.guid]);
    expect(shown.code).toBe(2);
    expect(shown.stderr).toContain("asked GitHub to redeliver it 3 times");
  });

  it("asks again after GitHub failed to take an ask (502), names the one it refused (422), and gives up only on asks that counted", async () => {
    const outage = hook.record("star", payload(1), { statusCode: 502 });
    const refused = hook.record("star", payload(2), { statusCode: 502 });
    const results: { redelivered: number; given_up: number; guids: string[]; refused: { delivery: string; message: string }[]; errors: unknown[] }[] = [];
    const sweepOnce = async () => {
      const { body } = await sweep();
      await hook.settled();
      results.push((body.hooks as (typeof results)[number][])[0]!);
      (server.store as unknown as SqliteStore).db.prepare("UPDATE redeliveries SET asked_at = asked_at - ?").run(HOUR);
    };
    // Three sweeps during an outage of GitHub's redelivery endpoint: no ask taken.
    fake.failAlways({ method: "POST", path: /\/attempts$/, status: 502 });
    for (let i = 0; i < 3; i++) await sweepOnce();
    fake.clearFaults();
    // GitHub back: it takes the first and refuses the second (too old).
    const refusedEntry = hook.deliveries.find((d) => d.guid === refused.guid)!;
    fake.failAlways({ method: "POST", path: `/repos/octo/hello/hooks/12/deliveries/${refusedEntry.id}/attempts`, status: 422, body: { message: "Validation Failed" } });
    await sweepOnce();
    expect(results.slice(0, 3).every((r) => r.redelivered === 0 && r.given_up === 0 && r.errors.length === 1)).toBe(true);
    expect(results[3]).toMatchObject({ redelivered: 1, given_up: 0, guids: [outage.guid], errors: [], refused: [{ delivery: refused.guid, message: expect.stringContaining("GitHub answered 422") }] });
    expect(results[3]!.refused[0]!.message).toMatch(/: the next sweep asks again \(this was ask 1 of 3\)$/);
    expect(await server.store.getDelivery(outage.guid)).not.toBeNull();
    // Asked about meanwhile, the store says GitHub refused it: nothing is on its way.
    const missingText = async () => ((await (await fetch(`${server.adminUrl}/api/deliveries/${refused.guid}`)).json()) as { error: { message: string } }).error.message;
    expect(await missingText()).toContain("GitHub refused the last ask (HTTP 422): the next sweep asks again");
    expect(await missingText()).not.toContain("has not arrived yet");
    // The third refusal is the last ask, and says so.
    await sweepOnce();
    await sweepOnce();
    expect(results[5]!.refused[0]!.message).toMatch(/that was ask 3 of 3, the last: redeliver it by hand/);
    expect(results[5]!.refused[0]!.message).not.toContain("next sweep");
    expect(await missingText()).toContain("GitHub refused the last ask (HTTP 422), and gave up");
  });

  it("takes a 404 for one delivery's redelivery as that delivery's refusal and goes on; a rate limit stops the sweep without using up an ask", async () => {
    const now = Date.now();
    const gone = hook.record("star", payload(1), { at: now - 3 * HOUR, statusCode: 502 });
    const next = hook.record("star", payload(2), { at: now - 2 * HOUR, statusCode: 502 });
    const goneEntry = hook.deliveries.find((d) => d.guid === gone.guid)!;
    fake.failAlways({ method: "POST", path: `/repos/octo/hello/hooks/12/deliveries/${goneEntry.id}/attempts`, status: 404, body: { message: "Not Found" } });
    const first = await sweep();
    await hook.settled();
    // Oldest first: the 404 did not stop the sweep, nor blame the hook.
    expect(first.body).toMatchObject({
      hooks: [{ redelivered: 1, guids: [next.guid], errors: [], refused: [{ delivery: gone.guid, message: expect.stringContaining("no longer in the hook's log") }] }],
    });
    expect(JSON.stringify(first.body)).not.toContain("no such hook");
    fake.clearFaults();

    const limited = hook.record("star", payload(3), { at: now - HOUR, statusCode: 502 });
    fake.failAlways({ method: "POST", path: /\/attempts$/, ...secondaryRateLimit(60) });
    for (let i = 0; i < 4; i++) {
      const { body } = await sweep();
      const [result] = body.hooks as { redelivered: number; given_up: number; given_up_deliveries?: string[]; errors: { kind: string }[] }[];
      expect(result).toMatchObject({ redelivered: 0, errors: [{ kind: "rate_limited" }] });
      expect(result!.given_up_deliveries ?? []).not.toContain(limited.guid);
      (server.store as unknown as SqliteStore).db.prepare("UPDATE redeliveries SET asked_at = asked_at - ?").run(HOUR);
    }
    // GitHub took none of those asks: once it answers again, the delivery is asked for.
    fake.clearFaults();
    const after = await sweep();
    await hook.settled();
    expect((after.body.hooks as { guids: string[] }[])[0]!.guids).toContain(limited.guid);
    expect(await server.store.getDelivery(limited.guid)).not.toBeNull();
  });

  it("stops at a second 404 before GitHub answered any other ask, blaming the hook (deleted, or a token that may not redeliver), and uses up no more asks", async () => {
    const now = Date.now();
    const missed = [1, 2, 3].map((n) => hook.record("star", payload(n), { at: now - (4 - n) * HOUR, statusCode: 502 }));
    fake.failAlways({ method: "POST", path: /\/attempts$/, status: 404, body: { message: "Not Found" } });
    for (let i = 0; i < 3; i++) {
      const { body } = await sweep();
      const [result] = body.hooks as { redelivered: number; refused: { delivery: string }[]; errors: { kind: string; message: string }[]; given_up: number }[];
      expect(result).toMatchObject({ redelivered: 0, errors: [{ kind: "not_found", message: expect.stringContaining("answers 404 to every redelivery asked of this hook") }] });
      (server.store as unknown as SqliteStore).db.prepare("UPDATE redeliveries SET asked_at = asked_at - ?").run(HOUR);
    }
    // Only the first 404 of each sweep counted: the others are not given up.
    const counted = (server.store as unknown as SqliteStore).db.prepare("SELECT guid, COUNT(*) AS n FROM redeliveries WHERE status = 404 GROUP BY guid").all() as { guid: string; n: number }[];
    expect(counted.reduce((sum, row) => sum + row.n, 0)).toBe(3);
    expect(counted.every((row) => row.guid === missed[0]!.guid)).toBe(true);
  });

  it("--dry-run lists what it would ask for and asks nothing", async () => {
    const { missing } = await seedMixedLog();
    fake.clearRequests();
    const result = await cli(["redeliver", "--dry-run", "--json"]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { dry_run: boolean; hooks: { guids: string[]; missing: number; redelivered: number }[]; redelivered: number };
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(summary).toMatchObject({ dry_run: true, redelivered: 0, hooks: [{ missing: 7, redelivered: 0 }] });
    expect(summary.hooks[0]!.guids).toEqual([...missing].reverse().map((m) => m.guid));
    expect(hook.attempts).toEqual([]);
    expect(fake.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(result.stderr).toContain("swept through the running server at ");
    expect(result.stderr).toContain(", with the recovery.hooks and GitHub credentials of the config it started with");

    const text = await cli(["redeliver", "--dry-run", "--since", "2h"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^octo\/hello#12: scanned \d+, failed \d+, missing \d+, would redeliver \d+/);
  });

  it("leaves this shell's GitHub credentials unchecked when the running server sweeps with its own", async () => {
    const result = await runCli(["redeliver", "--dry-run", "--json"], { cwd: server.dir, env: { LOG_LEVEL: "silent", GITHUB_APP_ID: "123", GITHUB_APP_PRIVATE_KEY: "notapem" } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("swept through the running server at ");
  });

  it("--since and ?since= take what recovery.lookback takes: 1m to 168h, with the units the help names", async () => {
    const help = await cli(["redeliver", "--help"]);
    expect(help.stdout.replace(/\s+/g, " ")).toContain("with a unit: s, m, h or d (default recovery.lookback, 72h; at least 1m, at most 168h)");
    for (const since of ["1s", "59s"]) {
      const result = await cli(["redeliver", "--dry-run", "--since", since]);
      expect(result, since).toMatchObject({ code: 2, stdout: "", stderr: `switchyard: --since is at least 1m, not "${since}", as recovery.lookback\n` });
      expect(await sweep(`?dry_run=1&since=${since}`)).toEqual({ status: 400, body: { error: { code: "SWY_E_BAD_REQUEST", message: `since is at least 1m, not "${since}", as recovery.lookback` } } });
    }
    expect((await cli(["redeliver", "--dry-run", "--since", "90s", "--json"])).code).toBe(0);
    expect((await sweep("?dry_run=1&since=1m")).status).toBe(200);
    expect(hook.attempts).toEqual([]);
  });
});

describe("switchyard redeliver without a server: what to fix", () => {
  beforeEach(async () => {
    await server.close(); // the database stays; the CLI opens it itself
  });

  it("exits 2 naming the permission when GitHub refuses (403)", async () => {
    fake.failAlways({ path: /\/hooks\/12\/deliveries$/, status: 403, body: { message: "Must have admin rights to Repository." } });
    const result = await cli(["redeliver"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("admin:repo_hook");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("says so when github.dryRun turned the sweep into a listing", async () => {
    hook.record("star", payload(1), { statusCode: 502 });
    const result = await runCli(["redeliver"], { cwd: server.dir, env: { LOG_LEVEL: "silent", SWITCHYARD_DRY_RUN: "true" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/would redeliver 1/);
    expect(result.stderr).toContain("switchyard: github.dryRun is on (the config, or SWITCHYARD_DRY_RUN): the sweep only listed what it would ask for; turn it off to redeliver");
    expect(hook.attempts).toEqual([]);
  });

  it("on SQLite only lists what is missing, asks GitHub for nothing and exits 2: no listener would receive the redeliveries", async () => {
    const missed = hook.record("star", payload(1), { at: Date.now() - 2 * HOUR, statusCode: 502 });
    const result = await cli(["redeliver", "--json"]);
    expect(result.code, result.stderr).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: expect.stringContaining("no switchyard serve runs on this database"), dry_run: true, hooks: [{ guids: [missed.guid], redelivered: 0 }] });
    expect(result.stderr).toMatch(/^switchyard: no switchyard serve runs on this database, so the sweep only listed what it would ask for \(1 delivery\).*Start serve, then run redeliver again/);
    expect(hook.attempts).toEqual([]);
    // No ask was recorded against the delivery's 3.
    const reopened = createSqliteStore(server.dbFile, { readonly: true });
    try {
      expect(reopened.db.prepare("SELECT COUNT(*) AS n FROM redeliveries").get()).toEqual({ n: 0 });
    } finally {
      await reopened.close();
    }
    // Nothing missing: nothing to say beyond the listing, exit 0.
    const nothing = await cli(["redeliver", "--since", "1h"]);
    expect(nothing.code, nothing.stderr).toBe(0);
  });

  it("exits 2 when the hook does not exist (404), saying where its id is", async () => {
    fake.failAlways({ path: /\/hooks\/12\/deliveries$/, status: 404 });
    const result = await cli(["redeliver", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: expect.stringContaining("no such hook"), hooks: [{ hook: "octo/hello#12", errors: [{ kind: "not_found" }] }] });
    expect(result.stderr).toMatch(/no such hook.*settings\/hooks\/12/);
    // Said once, as a plain line, at the default log level too: not again as a log line.
    const atInfo = await runCli(["redeliver"], { cwd: server.dir, env: {} });
    expect(atInfo.code).toBe(2);
    expect(atInfo.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^switchyard: .*no such hook/)]);
  });

  it("exits 2 without credentials, and 1 when GitHub cannot be reached", async () => {
    writeFileSync(path.join(server.dir, "switchyard.config.yaml"), JSON.stringify({ store: { url: `sqlite:${server.dbFile}` }, recovery: { hooks: [HOOK] } }));
    const noCredentials = await cli(["redeliver"]);
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toMatch(/no GitHub credentials.*admin:repo_hook/);

    // The App's own hook with a token only: what is missing is the App's credentials, not credentials.
    writeFileSync(path.join(server.dir, "switchyard.config.yaml"), JSON.stringify({ store: { url: `sqlite:${server.dbFile}` }, github: { token: "t", apiUrl: "http://127.0.0.1:2" }, recovery: { hooks: [{ app: true }] } }));
    const appWithToken = await cli(["redeliver"]);
    expect(appWithToken.code).toBe(2);
    expect(appWithToken.stderr).toContain("hook app: the App's own webhook is read with the App's credentials, and only GITHUB_TOKEN is set: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY");

    writeFileSync(path.join(server.dir, "switchyard.config.yaml"), JSON.stringify({ store: { url: `sqlite:${server.dbFile}` }, github: { token: "t", apiUrl: "http://127.0.0.1:2" }, recovery: { hooks: [HOOK] } }));
    const unreachable = await cli(["redeliver"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/could not reach GitHub at http:\/\/127\.0\.0\.1:2/);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 1 saying github.apiUrl answered something else than GitHub's list, not that GitHub could not be reached", async () => {
    const { createServer } = await import("node:http");
    const notGithub = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"hello":"proxy"}'));
    await new Promise<void>((resolve) => notGithub.listen(0, "127.0.0.1", resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(notGithub.address() as { port: number }).port}`;
      writeFileSync(path.join(server.dir, "switchyard.config.yaml"), JSON.stringify({ store: { url: `sqlite:${server.dbFile}` }, github: { token: "t", apiUrl }, recovery: { hooks: [HOOK] } }));
      const result = await cli(["redeliver"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${apiUrl} answered 200 with something that is not a list of hook deliveries: check github.apiUrl`);
      expect(result.stderr).not.toContain("could not reach");
    } finally {
      notGithub.close();
    }
  });

  it("exits 2 on a GitHub App key that cannot sign, as serve would, before asking GitHub anything", async () => {
    fake.clearRequests();
    const result = await runCli(["redeliver"], { cwd: server.dir, env: { LOG_LEVEL: "silent", GITHUB_APP_ID: "123", GITHUB_APP_PRIVATE_KEY: "notapem" } });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^switchyard: environment: GITHUB_APP_PRIVATE_KEY="…" \(github\.privateKey\): not a private key switchyard can read: write a PEM RSA key/);
    expect(result.stderr).not.toContain("notapem");
    // Nothing with the App's credentials: the running test server's own identity lookup
    // (with its token, at any moment after its start) is not the CLI's.
    expect(fake.requests.filter((r) => r.authorization !== "token ghp_test")).toEqual([]);
  });

  it("exits 2 when recovery.hooks is empty", async () => {
    writeFileSync(path.join(server.dir, "switchyard.config.yaml"), JSON.stringify({ store: { url: `sqlite:${server.dbFile}` } }));
    const result = await cli(["redeliver"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("recovery.hooks is empty");
  });
});
