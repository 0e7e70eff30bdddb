import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { signPayload } from "../../src/security/verify-signature.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/start-test-server.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples") as { name: string; examples: Record<string, unknown>[] }[];
const ROUTED_EVENTS = ["issues", "issue_comment", "pull_request", "push", "pull_request_review", "workflow_run"];

async function storedDeliveries(server: TestServer): Promise<string[]> {
  const store = createSqliteStore(server.dbFile, { readonly: true });
  try {
    return (await store.listDeliveries({ limit: 100_000 })).map((d) => d.id);
  } finally {
    await store.close();
  }
}

describe("ingest: every routed example payload", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  const cases = examples
    .filter((group) => ROUTED_EVENTS.includes(group.name))
    .flatMap((group) => group.examples.map((payload, i) => ({ event: group.name, payload, label: `${group.name}.${String(payload.action ?? "-")}#${i}` })));

  it("accepts each example once, answers 202 with the routing, and stores it", async () => {
    expect(cases.length).toBeGreaterThan(70);
    const ids: string[] = [];
    for (const { event, payload, label } of cases) {
      const delivery = `example-${label}`;
      const res = await server.deliver(event, payload, { delivery });
      expect(res.status, label).toBe(202);
      expect(res.body.delivery).toBe(delivery);
      expect(res.body.duplicate).toBe(false);
      expect(Array.isArray(res.body.routed)).toBe(true);
      for (const routed of res.body.routed) {
        expect(Object.keys(routed)).toEqual(expect.arrayContaining(["rule", "agent", "priority", "action", "task"]));
        expect(typeof routed.task).toBe("string");
      }
      ids.push(delivery);
    }
    const stored = await storedDeliveries(server);
    for (const id of ids) expect(stored.filter((s) => s === id)).toHaveLength(1);
  });

  it("routes issues.opened to IssueAgent in the 202", async () => {
    const payload = cases.find((c) => c.event === "issues" && c.payload.action === "opened")!.payload;
    const res = await server.deliver("issues", { ...payload, marker: "routing" });
    expect(res.status).toBe(202);
    expect(res.body.routed).toEqual([expect.objectContaining({ rule: "issue-opened", agent: "IssueAgent", priority: "high", action: "Analyze and auto-label" })]);
  });

  it("answers a redelivery (same id) and a replay (same body, new id) as duplicates, running nothing", async () => {
    const payload = { ...cases.find((c) => c.event === "issues" && c.payload.action === "opened")!.payload, marker: "dup" };
    const first = await server.deliver("issues", payload, { delivery: "dup-1" });
    expect(first.status).toBe(202);
    const redelivery = await server.deliver("issues", payload, { delivery: "dup-1" });
    expect(redelivery).toMatchObject({ status: 200, body: { delivery: "dup-1", duplicate: true } });
    expect(redelivery.body).not.toHaveProperty("duplicate_of");
    // The replay's own id was never stored: the answer names the delivery that was.
    const replay = await server.deliver("issues", payload, { delivery: "dup-2" });
    expect(replay).toMatchObject({ status: 200, body: { delivery: "dup-2", duplicate: true, duplicate_of: "dup-1" } });
    const stored = await storedDeliveries(server);
    expect(stored.filter((id) => id === "dup-1")).toHaveLength(1);
    expect(stored).not.toContain("dup-2");
    const tasks = (await server.store.listTasks({ delivery: "dup-1", limit: 10 })).length;
    expect(tasks).toBe(1);
  });

  it("accepts the same id sent twice at the same moment exactly once", async () => {
    const payload = { ...cases[0]!.payload, marker: "race" };
    const results = await Promise.all([1, 2, 3, 4].map(() => server.deliver(cases[0]!.event, payload, { delivery: "race-1" })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 202]);
  });

  it("answers ping with pong", async () => {
    const res = await server.deliver("ping", { zen: "Keep it logically awesome.", hook_id: 1 });
    expect(res.status).toBe(200);
    expect(res.body.pong).toBe(true);
  });

  it("accepts a form-encoded delivery (payload=)", async () => {
    const json = JSON.stringify({ ...cases[0]!.payload, marker: "form" });
    const raw = new URLSearchParams({ payload: json }).toString();
    const res = await server.deliver(cases[0]!.event, null, { raw, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(202);
  });
});

describe("ingest: hostile requests", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ server: { bodyLimit: "64kb" }, security: { failedAuth: { max: 1000, windowMs: 60_000 } } });
  });
  afterAll(async () => {
    await server.stop();
  });

  const good = JSON.stringify({ action: "opened", issue: { number: 1, title: "x" }, repository: { full_name: "o/r" } });
  const sig = signPayload(TEST_SECRET, good);

  const hostile: { name: string; options: Parameters<TestServer["deliver"]>[2]; status: number; code: string }[] = [
    { name: "wrong secret", options: { raw: good, secret: "not-the-secret" }, status: 401, code: "SWY_E_BAD_SIGNATURE" },
    { name: "no signature", options: { raw: good, headers: { "x-hub-signature-256": undefined } }, status: 401, code: "SWY_E_BAD_SIGNATURE" },
    {
      name: "SHA-1 signature only",
      options: { raw: good, headers: { "x-hub-signature-256": undefined, "x-hub-signature": "sha1=0123456789abcdef0123456789abcdef01234567" } },
      status: 401,
      code: "SWY_E_BAD_SIGNATURE",
    },
    { name: "short signature", options: { raw: good, headers: { "x-hub-signature-256": "sha256=abc" } }, status: 401, code: "SWY_E_BAD_SIGNATURE" },
    { name: "non-hex signature", options: { raw: good, headers: { "x-hub-signature-256": `sha256=${"z".repeat(64)}` } }, status: 401, code: "SWY_E_BAD_SIGNATURE" },
    { name: "signature without prefix", options: { raw: good, headers: { "x-hub-signature-256": sig.slice(7) } }, status: 401, code: "SWY_E_BAD_SIGNATURE" },
    { name: "joined signatures", options: { raw: good, headers: { "x-hub-signature-256": `${sig}, ${sig}` } }, status: 401, code: "SWY_E_BAD_SIGNATURE" },
    { name: "body changed after signing", options: { raw: good.replace("opened", "closed"), headers: { "x-hub-signature-256": sig } }, status: 401, code: "SWY_E_BAD_SIGNATURE" },
    { name: "text/plain", options: { raw: good, headers: { "content-type": "text/plain" } }, status: 415, code: "SWY_E_UNSUPPORTED_MEDIA_TYPE" },
    { name: "no content type", options: { raw: good, headers: { "content-type": undefined } }, status: 415, code: "SWY_E_UNSUPPORTED_MEDIA_TYPE" },
    // A proxy that compresses would otherwise fail the signature check and blame the secret.
    { name: "Content-Encoding gzip", options: { raw: good, headers: { "content-encoding": "gzip" } }, status: 415, code: "SWY_E_UNSUPPORTED_MEDIA_TYPE" },
    { name: "no X-GitHub-Event", options: { raw: good, headers: { "x-github-event": undefined } }, status: 400, code: "SWY_E_MISSING_HEADER" },
    { name: "no X-GitHub-Delivery", options: { raw: good, headers: { "x-github-delivery": undefined } }, status: 400, code: "SWY_E_MISSING_HEADER" },
    // Node joins a repeated header with ", ": the joined value is refused like a missing one.
    { name: "X-GitHub-Event over 64 characters", options: { raw: good, headers: { "x-github-event": `issues${"_x".repeat(30)}` } }, status: 400, code: "SWY_E_MISSING_HEADER" },
    // Node reads header bytes as Latin-1: such an id would be stored garbled.
    { name: "X-GitHub-Delivery that is not ASCII", options: { raw: good, headers: { "x-github-delivery": "d\u00e9livery" } }, status: 400, code: "SWY_E_MISSING_HEADER" },
    { name: "repeated X-GitHub-Event", options: { raw: good, headers: { "x-github-event": "issues, push" } }, status: 400, code: "SWY_E_MISSING_HEADER" },
    { name: "repeated X-GitHub-Delivery, bad signature", options: { raw: good, secret: "wrong", headers: { "x-github-delivery": "a, b" } }, status: 400, code: "SWY_E_MISSING_HEADER" },
    { name: "body over the limit", options: { raw: JSON.stringify({ pad: "x".repeat(70 * 1024) }) }, status: 413, code: "SWY_E_BODY_TOO_LARGE" },
    { name: "signed body that is not JSON", options: { raw: "not json {" }, status: 400, code: "SWY_E_BAD_PAYLOAD" },
    { name: "signed JSON array", options: { raw: "[1,2,3]" }, status: 400, code: "SWY_E_BAD_PAYLOAD" },
    { name: "signed JSON string", options: { raw: '"hello"' }, status: 400, code: "SWY_E_BAD_PAYLOAD" },
    { name: "signed empty body", options: { raw: "" }, status: 400, code: "SWY_E_BAD_PAYLOAD" },
    // An issues payload labelled push would be routed as a push and an agent act on it.
    { name: "payload that is not the event's", options: { raw: good, headers: { "x-github-event": "push" } }, status: 400, code: "SWY_E_BAD_PAYLOAD" },
    {
      name: "form without payload=",
      options: { raw: "other=1", headers: { "content-type": "application/x-www-form-urlencoded" } },
      status: 400,
      code: "SWY_E_BAD_PAYLOAD",
    },
    { name: "GET", options: { method: "GET" }, status: 405, code: "SWY_E_METHOD_NOT_ALLOWED" },
    { name: "PUT", options: { raw: good, method: "PUT" }, status: 405, code: "SWY_E_METHOD_NOT_ALLOWED" },
  ];

  it.each(hostile)("$name → $status $code", async ({ options, status, code }) => {
    const delivery = `hostile-${code}-${status}-${Math.random()}`;
    const res = await server.deliver("issues", null, { ...options, delivery });
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(res.body.error.message).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
    expect(await storedDeliveries(server)).not.toContain(delivery);
  });

  it("stores nothing hostile and stays healthy", async () => {
    expect(await storedDeliveries(server)).toEqual([]);
    const health = await fetch(`${server.adminUrl}/healthz`);
    expect(health.status).toBe(200);
    const res = await server.deliver("issues", null, { raw: good });
    expect(res.status).toBe(202);
  });

  it("says why a compressed body is refused, and takes Content-Encoding: identity", async () => {
    const gzip = await server.deliver("issues", null, { raw: good, headers: { "content-encoding": "gzip" } });
    expect(gzip.body.error.message).toBe("Content-Encoding gzip is not supported: GitHub sends webhook bodies uncompressed and signs them so; turn off compression in whatever forwards them");
    const identity = await server.deliver("issues", null, { raw: JSON.stringify({ ...JSON.parse(good), identity: true }), delivery: `identity-${Math.random()}`, headers: { "content-encoding": "identity" } });
    expect(identity.status).toBe(202);
  });

  it("answers unknown paths 404 in JSON", async () => {
    const res = await fetch(server.webhookUrl.replace("/webhooks/github", "/nope"), { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "SWY_E_NOT_FOUND" } });
    // A payload URL with a trailing slash is told where the webhooks go.
    const slash = await fetch(server.webhookUrl + "/", { method: "POST" });
    expect(slash.status).toBe(404);
    expect(((await slash.json()) as { error: { message: string } }).error.message).toBe(
      "nothing at POST /webhooks/github/: this listener takes webhooks at POST /webhooks/github (server.path); check the webhook's payload URL",
    );
  });
});

describe("ingest: failed-verification limiting", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ security: { failedAuth: { max: 3, windowMs: 60_000 } } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("answers 429 with Retry-After past the limit, yet still accepts correctly signed deliveries", async () => {
    const body = JSON.stringify({ action: "opened", issue: { number: 2 }, repository: { full_name: "o/r" } });
    // max 3: failures one to four answer 401; with more than 3 on record, the next is refused.
    for (let i = 0; i < 4; i++) expect((await server.deliver("issues", null, { raw: body, secret: "wrong" })).status).toBe(401);
    const limited = await server.deliver("issues", null, { raw: body, secret: "wrong" });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("SWY_E_RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const noType = await server.deliver("issues", null, { raw: body, headers: { "content-type": "text/plain" } });
    expect(noType.status).toBe(429);
    const signed = await server.deliver("issues", null, { raw: body });
    expect(signed.status).toBe(202);
  });
});

describe("ingest: secret rotation", () => {
  it("verifies with any configured secret", async () => {
    const server = await startTestServer({}, ["new-secret", "old-secret"]);
    try {
      expect((await server.deliver("ping", { zen: "old" }, { secret: "old-secret" })).status).toBe(200);
      expect((await server.deliver("ping", { zen: "new" }, { secret: "new-secret" })).status).toBe(200);
      expect((await server.deliver("ping", { zen: "other" }, { secret: "retired-secret" })).status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});
