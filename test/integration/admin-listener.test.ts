import { connect } from "node:net";
import { request as httpRequest } from "node:http";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The admin listener over real HTTP, sent what a browser on another site, a guesser or a
 * careless script would send: node:http lets a test write any Host and Origin.
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the admin API's JSON, read loosely
  body: any;
}

interface AdminRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The source address to send from (any 127.x works on Linux's loopback). */
  from?: string;
}

/** One request with exactly these headers: node:http lets a test write Host and Origin, as a browser on another site would. */
function adminRequest(server: TestServer, path: string, options: AdminRequest = {}): Promise<Answer> {
  const { hostname, port } = new URL(server.adminUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, path, method: options.method ?? "GET", headers: options.headers, localAddress: options.from },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Sends raw bytes and returns the raw response (a body that is declared but never sent). */
function rawExchange(server: TestServer, bytes: string): Promise<string> {
  const { hostname, port } = new URL(server.adminUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString();
      // One answer is all that is wanted; the server may keep the connection open.
      if (/\r\n\r\n[\s\S]*\}$/.test(text)) socket.end();
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

const PR_OPENED = () => {
  const payload = exampleOf("pull_request", "opened");
  payload.pull_request.draft = false;
  return payload;
};

describe("the admin listener without ADMIN_TOKEN: DNS rebinding and cross-site requests", () => {
  let server: TestServer;
  let port: string;
  let deadTask: string;
  const task = async () => (await adminRequest(server, `/api/tasks/${deadTask}`)).body;

  beforeAll(async () => {
    // ReviewAgent is a program that fails with exit 1: a permanent failure, dead at once.
    server = await startTestServer({ agents: { ReviewAgent: { exec: [process.execPath, "-e", "process.exit(1)"] } } });
    port = new URL(server.adminUrl).port;
    const delivery = (await server.deliver("pull_request", PR_OPENED())).body.delivery;
    await waitFor(async () => (await adminRequest(server, `/api/deliveries/${delivery}`)).body.tasks?.[0]?.status === "dead");
    deadTask = (await adminRequest(server, `/api/deliveries/${delivery}`)).body.tasks[0].id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a request addressed to another host name (a rebound DNS name) 403 SWY_E_FORBIDDEN_HOST, saying to set ADMIN_TOKEN", async () => {
    for (const host of ["rebind.evil.example", `evil.example:${port}`, "127.0.0.1.evil.example", "0.0.0.0", "10.1.2.3:9090", "localhost.evil.example"]) {
      for (const path of ["/api/deliveries", "/api/tasks", "/metrics", "/", "/api/kpi"]) {
        const res = await adminRequest(server, path, { headers: { host } });
        expect(res.status, `${host} ${path}`).toBe(403);
        expect(res.body.error.code, `${host} ${path}`).toBe("SWY_E_FORBIDDEN_HOST");
        expect(res.body.error.message).toMatch(/not a loopback name.*set ADMIN_TOKEN to reach the admin listener under another host name/);
        expect(res.body.error.message).toContain(`open it as http://127.0.0.1:${port}/`);
      }
    }
    // Nothing of the data leaks in the refusal.
    const res = await adminRequest(server, "/api/deliveries", { headers: { host: "rebind.evil.example" } });
    expect(JSON.stringify(res.body)).not.toContain("pull_request");
  });

  it("takes every loopback name, with any port or none: localhost, *.localhost, 127.x, [::1]", async () => {
    for (const host of [`127.0.0.1:${port}`, "127.0.0.1", `localhost:${port}`, "LOCALHOST", "localhost.", "dash.localhost:8080", "127.8.9.10:1", "[::1]:9090", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]"]) {
      const res = await adminRequest(server, "/api/deliveries", { headers: { host } });
      expect(res.status, host).toBe(200);
    }
  });

  it("answers an HTTP/1.1 request with no Host at all in its own terms: the probes 200, the API 403 in the error shape (not Node's bare 400)", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const raw = await rawExchange(server, `GET ${path} HTTP/1.1\r\nconnection: close\r\n\r\n`);
      expect(raw, path).toMatch(/^HTTP\/1\.1 200 /);
    }
    const api = await rawExchange(server, "GET /api/deliveries HTTP/1.1\r\nconnection: close\r\n\r\n");
    expect(api).toMatch(/^HTTP\/1\.1 403 /);
    expect(api).toContain("SWY_E_FORBIDDEN_HOST");
  });

  it("keeps /healthz and /readyz open to any Host (probes), and /metrics to a loopback one", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      expect((await adminRequest(server, path, { headers: { host: "10.0.0.7:9090" } })).status, path).toBe(200);
    }
    expect((await adminRequest(server, "/metrics", { headers: { host: `127.0.0.1:${port}` } })).status).toBe(200);
  });

  it("refuses the review's cross-site POST 403 SWY_E_FORBIDDEN_ORIGIN and re-runs nothing", async () => {
    expect((await task()).status).toBe("dead");
    const attempts = (await task()).attempts;
    // The review's request: a form-like text/plain POST from a page on another site.
    const crossSite = await adminRequest(server, "/api/tasks/replay-dead", {
      method: "POST",
      headers: { origin: "https://evil.example", host: `127.0.0.1:${port}`, "content-type": "text/plain" },
      body: "x",
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.code).toBe("SWY_E_FORBIDDEN_ORIGIN");
    // With the rebound name in Host too, the Host check answers first.
    const rebound = await adminRequest(server, "/api/tasks/replay-dead", {
      method: "POST",
      headers: { origin: "https://evil.example", host: `evil.example:${port}`, "content-type": "text/plain" },
      body: "x",
    });
    expect(rebound.body.error.code).toBe("SWY_E_FORBIDDEN_HOST");
    // A sandboxed frame or a file sends Origin: null; a page on another loopback-looking name is still another site.
    for (const origin of ["null", "http://127.0.0.1.evil.example", "not a url"]) {
      const res = await adminRequest(server, `/api/tasks/${deadTask}/replay`, { method: "POST", headers: { origin } });
      expect(res.status, origin).toBe(403);
    }
    for (const path of ["/api/prune?dry_run=1", `/api/deliveries/x/replay`]) {
      expect((await adminRequest(server, path, { method: "POST", headers: { origin: "https://evil.example" } })).status, path).toBe(403);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await task()).toMatchObject({ status: "dead", attempts });
  });

  it("lets a GET with another site's Origin through (the browser keeps the answer from that page), and POSTs from loopback pages and the CLI", async () => {
    expect((await adminRequest(server, "/api/tasks", { headers: { origin: "https://evil.example" } })).status).toBe(200);
    // The dashboard, opened through a tunnel on another local port: its requests carry its own origin.
    const fromDashboard = await adminRequest(server, `/api/tasks/${deadTask}/replay`, { method: "POST", headers: { origin: "http://localhost:8080", host: "localhost:8080" } });
    expect(fromDashboard.status).toBe(200);
    expect(fromDashboard.body).toMatchObject({ task: deadTask, replayed: true });
    // The CLI sends no Origin.
    expect((await adminRequest(server, "/api/tasks/replay-dead", { method: "POST" })).status).toBe(200);
  });
});

describe("the admin listener with ADMIN_TOKEN: any Host, but no cross-site changes", () => {
  const TOKEN = "admin-listener-test-token-0123456789";
  let server: TestServer;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await startTestServer({ admin: { token: TOKEN } }, undefined, { role: "ingest" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers under any host name: the token is the protection", async () => {
    expect((await adminRequest(server, "/api/deliveries", { headers: { host: "admin.example", ...bearer(TOKEN) } })).status).toBe(200);
    expect((await adminRequest(server, "/metrics", { headers: { host: "10.0.0.7:9090", ...bearer(TOKEN) } })).status).toBe(200);
    expect((await adminRequest(server, "/api/deliveries", { headers: { host: "admin.example" } })).status).toBe(401);
  });

  it("still refuses a cross-site POST, and takes one from a page on its own host", async () => {
    const crossSite = await adminRequest(server, "/api/tasks/replay-dead", { method: "POST", headers: { origin: "https://evil.example", host: "admin.example", ...bearer(TOKEN) } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.code).toBe("SWY_E_FORBIDDEN_ORIGIN");
    // The dashboard served as https://admin.example (a proxy that passes Host through); a default port written out is the same origin.
    for (const host of ["admin.example", "admin.example:443"]) {
      const ownHost = await adminRequest(server, "/api/tasks/replay-dead", { method: "POST", headers: { origin: "https://admin.example", host, ...bearer(TOKEN) } });
      expect(ownHost.status, host).toBe(200);
    }
    const otherPort = await adminRequest(server, "/api/tasks/replay-dead", { method: "POST", headers: { origin: "https://admin.example:8443", host: "admin.example", ...bearer(TOKEN) } });
    expect(otherPort.status).toBe(403);
  });
});

describe("the admin listener with ADMIN_TOKEN: wrong tokens", () => {
  const TOKEN = "admin-listener-test-token-0123456789";
  const MAX = 5;
  let server: TestServer;
  const lines: Record<string, unknown>[] = [];
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    server = await startTestServer({ admin: { token: TOKEN }, security: { failedAuth: { max: MAX, windowMs: 60_000 } } }, undefined, { role: "ingest", logger });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("limits wrong tokens per source address: 429 with Retry-After past the limit, even for the right token, logged once", async () => {
    const from = "127.0.0.2";
    for (let i = 0; i <= MAX; i++) {
      const res = await adminRequest(server, "/api/tasks", { headers: bearer(`guess-${i}`), from });
      expect(res.status, `guess ${i}`).toBe(401);
    }
    for (let i = 0; i < 20; i++) {
      const res = await adminRequest(server, "/api/tasks", { headers: bearer(`guess-more-${i}`), from });
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe("SWY_E_RATE_LIMITED");
      expect(res.body.error.message).toContain("too many wrong admin tokens from 127.0.0.2");
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      expect(Number(res.headers["retry-after"])).toBeLessThanOrEqual(60);
    }
    // The right token does not get through either: its answer would tell a guesser it guessed right.
    expect((await adminRequest(server, "/api/tasks", { headers: bearer(TOKEN), from })).status).toBe(429);
    // Health checks and the dashboard's page need no token, and are not limited.
    expect((await adminRequest(server, "/healthz", { from })).status).toBe(200);
    expect((await adminRequest(server, "/", { from })).status).toBe(200);
    // Another address is not limited.
    expect((await adminRequest(server, "/api/tasks", { headers: bearer(TOKEN), from: "127.0.0.3" })).status).toBe(200);
    const warnings = lines.filter((line) => line.level === 40 && String(line.msg).includes("wrong admin tokens"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ source: "127.0.0.2", max: MAX, windowMs: 60_000 });
    expect(JSON.stringify(lines)).not.toContain("guess-");
  });

  it("does not count requests that send no token at all: a scrape without one cannot lock its address out", async () => {
    const from = "127.0.0.4";
    for (let i = 0; i < MAX * 3; i++) {
      const res = await adminRequest(server, "/metrics", { from });
      expect(res.status, `request ${i}`).toBe(401);
      expect(res.body.error.code).toBe("SWY_E_UNAUTHORIZED");
      expect(res.body.error.message).toContain("no admin token was sent");
    }
    expect((await adminRequest(server, "/api/tasks", { headers: bearer(TOKEN), from })).status).toBe(200);
    // The scheme's name is case-insensitive, as HTTP has it.
    expect((await adminRequest(server, "/api/tasks", { headers: { authorization: `bearer ${TOKEN}` }, from })).status).toBe(200);
    // A wrong token still counts, whatever came before it.
    for (let i = 0; i <= MAX; i++) expect((await adminRequest(server, "/api/tasks", { headers: bearer(`wrong-${i}`), from })).status).toBe(401);
    expect((await adminRequest(server, "/api/tasks", { headers: bearer(TOKEN), from })).status).toBe(429);
  });
});

describe("the admin API's dry_run", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, undefined, { role: "ingest" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a dry_run that is not 1/true/0/false with 400 naming it, instead of running a real prune", async () => {
    for (const value of ["yes", "TRUE1", "on", "", "2"]) {
      const res = await adminRequest(server, `/api/prune?dry_run=${value}`, { method: "POST" });
      expect(res.status, value).toBe(400);
      expect(res.body.error).toEqual({ code: "SWY_E_BAD_REQUEST", message: `dry_run must be 1 or true to turn it on, 0 or false to leave it off, not ${JSON.stringify(value)}` });
    }
    expect((await adminRequest(server, "/api/prune?dry_run", { method: "POST" })).status).toBe(400);
    for (const [value, dry] of [["1", true], ["true", true], ["TRUE", true], ["True", true], ["0", false], ["false", false], ["FALSE", false]] as const) {
      const res = await adminRequest(server, `/api/prune?dry_run=${value}`, { method: "POST" });
      expect(res.status, value).toBe(200);
      expect(res.body.dry_run, value).toBe(dry);
    }
    expect((await adminRequest(server, "/api/prune", { method: "POST" })).body.dry_run).toBe(false);
  });

  it("refuses the sweep's dry_run the same way, before anything else", async () => {
    const res = await adminRequest(server, "/api/recovery/sweep?dry_run=on", { method: "POST" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('dry_run must be 1 or true to turn it on, 0 or false to leave it off, not "on"');
  });

  it("names the status it refuses, as the CLI's --status does", async () => {
    const res = await adminRequest(server, "/api/tasks?status=bogus");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('status must be one of ready, running, succeeded, dead, skipped, not "bogus"');
  });
});

describe("the admin API's delivery ids", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, undefined, { role: "ingest" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("reads and replays a delivery by any id the webhook takes (up to 200 characters), and the webhook takes no longer one", async () => {
    for (const length of [101, 150, 200]) {
      const id = `${length}-`.padEnd(length, "a");
      // A body of its own each: the same body again would be a duplicate by its signature.
      const payload = exampleOf("issues", "opened");
      payload.issue.number = length;
      expect((await server.deliver("issues", payload, { delivery: id })).status, String(length)).toBe(202);
      const read = await adminRequest(server, `/api/deliveries/${encodeURIComponent(id)}`);
      expect(read.status, String(length)).toBe(200);
      expect(read.body.delivery).toBe(id);
      const replay = await adminRequest(server, `/api/deliveries/${encodeURIComponent(id)}/replay`, { method: "POST" });
      expect(replay.status, String(length)).toBe(200);
      expect(replay.body.delivery).toBe(id);
    }
    // 201 characters: refused by the webhook, and so never stored to be looked up.
    const tooLong = await server.deliver("issues", exampleOf("issues", "opened"), { delivery: "b".repeat(201) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe("SWY_E_MISSING_HEADER");
    const longer = await adminRequest(server, `/api/deliveries/${"b".repeat(201)}`);
    expect(longer.status).toBe(400);
    expect(longer.body.error).toEqual({ code: "SWY_E_BAD_REQUEST", message: "an id in the path is longer than 200 characters, which no delivery or task id is: check the id" });
  });
});

describe("the admin API's refused bodies", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, undefined, { role: "ingest" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers a refused body in the admin API's terms: its own limit, and JSON, never the webhook's advice", async () => {
    const { port } = new URL(server.adminUrl);
    const tooLarge = await rawExchange(server, `POST /api/tasks/replay-dead HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n`);
    expect(tooLarge).toMatch(/^HTTP\/1\.1 413/);
    const large = JSON.parse(tooLarge.slice(tooLarge.indexOf("\r\n\r\n") + 4));
    expect(large.error.code).toBe("SWY_E_BODY_TOO_LARGE");
    expect(large.error.message).toBe("the body is too large: the admin API takes at most 1048576 bytes, and none of its endpoints reads a body: send none");
    const xml = await adminRequest(server, "/api/tasks/replay-dead", { method: "POST", headers: { "content-type": "application/xml" }, body: "<x/>" });
    expect(xml.status).toBe(415);
    expect(xml.body.error).toEqual({
      code: "SWY_E_UNSUPPORTED_MEDIA_TYPE",
      message: "content type application/xml is not taken by the admin API: none of its endpoints reads a body, so send none (or JSON, application/json)",
    });
    expect(JSON.stringify([large, xml.body])).not.toMatch(/GitHub|webhook/);
  });
});
