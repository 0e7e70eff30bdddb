import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AgentContext } from "../../../src/agents/agent.js";
import { createExecutor, httpMessageId, taskDocument } from "../../../src/agents/executors/create-executor.js";
import { createHttpSigner, runHttpAgent } from "../../../src/agents/executors/http-executor.js";
import { PermanentError, TransientError } from "../../../src/queue/agent-errors.js";
import { classifyError } from "../../../src/queue/classify-error.js";
import { freePort } from "../../support/serve-process.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const RAW_SECRET = "a plain shared secret, not base64 at all!";

interface Received {
  headers: Record<string, string>;
  body: string;
  /** Verified with the right secret by the receiver's own library. */
  verified: boolean;
  /** Verified with a wrong secret: must be false, or the check above proves nothing. */
  verifiedWithWrongSecret: boolean;
}

type Answer = (res: ServerResponse) => void;

let server: Server;
let url: string;
let answers: Answer[] = [];
let received: Received[] = [];
let verifier = new Webhook(SECRET);
const wrongVerifier = new Webhook(`whsec_${randomBytes(32).toString("base64")}`);

function verifies(webhook: Webhook, body: string, headers: Record<string, string>): boolean {
  try {
    webhook.verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
  received.push({ headers, body, verified: verifies(verifier, body, headers), verifiedWithWrongSecret: verifies(wrongVerifier, body, headers) });
  const answer = answers.shift();
  if (answer) answer(res);
  // No answer scripted: hang, for the timeout cases (the client's abort closes the socket).
}

const reply = (status: number, body = "", headers: Record<string, string> = {}): Answer => (res) => {
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
};

const spec = (overrides: Partial<{ url: string; timeoutMs: number; secret: string }> = {}) => ({ url, timeoutMs: 5000, secret: SECRET, ...overrides });
const message = { id: "delivery-1:42", body: JSON.stringify({ task: { id: "42" }, payload: { title: "naïve ünïcode" } }) };
const send = (overrides: Partial<{ url: string; secret: string; timeoutMs: number }> = {}, signal?: AbortSignal) =>
  runHttpAgent(spec(overrides), createHttpSigner(overrides.secret ?? SECRET), message, { signal });

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agents/run?token=not-for-logs`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  answers = [];
  received = [];
  verifier = new Webhook(SECRET);
});

describe("http agent: answers in turn 503, 429, 400, 200", () => {
  it("classifies each answer, and every request carries a signature the receiver verifies", async () => {
    answers = [reply(503, "busy"), reply(429, "slow down", { "retry-after": "7" }), reply(400, '{"error":"task has no issue"}'), reply(200, "accepted: run 9")];

    const unavailable = await rejection(send());
    expect(unavailable).toBeInstanceOf(TransientError);
    expect(unavailable.message).toBe("HTTP 503 from " + new URL(url).host + ": busy");
    expect(unavailable.message).not.toContain("not-for-logs");

    const limited = await rejection(send());
    expect(limited).toBeInstanceOf(TransientError);
    expect((limited as TransientError).retryAfterMs).toBe(7000);
    expect(classifyError(limited, Date.now())).toMatchObject({ kind: "transient", retryAfterMs: 7000 });

    const bad = await rejection(send());
    expect(bad).toBeInstanceOf(PermanentError);
    expect(bad.message).toMatch(/^HTTP 400 from .*: \{"error":"task has no issue"\}$/);
    expect((bad as PermanentError).output).toBe('{"error":"task has no issue"}');
    expect(classifyError(bad, Date.now()).kind).toBe("permanent");

    const ok = await send();
    expect(ok.output).toBe("HTTP 200 from " + new URL(url).host + "\naccepted: run 9");

    expect(received).toHaveLength(4);
    for (const r of received) {
      expect(r).toMatchObject({ verified: true, verifiedWithWrongSecret: false, body: message.body });
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    }
    // One message, four attempts: one id, so the receiver can dedupe.
    expect(new Set(received.map((r) => r.headers["webhook-id"]))).toEqual(new Set(["delivery-1:42"]));
  });

  it("a signature over a tampered body does not verify", async () => {
    answers = [reply(200)];
    await send();
    const [r] = received;
    expect(verifies(verifier, r!.body.replace("42", "43"), r!.headers)).toBe(false);
  });
});

describe("http agent: secrets", () => {
  it("takes a secret without the whsec_ prefix as raw bytes", async () => {
    verifier = new Webhook(Buffer.from(RAW_SECRET, "utf8"), { format: "raw" });
    answers = [reply(204)];
    await send({ secret: RAW_SECRET });
    expect(received[0]!.verified).toBe(true);
    // The same key written the spec's way verifies too.
    expect(verifies(new Webhook(`whsec_${Buffer.from(RAW_SECRET).toString("base64")}`), received[0]!.body, received[0]!.headers)).toBe(true);
  });

  it("refuses a whsec_ secret that is not base64, without echoing it", () => {
    const error = (() => {
      try {
        createHttpSigner("whsec_not base64 at all!");
      } catch (thrown) {
        return thrown as Error;
      }
      throw new Error("expected a throw");
    })();
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/whsec_ secret must be followed by base64/);
    expect(error.message).not.toContain("not base64 at all");
  });
});

describe("http agent: an answer that echoes secrets", () => {
  // A token in the path, as Slack's incoming webhooks carry one, and one in the query.
  const PATH_TOKEN = "Zq3xT9vLm2Kp8RwY4nBc6HdJ";
  const QUERY_TOKEN = "q-4f8a1c9e";
  const tokenUrl = () => `${new URL(url).origin}/services/T0000000/B0000000/${PATH_TOKEN}?format=json&token=${QUERY_TOKEN}`;
  const echo = (secret: string) => `echo ${tokenUrl()} signed with ${secret} (key ${secret.replace(/^whsec_/, "")}) by the services runner`;

  it("masks the signing secret, its base64 key, long path segments and query values; names stay", async () => {
    answers = [reply(200, echo(SECRET)), reply(400, echo(SECRET))];
    const ok = await send({ url: tokenUrl() });
    const bad = await rejection(send({ url: tokenUrl() }));
    for (const text of [ok.output!, bad.message, (bad as PermanentError).output!]) {
      for (const secret of [SECRET, SECRET.slice("whsec_".length), PATH_TOKEN, QUERY_TOKEN]) expect(text).not.toContain(secret);
      // Short segments and values, and words that are also parts of the URL, are kept.
      expect(text).toContain("/services/T0000000/B0000000/***?format=json&token=***");
      expect(text).toContain("by the services runner");
    }
    expect(received).toHaveLength(2);
  });

  it("createExecutor hands the agent's secret over for masking (a raw one, not only whsec_)", async () => {
    answers = [reply(200, echo(RAW_SECRET))];
    verifier = new Webhook(Buffer.from(RAW_SECRET, "utf8"), { format: "raw" });
    const task = { id: "8", delivery: "d-88", rule: "r", agent: "IssueAgent", action: "a", priority: "high", attempts: 1, replays: 0 };
    const ctx = { task, event: { type: "issues", action: "opened", repository: "octo/app", number: 5, commands: [] }, payload: {}, signal: new AbortController().signal, github: { dryRun: false } } as unknown as AgentContext;
    const run = createExecutor("IssueAgent", { http: { url: tokenUrl(), secret: RAW_SECRET }, timeout: 5000 }, { registry: { get: () => undefined }, baseEnv: {} } as never);
    const result = await run(ctx);
    expect(received[0]!.verified).toBe(true);
    expect(result?.output).not.toContain(RAW_SECRET);
    expect(result?.output).toContain("signed with *** (key ***)");
  });
});

describe("http agent: failures before an answer", () => {
  it("a request without an answer within the timeout is transient", async () => {
    const started = Date.now();
    const error = await rejection(send({ timeoutMs: 200 }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/^no answer from 127\.0\.0\.1:\d+ within 200 ms$/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("an abort (shutdown) cancels the request and is transient", async () => {
    const controller = new AbortController();
    const pending = rejection(send({ timeoutMs: 0 }, controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort(new Error("shutting down"));
    const error = await pending;
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/aborted/);
  });

  it("a host that answers with something that is not HTTP, or stops half-way through its answer, is not called unreachable", async () => {
    const { createServer: createTcpServer } = await import("node:net");
    const garbage = createTcpServer((socket) => socket.on("data", () => socket.end("HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\nok")));
    // The status line and part of the body, then nothing.
    const stalled = createTcpServer((socket) => socket.on("data", () => socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial")));
    const open = [garbage, stalled].map((server) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))));
    const [garbagePort, stalledPort] = await Promise.all(open);
    try {
      const malformed = await rejection(send({ url: `http://127.0.0.1:${garbagePort}/` }));
      expect(malformed).toBeInstanceOf(TransientError);
      expect(malformed.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${garbagePort} answered with a malformed HTTP response \\(HPE_`));
      const cut = await rejection(send({ url: `http://127.0.0.1:${stalledPort}/`, timeoutMs: 300 }));
      expect(cut).toBeInstanceOf(TransientError);
      expect(cut.message).toBe(`127.0.0.1:${stalledPort} answered HTTP 200, but the rest of its answer did not arrive within 300 ms`);
    } finally {
      for (const server of [garbage, stalled]) server.close();
    }
  });

  it("a refused connection is transient and names the reason", async () => {
    const port = await freePort();
    const error = await rejection(send({ url: `http://127.0.0.1:${port}/` }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(`cannot reach 127.0.0.1:${port}: ECONNREFUSED`);
  });

  it("a port fetch refuses to connect to (the Fetch standard's bad ports) is permanent, naming the port", async () => {
    // fetch refuses before connecting: nothing needs to listen on 6000.
    const error = await rejection(send({ url: "http://127.0.0.1:6000/agents/run" }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe("cannot reach 127.0.0.1:6000: fetch refuses to connect to port 6000 (a bad port in the Fetch standard): move the agent to another port");
    expect(classifyError(error, Date.now()).kind).toBe("permanent");
  });

  it("a redirect is not followed: permanent", async () => {
    answers = [reply(302, "", { location: "https://elsewhere.example/run" })];
    const error = await rejection(send());
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^HTTP 302 from .*redirects are not followed/);
    expect(received).toHaveLength(1);
  });

  it("keeps only the tail of a large answer", async () => {
    answers = [reply(200, `${"x".repeat(100_000)}THE END`)];
    const result = await runHttpAgent(spec(), createHttpSigner(SECRET), message, { outputLimit: 1000 });
    expect(result.output!.length).toBeLessThan(1100);
    expect(result.output).toMatch(/x+THE END$/);
    // Said, so the first line shown is not taken for the answer's start.
    expect(result.output!.split("\n").slice(0, 2)).toEqual([expect.stringMatching(/^HTTP 200 from /), "[output cut: 98 KiB in all, only the last 1000 bytes kept]"]);
    answers = [reply(200, "all of it")];
    expect((await runHttpAgent(spec(), createHttpSigner(SECRET), message, { outputLimit: 1000 })).output).not.toContain("output cut");
  });
});

describe("createExecutor with an http agent", () => {
  const task = { id: "7", delivery: "d-77", rule: "issue-opened", agent: "IssueAgent", action: "Analyze and auto-label", priority: "high", attempts: 2, replays: 0 };
  const event = { type: "issues", action: "opened", repository: "octo/app", number: 5, commands: [] };
  const ctx = { task, event, payload: { issue: { number: 5 } }, signal: new AbortController().signal, github: { dryRun: false } } as unknown as AgentContext;
  const deps = { registry: { get: () => { throw new Error("not builtin"); } }, baseEnv: {} } as never;

  it("POSTs the task document with the task's stable message id", async () => {
    answers = [reply(200, "ok")];
    const run = createExecutor("IssueAgent", { http: { url, secret: SECRET }, timeout: 5000 }, deps);
    await expect(run(ctx)).resolves.toMatchObject({ output: expect.stringContaining("ok") });
    expect(JSON.parse(received[0]!.body)).toEqual(taskDocument(ctx));
    expect(received[0]!.headers["webhook-id"]).toBe(httpMessageId(task));
    expect(httpMessageId(task)).toBe("d-77:7");
    expect(received[0]!.verified).toBe(true);
  });

  it("says in the signed document whether the run is a dry run: the receiver's own GitHub calls are its to hold back", async () => {
    answers = [reply(200, "ok"), reply(200, "ok")];
    const run = createExecutor("IssueAgent", { http: { url, secret: SECRET }, timeout: 5000 }, deps);
    await run({ ...ctx, github: { dryRun: true } } as unknown as AgentContext);
    await run(ctx);
    expect(received.map((r) => (JSON.parse(r.body) as { dryRun: unknown }).dryRun)).toEqual([true, false]);
    expect(received.every((r) => r.verified)).toBe(true);
  });

  it("signs with a secret read from the environment ({env: NAME})", async () => {
    answers = [reply(200, "ok")];
    const run = createExecutor("IssueAgent", { http: { url, secret: { env: "AGENT_SECRET" } }, timeout: 5000 }, { ...(deps as object), baseEnv: { AGENT_SECRET: ` ${SECRET} ` } } as never);
    await expect(run(ctx)).resolves.toMatchObject({ output: expect.stringContaining("ok") });
    expect(received[0]!.verified).toBe(true);
  });

  it("a secret variable that is not set fails the agent's tasks permanently, naming it, and sends nothing", async () => {
    const run = createExecutor("IssueAgent", { http: { url, secret: { env: "AGENT_SECRET" } }, timeout: 5000 }, { ...(deps as object), baseEnv: { AGENT_SECRET: " " } } as never);
    const error = await rejection(Promise.resolve().then(() => run(ctx)));
    expect(error).toBeInstanceOf(PermanentError);
    // Not "IssueAgent: …": the task names the agent, and reports put it before the error.
    expect(error.message).toBe("http.secret is read from AGENT_SECRET, which is not set in this process's environment: set it where switchyard runs");
    expect(received).toHaveLength(0);
  });

  it("a secret variable too short to sign with fails the agent's tasks permanently, never showing it, and sends nothing", async () => {
    const run = createExecutor("IssueAgent", { http: { url, secret: { env: "AGENT_SECRET" } }, timeout: 5000 }, { ...(deps as object), baseEnv: { AGENT_SECRET: "s3cret" } } as never);
    const error = await rejection(Promise.resolve().then(() => run(ctx)));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^http\.secret \(AGENT_SECRET\): a secret of 6 characters is too short \(at least 16\).*openssl rand -hex 32/);
    expect(error.message).not.toContain("s3cret");
    expect(received).toHaveLength(0);
  });

  it("gives each operator replay of the task its own message id, kept by that run's retries", async () => {
    answers = [reply(503, "busy"), reply(200, "ok")];
    const replayed = { ...ctx, task: { ...task, replays: 2, attempts: 5 } } as unknown as AgentContext;
    const run = createExecutor("IssueAgent", { http: { url, secret: SECRET }, timeout: 5000 }, deps);
    await expect(run(replayed)).rejects.toBeInstanceOf(TransientError);
    await expect(run({ ...replayed, task: { ...replayed.task, attempts: 6 } })).resolves.toMatchObject({ output: expect.stringContaining("ok") });
    expect(received.map((r) => r.headers["webhook-id"])).toEqual(["d-77:7:replay-2", "d-77:7:replay-2"]);
    expect(httpMessageId({ delivery: "d-77", id: "7", replays: 1 })).toBe("d-77:7:replay-1");
    expect(httpMessageId({ delivery: "d-77", id: "7", replays: 0 })).toBe("d-77:7");
  });

  it("a bad secret fails the agent's tasks permanently instead of throwing at creation", async () => {
    const run = createExecutor("IssueAgent", { http: { url, secret: "whsec_%%%" }, timeout: 5000 }, deps);
    const error = await rejection(Promise.resolve().then(() => run(ctx)));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^http agent secret/);
    expect(received).toHaveLength(0);
  });
});
