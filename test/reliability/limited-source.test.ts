import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITED_BODY_LIMIT, refuseWhileLimited } from "../../src/security/failed-auth-limiter.js";
import { signPayload } from "../../src/security/verify-signature.js";
import { exampleOf } from "../support/examples.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

/**
 * A source over its failed-auth limit may still send what could verify (GitHub does not
 * retry), but no longer makes the server stream and HMAC 25 MiB per request: it must show a
 * well-formed signature before its body is read, and outside GitHub's hook ranges its body
 * is capped at LIMITED_BODY_LIMIT. Sources are told apart by X-Forwarded-For (trustProxy).
 */

const OUTSIDE = "203.0.113.7";
const GITHUB = "140.82.115.9";
const MiB = 1024 ** 2;
const WELL_FORMED_WRONG = `sha256=${"ab".repeat(32)}`;

/** Sends only the headers of a POST declaring `length` body bytes and returns the first answer, or null after `waitMs`. */
async function headersOnly(url: string, headers: Record<string, string>, waitMs = 15_000): Promise<string | null> {
  const { port } = new URL(url);
  const socket = connect({ port: Number(port), host: "127.0.0.1" });
  socket.on("error", () => undefined);
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${lines.join("")}\r\n`);
  try {
    await waitFor(() => text.includes("\r\n\r\n") && text.trimEnd().endsWith("}"), waitMs);
    return text;
  } catch {
    return null;
  } finally {
    socket.destroy();
  }
}

function padded(bytes: number): string {
  const payload = exampleOf("issues", "opened") as unknown as Record<string, unknown>;
  // A nonce of its own, so no two bodies share a signature (that would be a replay).
  const nonce = Math.random().toString(36);
  const base = JSON.stringify({ ...payload, nonce, padding: "" });
  return JSON.stringify({ ...payload, nonce, padding: "x".repeat(Math.max(0, bytes - base.length)) });
}

describe("refuseWhileLimited (what a limited source may send)", () => {
  const bodyLimit = 25 * MiB;
  it.each([
    ["no signature", { signature: undefined, contentLength: "10", fromHookRanges: true }, /well-formed/],
    ["a SHA-1 signature", { signature: "sha1=0123", contentLength: "10", fromHookRanges: true }, /well-formed/],
    ["two signatures", { signature: `${WELL_FORMED_WRONG}, ${WELL_FORMED_WRONG}`, contentLength: "10", fromHookRanges: true }, /well-formed/],
    ["a chunked body from outside the ranges", { signature: WELL_FORMED_WRONG, contentLength: undefined, fromHookRanges: false }, /Content-Length of at most 262144/],
    ["a large body from outside the ranges", { signature: WELL_FORMED_WRONG, contentLength: String(LIMITED_BODY_LIMIT + 1), fromHookRanges: false }, /Content-Length/],
    ["a malformed Content-Length", { signature: WELL_FORMED_WRONG, contentLength: "1e3", fromHookRanges: false }, /Content-Length/],
  ])("refuses %s", (_name, request, reason) => {
    expect(refuseWhileLimited({ ...request, bodyLimit })).toMatch(reason);
  });
  it.each([
    ["a small body from anywhere", { signature: WELL_FORMED_WRONG, contentLength: String(LIMITED_BODY_LIMIT), fromHookRanges: false }],
    ["a 25 MiB body from GitHub's ranges", { signature: WELL_FORMED_WRONG, contentLength: String(25 * MiB), fromHookRanges: true }],
    ["a chunked body from GitHub's ranges", { signature: WELL_FORMED_WRONG, contentLength: undefined, fromHookRanges: true }],
  ])("lets through %s", (_name, request) => {
    expect(refuseWhileLimited({ ...request, bodyLimit })).toBeNull();
  });
});

describe("a limited source on a live server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ server: { trustProxy: true }, security: { failedAuth: { max: 1, windowMs: 600_000 } } }, undefined, { role: "ingest" });
    // Two failed checks each: both addresses are over the limit of 1.
    for (const ip of [OUTSIDE, GITHUB]) {
      for (let i = 0; i < 2; i++) {
        const res = await server.deliver("issues", exampleOf("issues", "opened"), { secret: "wrong", headers: { "x-forwarded-for": ip } });
        expect(res.status).toBe(401);
      }
    }
  });
  afterAll(async () => {
    await server.stop();
  });

  const base = (ip: string) => ({ "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": `limited-${Math.random()}`, "x-forwarded-for": ip });

  it("outside GitHub's ranges, a large body is refused 429 before a byte of it is read", async () => {
    // Only the headers are sent: an answer proves the body was never waited for.
    const answer = await headersOnly(server.webhookUrl, { ...base(OUTSIDE), "x-hub-signature-256": WELL_FORMED_WRONG, "content-length": String(10 * MiB) });
    expect(answer, "no answer: the server waited for the 10 MiB body").not.toBeNull();
    expect(answer).toMatch(/^HTTP\/1\.1 429 /);
    expect(answer).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(answer).toMatch(/"code":"SWY_E_RATE_LIMITED"/);
    expect(answer).toMatch(/Content-Length of at most 262144 bytes/);
  });

  it("from anywhere, a malformed signature is refused 429 before the body is read", async () => {
    const answer = await headersOnly(server.webhookUrl, { ...base(GITHUB), "x-hub-signature-256": "sha256=nothex", "content-length": String(10 * MiB) });
    expect(answer, "no answer: the server waited for the body").not.toBeNull();
    expect(answer).toMatch(/^HTTP\/1\.1 429 /);
    expect(answer).toMatch(/well-formed X-Hub-Signature-256/);
  });

  it("a correctly signed delivery is still accepted: large from GitHub's ranges, small from elsewhere", async () => {
    const large = await server.deliver("issues", null, { raw: padded(2 * MiB), headers: { "x-forwarded-for": GITHUB } });
    expect(large.status).toBe(202);
    const small = await server.deliver("issues", null, { raw: padded(100 * 1024), headers: { "x-forwarded-for": OUTSIDE } });
    expect(small.status).toBe(202);
  });

  it("an unsigned request from a limited source is answered 429 but counted as the missing signature it is", async () => {
    const counted = async (outcome: string) => Number(new RegExp(`^switchyard_deliveries_total\\{event="unknown",outcome="${outcome}"\\} (\\d+)$`, "m").exec(await (await fetch(`${server.adminUrl}/metrics`)).text())?.[1] ?? 0);
    const before = await server.store.readKpiCounts!({ since: 0, until: Date.now() + 1 });
    const [missingBefore, limitedBefore] = [await counted("rejected_missing_signature"), await counted("rejected_rate_limited")];
    const res = await server.deliver("issues", exampleOf("issues", "opened"), { headers: { "x-forwarded-for": OUTSIDE, "x-hub-signature-256": undefined } });
    expect(res.status).toBe(429);
    expect(await counted("rejected_missing_signature")).toBe(missingBefore + 1);
    expect(await counted("rejected_rate_limited")).toBe(limitedBefore);
    // And in the durable counters the security KPI reads (written about once a second).
    await waitFor(async () => {
      const after = await server.store.readKpiCounts!({ since: 0, until: Date.now() + 1 });
      return (after.rejections.missing_signature ?? 0) === (before.rejections.missing_signature ?? 0) + 1;
    });
  });

  it("the trade-off: a correctly signed large delivery from a limited address outside GitHub's ranges is refused 429", async () => {
    const body = padded(2 * MiB);
    const res = await server.deliver("issues", null, { raw: body, headers: { "x-forwarded-for": OUTSIDE, "x-hub-signature-256": signPayload(TEST_SECRET, body) } });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe("SWY_E_RATE_LIMITED");
  });
});
