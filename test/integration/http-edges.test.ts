import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createFailedAuthLimiter } from "../../src/security/failed-auth-limiter.js";
import { createWebhookServer } from "../../src/http/create-webhook-server.js";
import { startServer } from "../../src/app/start-server.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/start-test-server.js";
import { signPayload } from "../../src/security/verify-signature.js";

/** Sends raw bytes and returns the raw response text (for what fetch refuses to send). */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

function methodRequest(url: string, method: string): Promise<{ status: number; allow: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function bodyOf(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));
}

describe("HTTP edges keep the error contract", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, undefined, { role: "ingest" });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("answers any method but POST on the webhook path 405 with Allow: POST, also those Fastify has no table for", async () => {
    for (const method of ["PROPFIND", "TRACE", "PUT"]) {
      const res = await methodRequest(server.webhookUrl, method);
      expect(res.status, method).toBe(405);
      expect(res.allow).toBe("POST");
      expect(JSON.parse(res.body).error.code).toBe("SWY_E_METHOD_NOT_ALLOWED");
    }
    // Other paths stay 404.
    expect((await methodRequest(server.webhookUrl.replace("/github", "/gitlab"), "PROPFIND")).status).toBe(404);
  });

  it("answers an undecodable URL and a header with control characters in the JSON error shape", async () => {
    const { port } = new URL(server.webhookUrl);
    const badUrl = await rawExchange(server.webhookUrl, `POST /webhooks/github% HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    expect(badUrl).toMatch(/^HTTP\/1\.1 400/);
    expect(bodyOf(badUrl)).toMatchObject({ error: { code: "SWY_E_BAD_REQUEST" } });
    const control = await rawExchange(server.webhookUrl, `POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nx-github-delivery: id\u0001x\r\ncontent-length: 0\r\n\r\n`);
    expect(control).toMatch(/^HTTP\/1\.1 400/);
    expect(bodyOf(control)).toMatchObject({ error: { code: "SWY_E_BAD_REQUEST" } });
    expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200);
  });

  it("bad bytes pipelined after a delivery do not answer for it: its own 202 goes out alone, then the connection closes", async () => {
    const { port } = new URL(server.webhookUrl);
    const delivery = "pipelined-then-junk";
    const request = (payload: string) => `POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nx-github-event: issues\r\nx-github-delivery: ${delivery}\r\nx-hub-signature-256: ${signPayload(TEST_SECRET, payload)}\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
    for (const junk of ["x", "\u0001\r\n\r\n"]) {
      const id = `${delivery}-${junk.length}`;
      const payload = JSON.stringify({ ...exampleOf("issues", "opened"), marker: id });
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => socket.write(request(payload).replace(delivery, id) + junk));
        let text = "";
        socket.on("data", (chunk) => (text += chunk.toString()));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
      expect(raw, JSON.stringify(junk)).toMatch(/^HTTP\/1\.1 202 /);
      expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      expect(await server.store.getDelivery(id)).not.toBeNull();
    }
  });

  it("refuses the delivery ids . and .. (dot segments in a URL: never readable or replayable by id) and takes ... ", async () => {
    for (const id of [".", ".."]) {
      const res = await server.deliver("issues", { ...exampleOf("issues", "opened"), marker: `dots-${id.length}` }, { delivery: id });
      expect(res.status, id).toBe(400);
      expect((res.body as { error: { code: string } }).error.code).toBe("SWY_E_MISSING_HEADER");
    }
    const three = await server.deliver("issues", { ...exampleOf("issues", "opened"), marker: "dots-3" }, { delivery: "..." });
    expect(three.status).toBe(202);
  });

  it("refuses a form-encoded body that starts with { (a retry or replay would read it as JSON, and fail) 400", async () => {
    const payload = JSON.stringify({ ...exampleOf("issues", "opened"), marker: "form-brace" });
    const body = `{=1&payload=${encodeURIComponent(payload)}`;
    const res = await fetch(server.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-github-event": "issues", "x-github-delivery": "form-brace", "x-hub-signature-256": signPayload(TEST_SECRET, body) },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "SWY_E_BAD_PAYLOAD", message: expect.stringMatching(/^form-encoded body starts with \{/) });
    expect(await server.store.getDelivery("form-brace")).toBeNull();
  });

  it("refuses a compressed transfer coding (gzip, chunked) 415, as it does Content-Encoding, not as a bad signature", async () => {
    const { port } = new URL(server.webhookUrl);
    const raw = await rawExchange(
      server.webhookUrl,
      `POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nx-github-event: issues\r\nx-github-delivery: gzip-te\r\nx-hub-signature-256: sha256=${"0".repeat(64)}\r\ntransfer-encoding: gzip, chunked\r\nconnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 415 /);
    expect(bodyOf(raw)).toMatchObject({ error: { code: "SWY_E_UNSUPPORTED_MEDIA_TYPE", message: expect.stringMatching(/^Transfer-Encoding gzip is not supported/) } });
  });

  it("answers headers over Node's size limit 431 SWY_E_HEADERS_TOO_LARGE, in the JSON error shape", async () => {
    const { port } = new URL(server.webhookUrl);
    // Node's default limit is 16 KiB of headers.
    const raw = await rawExchange(server.webhookUrl, `POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nx-padding: ${"a".repeat(20_000)}\r\ncontent-length: 0\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(raw).toMatch(/\r\ncontent-type: application\/json/);
    expect(bodyOf(raw)).toMatchObject({ error: { code: "SWY_E_HEADERS_TOO_LARGE", message: expect.stringMatching(/headers are too large/) } });
  });

  it("bad bytes that keep coming while an answer is pending are read no further: one answer, then the connection closes, nothing piles up", async () => {
    const { config, rules } = parseConfig({ server: { host: "127.0.0.1", port: 0 } });
    // A store that takes its time, so that the answer is pending while the junk arrives.
    const store = {
      accept: async (delivery: { id: string }) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { duplicate: false, delivery: delivery.id, tasks: [] };
      },
    } as unknown as Store;
    const app = createWebhookServer({ config, rules, store, secrets: [TEST_SECRET], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger: createLogger("silent") });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const payload = JSON.stringify({ zen: "slow store" });
      const request = `POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nx-github-event: ping\r\nx-github-delivery: slow-junk\r\nx-hub-signature-256: ${signPayload(TEST_SECRET, payload)}\r\ncontent-length: ${payload.length}\r\n\r\n${payload}`;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", async () => {
          socket.write(request);
          for (let i = 0; i < 15 && !socket.destroyed; i++) {
            socket.write("\u0001junk\r\n");
            await new Promise((r) => setTimeout(r, 10));
          }
        });
        let text = "";
        socket.on("data", (chunk) => (text += chunk.toString()));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 200 /);
      expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
      await app.close();
    }
  });

  it("looks for overdue requests every 5 s, not Node's 30 (a stalled sender was cut off after 60–90 s)", async () => {
    const { config, rules } = parseConfig({ server: { host: "127.0.0.1", port: 0 } });
    const app = createWebhookServer({ config, rules, store: {} as Store, secrets: ["s"], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger: createLogger("silent") });
    try {
      expect(app.server.requestTimeout).toBe(60_000);
      expect((app.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval).toBe(5_000);
    } finally {
      await app.close();
    }
  });

  it("answers a request that stalls past the request timeout 408 SWY_E_REQUEST_TIMEOUT, in the JSON error shape", async () => {
    const { config, rules } = parseConfig({ server: { host: "127.0.0.1", port: 0 } });
    const app = createWebhookServer({ config, rules, store: {} as Store, secrets: ["s"], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger: createLogger("silent") });
    // The real 60 s (headers and whole request alike), checked every 30 s, made short; Node
    // reads the interval when the server starts listening.
    app.server.requestTimeout = 300;
    app.server.headersTimeout = 300;
    (app.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 50;
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    try {
      const socket = connect({ port, host: "127.0.0.1" });
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      // Headers in full, then only part of the promised body, and nothing more.
      socket.write(`POST /webhooks/github HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-github-event: ping\r\nx-github-delivery: d1\r\ncontent-length: 100\r\n\r\n{"zen":`);
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
      expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(bodyOf(text)).toMatchObject({ error: { code: "SWY_E_REQUEST_TIMEOUT", message: expect.stringMatching(/took too long/) } });
    } finally {
      await app.close();
    }
  });

  it("releases the connection of a malformed request even when the client keeps its side open", async () => {
    const { config, rules } = parseConfig({ server: { host: "127.0.0.1", port: 0 } });
    const app = createWebhookServer({ config, rules, store: {} as Store, secrets: ["s"], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger: createLogger("silent") });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    // allowHalfOpen: this client never ends its side of the connection.
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(`POST /webhooks/github HTTP/1.1\r\nhost: x\r\nx-github-delivery: id\u0001x\r\ncontent-length: 0\r\n\r\n`);
    await new Promise<void>((resolve) => socket.once("end", () => resolve()));
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    const started = Date.now();
    while ((await connections()) > 0 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 20));
    expect(await connections()).toBe(0);
    // So a graceful close does not wait on it.
    await app.close();
    socket.destroy();
  });

  it("tells a sender with only a SHA-1 signature what is missing", async () => {
    const res = await server.deliver("issues", exampleOf("issues", "opened"), { headers: { "x-hub-signature-256": undefined, "x-hub-signature": "sha1=0123456789abcdef0123456789abcdef01234567" } });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "SWY_E_BAD_SIGNATURE", message: expect.stringMatching(/only a SHA-1 signature \(X-Hub-Signature\)/) });
  });

  it("tells a sender whose body changed after signing, or whose signature lacks its prefix, what to look at", async () => {
    const payload = exampleOf("issues", "opened");
    const signed = JSON.stringify(payload, null, 2);
    // Signed pretty-printed, sent as curl -d would (newlines stripped): the bytes differ.
    const res = await server.deliver("issues", payload, { raw: signed.replace(/\n/g, ""), headers: { "x-hub-signature-256": signPayload(TEST_SECRET, signed) } });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe(
      "signature does not match any configured secret: check WEBHOOK_SECRET on both sides, and that the body is sent byte for byte as signed (curl -d strips newlines: use --data-binary @file)",
    );
    const bare = await server.deliver("issues", payload, { headers: { "x-hub-signature-256": signPayload(TEST_SECRET, JSON.stringify(payload)).slice("sha256=".length) } });
    expect(bare.status).toBe(401);
    expect(bare.body.error.message).toBe("the signature lacks its sha256= prefix: expected sha256=<64 hex>: check WEBHOOK_SECRET on both sides");
  });

  it("refuses a query parameter given twice with 400, on both admin lists", async () => {
    for (const path of ["/api/tasks?agent=a&agent=b", "/api/tasks?delivery=a&delivery=b", "/api/deliveries?status=failed&status=pending"]) {
      const res = await fetch(server.adminUrl + path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "SWY_E_BAD_REQUEST", message: expect.stringMatching(/given more than once/) });
    }
  });

  it("refuses a query parameter a route does not take with 400 naming what it takes, instead of ignoring it", async () => {
    const cases: [string, string, string][] = [
      ["GET", "/api/deliveries?action=opened", "unknown query parameter action: this route takes limit, status, event, repository, number, before"],
      ["GET", "/api/deliveries?stauts=failed", "unknown query parameter stauts: this route takes limit, status, event, repository, number, before; did you mean status?"],
      ["GET", "/api/tasks?agnet=IssueAgent", "unknown query parameter agnet: this route takes limit, status, agent, delivery, before; did you mean agent?"],
      ["GET", "/api/kpi?window=24h", "unknown query parameter window: this route takes since"],
      ["POST", "/api/prune?dryrun=1", "unknown query parameter dryrun: this route takes dry_run; did you mean dry_run?"],
    ];
    for (const [method, path, message] of cases) {
      const res = await fetch(server.adminUrl + path, { method });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error, path).toEqual({ code: "SWY_E_BAD_REQUEST", message });
    }
    // What the CLI and the dashboard send is still taken.
    for (const path of ["/api/deliveries?limit=5&status=failed&event=issues&repository=octo%2Fhello", "/api/tasks?status=dead&limit=5&agent=IssueAgent&delivery=x", "/api/kpi?since=24h"]) {
      expect((await fetch(server.adminUrl + path)).status, path).toBe(200);
    }
  });
});

describe("logs", () => {
  it("a failed signature check is logged with the delivery id it claimed", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const { config, rules } = parseConfig({});
    const app = createWebhookServer({ config, rules, store: {} as Store, secrets: ["s"], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger });
    const res = await app.inject({
      method: "POST",
      url: config.server.path,
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d-logged-1", "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      payload: "{}",
    });
    expect(res.statusCode).toBe(401);
    expect(lines.find((l) => l.msg === "signature verification failed")).toMatchObject({ level: 40, delivery: "d-logged-1" });
    await app.close();
  });
});

describe("logs of refusals", () => {
  it("a refused request the route does not log itself gets one info line saying why: a first delivery by hand shows it in the terminal", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const { config, rules } = parseConfig({});
    const app = createWebhookServer({ config, rules, store: {} as Store, secrets: ["s"], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger });
    const wrongType = await app.inject({ method: "POST", url: config.server.path, headers: { "content-type": "text/plain", "x-github-event": "issues", "x-github-delivery": "d-1" }, payload: "{}" });
    expect(wrongType.statusCode).toBe(415);
    const noEvent = await app.inject({ method: "POST", url: config.server.path, headers: { "content-type": "application/json", "x-github-delivery": "d-2" }, payload: "{}" });
    expect(noEvent.statusCode).toBe(400);
    const wrongPath = await app.inject({ method: "POST", url: "/webhook", headers: { "content-type": "application/json" }, payload: "{}" });
    expect(wrongPath.statusCode).toBe(404);
    const refused = lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("webhook request refused"));
    expect(refused).toEqual([
      expect.objectContaining({ level: 30, msg: "webhook request refused: 415 SWY_E_UNSUPPORTED_MEDIA_TYPE", url: config.server.path }),
      expect.objectContaining({ level: 30, msg: "webhook request refused: 400 SWY_E_MISSING_HEADER" }),
      expect.objectContaining({ level: 30, msg: "webhook request refused: 404 SWY_E_NOT_FOUND", url: "/webhook" }),
    ]);
    // A bad signature keeps its own warning, not a second line.
    await app.inject({ method: "POST", url: config.server.path, headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d-3", "x-hub-signature-256": `sha256=${"0".repeat(64)}` }, payload: "{}" });
    expect(lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("webhook request refused"))).toHaveLength(3);
    await app.close();
  });
});

describe("shutdown", () => {
  it("answers a request arriving while shutting down 503 SWY_E_SHUTTING_DOWN, in the error shape, storing nothing", async () => {
    const { config, rules } = parseConfig({});
    const accepted: unknown[] = [];
    const store = { accept: async (...args: unknown[]) => accepted.push(args) } as unknown as Store;
    const app = createWebhookServer({
      config,
      rules,
      store,
      secrets: ["s"],
      limiter: createFailedAuthLimiter(config.security.failedAuth),
      allowlist: null,
      logger: createLogger("silent"),
      isClosing: () => true,
    });
    const res = await app.inject({ method: "POST", url: config.server.path, headers: { "content-type": "application/json" }, payload: "{}" });
    expect(res.statusCode).toBe(503);
    expect(res.headers.connection).toBe("close");
    expect(res.json()).toMatchObject({ error: { code: "SWY_E_SHUTTING_DOWN" } });
    expect(accepted).toEqual([]);
    await app.close();
  });

  it("returns a task cut off by shutdown to ready without using up its retries", async () => {
    // No retries at all: a counted failure would make the task dead.
    const server = await startTestServer(
      { retry: { maxRetries: 0 }, agents: { IssueAgent: { exec: [process.execPath, "-e", "setTimeout(() => {}, 20000)"] } } },
      undefined,
      { pollMs: 50, drainMs: 200 },
    );
    const res = await server.deliver("issues", exampleOf("issues", "opened"));
    const id = res.body.routed[0].task as string;
    const started = Date.now();
    while ((await server.store.listTasks({ status: "running", limit: 1 })).length === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    await server.close();
    const store = createSqliteStore(server.dbFile, { readonly: true });
    try {
      const task = (await store.getTask(id))!;
      expect(task).toMatchObject({ status: "ready", attempts: 1, lastError: expect.stringMatching(/^stopped by a shutdown/) });
      expect(task.attemptLog.map((a) => a.outcome)).toEqual(["shutdown"]);
    } finally {
      await store.close();
      rmSync(server.dir, { recursive: true, force: true });
    }
  });

  it("shuts down even while clients stall half-way through requests, on both listeners", async () => {
    const server = await startTestServer({}, undefined, { role: "ingest" });
    const sockets = [];
    for (const url of [server.webhookUrl, server.adminUrl]) {
      const socket = connect({ port: Number(new URL(url).port), host: "127.0.0.1" });
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write("POST /webhooks/github HTTP/1.1\r\nhost: x\r\n"); // and nothing more
      socket.on("error", () => undefined);
      sockets.push(socket);
    }
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const socket of sockets) socket.destroy();
  });

  it("a serve that cannot listen runs no agent, even with tasks waiting", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-nolisten-"));
    const dbFile = path.join(dir, "s.db");
    const seeded = createSqliteStore(dbFile);
    await seeded.migrate();
    await seeded.accept(
      { id: "d-waiting", signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body: Buffer.from(JSON.stringify(exampleOf("issues", "opened"))), receivedAt: Date.now() },
      [{ rule: "issue-opened", agent: "IssueAgent", action: "triage", priority: "high", idempotencyKey: null }],
      { replayWindowMs: 1000 },
    );
    await seeded.close();
    const ran: string[] = [];
    const loaded = parseConfig({ server: { port: 0, host: "127.0.0.1" }, admin: { port: 0, host: "192.0.2.1" }, store: { url: `sqlite:${dbFile}` } });
    try {
      await expect(
        startServer({ loaded, secrets: ["s"], logger: createLogger("silent"), cwd: dir, env: {}, pollMs: 20, executorFor: () => async (ctx) => void ran.push(ctx.task.id) }),
      ).rejects.toThrow(/admin host 192\.0\.2\.1 is not an address/);
      expect(ran).toEqual([]);
      const after = createSqliteStore(dbFile, { readonly: true });
      expect((await after.listTasks({ limit: 5 }))[0]).toMatchObject({ status: "ready", attempts: 0 });
      await after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the admin API up while running tasks drain: /readyz says draining", async () => {
    const server = await startTestServer({ agents: { IssueAgent: { exec: [process.execPath, "-e", "setTimeout(() => {}, 1500)"] } } }, undefined, { pollMs: 50 });
    const res = await server.deliver("issues", exampleOf("issues", "opened"));
    expect(res.status).toBe(202);
    // Wait until the agent runs, then begin the shutdown without awaiting it.
    const started = Date.now();
    while ((await server.store.listTasks({ status: "running", limit: 1 })).length === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    const closing = server.stop();
    await new Promise((r) => setTimeout(r, 200));
    const ready = await fetch(`${server.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "draining", role: "all" });
    // The webhook listener no longer takes connections: /healthz says so, not "listening".
    const health = await fetch(`${server.adminUrl}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "draining", webhookListening: false, draining: true });
    await closing;
    await expect(fetch(`${server.adminUrl}/readyz`)).rejects.toThrow();
  });
});
