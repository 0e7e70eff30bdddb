import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "../../src/queue/agent-errors.js";
import { classifyError } from "../../src/queue/classify-error.js";

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const NOW_S = NOW / 1000;

/** Shaped like Octokit's RequestError: status, request, response {headers, data}. */
function requestError(status: number, message: string, headers: Record<string, string> = {}, data: unknown = { message }): Error {
  return Object.assign(new Error(message), {
    name: "HttpError",
    status,
    request: { method: "POST", url: "https://api.github.com/repos/o/r/issues/1/comments?access_token=nope", headers: {} },
    response: { status, url: "https://api.github.com/repos/o/r/issues/1/comments", headers, data },
  });
}

function systemError(code: string, message = `connect ${code} 140.82.112.6:443`): Error {
  return Object.assign(new Error(message), { code, syscall: "connect" });
}

describe("classifyError: HTTP status", () => {
  it.each([
    [500, "transient"],
    [502, "transient"],
    [503, "transient"],
    [504, "transient"],
    [599, "transient"],
    [408, "transient"],
    [429, "transient"],
    [400, "permanent"],
    [401, "permanent"],
    [403, "permanent"],
    [404, "permanent"],
    [409, "permanent"],
    [410, "permanent"],
    [422, "permanent"],
    [304, "permanent"],
  ] as const)("%i is %s", (status, kind) => {
    const result = classifyError(requestError(status, "Something"), NOW);
    expect(result.kind).toBe(kind);
    expect(result.reason).toMatch(new RegExp(`^POST /repos/o/r/issues/1/comments: HTTP ${status} from api\\.github\\.com`));
  });

  it("names the call (method and path) and the host, but never the query string", () => {
    const { reason } = classifyError(requestError(502, "Bad Gateway"), NOW);
    expect(reason).toBe("POST /repos/o/r/issues/1/comments: HTTP 502 from api.github.com: Bad Gateway");
    expect(reason).not.toContain("access_token");
  });

  it("reads status and headers from a plain error too (error.headers)", () => {
    const error = Object.assign(new Error("Service Unavailable"), { status: 503, headers: { "Retry-After": "7" } });
    expect(classifyError(error, NOW)).toEqual({ kind: "transient", reason: "HTTP 503: Service Unavailable", retryAfterMs: 7000 });
  });

  it("reads a fetch Headers object", () => {
    const error = Object.assign(new Error("Too Many Requests"), { status: 429, headers: new Headers({ "retry-after": "3" }) });
    expect(classifyError(error, NOW)).toMatchObject({ kind: "transient", retryAfterMs: 3000 });
  });

  it("accepts statusCode and a numeric string status", () => {
    expect(classifyError(Object.assign(new Error("x"), { statusCode: 502 }), NOW).kind).toBe("transient");
    expect(classifyError(Object.assign(new Error("x"), { status: "404" }), NOW).kind).toBe("permanent");
  });

  it("classifies an Octokit-shaped object literal that is no Error", () => {
    const thrown = { status: 502, message: "Bad Gateway", response: { headers: {} } };
    expect(classifyError(thrown, NOW)).toEqual({ kind: "transient", reason: "HTTP 502: Bad Gateway" });
  });

  it("ignores a nonsense status and falls back to the other rules", () => {
    expect(classifyError(Object.assign(new Error("odd"), { status: 42 }), NOW)).toEqual({ kind: "permanent", reason: "odd" });
  });
});

describe("classifyError: rate limits", () => {
  it("429 with Retry-After seconds waits that long", () => {
    expect(classifyError(requestError(429, "Too Many Requests", { "retry-after": "30" }), NOW)).toMatchObject({
      kind: "transient",
      retryAfterMs: 30_000,
    });
  });

  it("429 with an HTTP-date Retry-After waits until then", () => {
    const headers = { "retry-after": new Date(NOW + 90_000).toUTCString() };
    expect(classifyError(requestError(429, "Too Many Requests", headers), NOW).retryAfterMs).toBe(90_000);
  });

  it("429 without a hint is transient with plain backoff", () => {
    const result = classifyError(requestError(429, "Too Many Requests"), NOW);
    expect(result.kind).toBe("transient");
    expect(result.retryAfterMs).toBeUndefined();
  });

  it("403 secondary rate limit with retry-after honours it", () => {
    const error = requestError(403, "You have exceeded a secondary rate limit. Please wait a few minutes.", { "retry-after": "60" });
    expect(classifyError(error, NOW)).toMatchObject({ kind: "transient", retryAfterMs: 60_000 });
  });

  it("403 secondary rate limit without headers waits at least a minute, as GitHub asks", () => {
    const result = classifyError(requestError(403, "You have exceeded a secondary rate limit."), NOW);
    expect(result.kind).toBe("transient");
    expect(result.reason).toContain("secondary rate limit");
    expect(result.retryAfterMs).toBe(60_000);
  });

  it("403 whose body (not message) mentions the secondary rate limit", () => {
    const error = requestError(403, "Forbidden", {}, { message: "You have exceeded a Secondary Rate Limit", documentation_url: "x" });
    expect(classifyError(error, NOW).kind).toBe("transient");
    const text = requestError(403, "Forbidden", {}, "secondary rate limit");
    expect(classifyError(text, NOW).kind).toBe("transient");
  });

  it("403 with any retry-after is transient", () => {
    expect(classifyError(requestError(403, "Forbidden", { "retry-after": "5" }), NOW)).toMatchObject({
      kind: "transient",
      retryAfterMs: 5000,
    });
  });

  it.each([403, 429])("%i with x-ratelimit-remaining 0 waits until x-ratelimit-reset", (status) => {
    const headers = { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW_S + 1200), "x-ratelimit-limit": "5000" };
    expect(classifyError(requestError(status, "API rate limit exceeded", headers), NOW)).toMatchObject({
      kind: "transient",
      retryAfterMs: 1_200_000,
    });
  });

  it("a reset already past means retry now", () => {
    const headers = { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW_S - 10) };
    expect(classifyError(requestError(403, "API rate limit exceeded", headers), NOW).retryAfterMs).toBe(0);
  });

  it("retry-after wins over x-ratelimit-reset", () => {
    const headers = { "retry-after": "2", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW_S + 1200) };
    expect(classifyError(requestError(429, "slow down", headers), NOW).retryAfterMs).toBe(2000);
  });

  it("403 with remaining quota and no rate-limit wording is permanent", () => {
    const headers = { "x-ratelimit-remaining": "4999", "x-ratelimit-reset": String(NOW_S + 1200) };
    expect(classifyError(requestError(403, "Resource not accessible by integration", headers), NOW)).toEqual({
      kind: "permanent",
      reason: "POST /repos/o/r/issues/1/comments: HTTP 403 from api.github.com: Resource not accessible by integration",
    });
  });

  it("a garbage retry-after on a 503 falls back to backoff", () => {
    const result = classifyError(requestError(503, "Unavailable", { "retry-after": "soon" }), NOW);
    expect(result).toEqual({ kind: "transient", reason: "POST /repos/o/r/issues/1/comments: HTTP 503 from api.github.com: Unavailable" });
  });
});

describe("classifyError: network and timeouts", () => {
  it.each(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"])(
    "%s is transient",
    (code) => {
      expect(classifyError(systemError(code), NOW)).toEqual({ kind: "transient", reason: `network error ${code}` });
    },
  );

  it.each(["UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT"])("undici %s is transient", (code) => {
    expect(classifyError(systemError(code), NOW).kind).toBe("transient");
  });

  it("fetch failed with a network cause is transient", () => {
    const error = new TypeError("fetch failed", { cause: systemError("ECONNRESET") });
    expect(classifyError(error, NOW)).toEqual({ kind: "transient", reason: "network error ECONNRESET" });
  });

  it("fetch failed with an AggregateError cause (happy eyeballs) is transient", () => {
    const aggregate = new AggregateError([systemError("ECONNREFUSED"), systemError("ENETUNREACH")], "connect failed");
    expect(classifyError(new TypeError("fetch failed", { cause: aggregate }), NOW).reason).toBe("network error ECONNREFUSED");
  });

  it("Octokit's status 500 for a refused connection is a network error, not a server error", async () => {
    // A port that was just free: nothing listens there, so the connection is refused.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const quiet = () => undefined;
    const octokit = new Octokit({ baseUrl: `http://127.0.0.1:${port}`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
    const error: unknown = await octokit.request("GET /user").catch((thrown: unknown) => thrown);
    expect((error as { status?: number }).status).toBe(500);
    expect(classifyError(error, NOW)).toEqual({ kind: "transient", reason: `GET /user: network error ECONNREFUSED reaching 127.0.0.1:${port}` });
  });

  it("a port fetch never connects to (9, 6000, …) is permanent and said plainly, not 'bad port'", async () => {
    const quiet = () => undefined;
    const octokit = new Octokit({ baseUrl: "http://127.0.0.1:9", log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
    const error: unknown = await octokit.request("GET /user").catch((thrown: unknown) => thrown);
    expect(classifyError(error, NOW)).toEqual({ kind: "permanent", reason: "GET /user: fetch refuses to connect reaching 127.0.0.1:9: the port is one the Fetch standard blocks (like 9, 25 or 6000): use another port" });
  });

  it("a 500 that GitHub answered is still an HTTP 500", () => {
    expect(classifyError(requestError(500, "Internal Server Error"), NOW)).toEqual({ kind: "transient", reason: "POST /repos/o/r/issues/1/comments: HTTP 500 from api.github.com: Internal Server Error" });
  });

  it("fetch failed with an unknown cause is permanent", () => {
    const error = new TypeError("fetch failed", { cause: new Error("invalid URL") });
    expect(classifyError(error, NOW).kind).toBe("permanent");
  });

  it("survives a cause cycle", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as Error & { cause: unknown }).cause = b;
    expect(classifyError(a, NOW)).toEqual({ kind: "permanent", reason: "a" });
  });

  it.each([
    ["TimeoutError", new DOMException("The operation was aborted due to timeout", "TimeoutError")],
    ["AbortError", new DOMException("This operation was aborted", "AbortError")],
    ["AbortError", Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" })],
  ])("%s is a transient timeout", (name, error) => {
    const result = classifyError(error, NOW);
    expect(result.kind).toBe("transient");
    expect(result.reason).toContain(`timeout (${name}`);
  });

  it("a real AbortSignal.timeout reason is transient", async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => signal.addEventListener("abort", resolve));
    expect(classifyError(signal.reason, NOW).kind).toBe("transient");
  });
});

describe("classifyError: everything else", () => {
  it.each([
    [new TypeError("Cannot read properties of undefined (reading 'login')"), "TypeError: Cannot read properties of undefined (reading 'login')"],
    [new RangeError("Invalid array length"), "RangeError: Invalid array length"],
    [Object.assign(new Error("title: Required"), { name: "ZodError" }), "ZodError: title: Required"],
    [new Error("plain failure"), "plain failure"],
    ["boom", "non-error thrown: boom"],
    [42, "non-error thrown: 42"],
    [undefined, "non-error thrown: undefined"],
    [null, "non-error thrown: null"],
    [{ nope: true }, "non-error thrown: {\"nope\":true}"],
  ])("%s is permanent", (error, reason) => {
    expect(classifyError(error, NOW)).toEqual({ kind: "permanent", reason });
  });

  it("keeps the reason to one short line", () => {
    const { reason } = classifyError(new Error(`first line\nsecond line\t${"x".repeat(500)}`), NOW);
    expect(reason).not.toMatch(/[\n\t]/);
    expect(reason.startsWith("first line second line")).toBe(true);
    // 300: room for the call it names and what to do, beside what the server said.
    expect(reason.length).toBeLessThanOrEqual(300);
  });
});

describe("classifyError: marker classes", () => {
  it("TransientError is transient with its delay, whatever wraps", () => {
    const error = new TransientError("deployment lock held", { retryAfterMs: 30_000, output: "log", cause: new TypeError("x") });
    expect(classifyError(error, NOW)).toEqual({ kind: "transient", reason: "deployment lock held", retryAfterMs: 30_000 });
    expect(error.output).toBe("log");
    expect(error.name).toBe("TransientError");
    expect(error).toBeInstanceOf(Error);
  });

  it("TransientError without a delay has none", () => {
    expect(classifyError(new TransientError("busy"), NOW)).toEqual({ kind: "transient", reason: "busy" });
  });

  it("PermanentError is permanent even when it carries a transient-looking status", () => {
    const error = Object.assign(new PermanentError("issue has no task list", { output: "parsed 0 tasks" }), { status: 503 });
    expect(classifyError(error, NOW)).toEqual({ kind: "permanent", reason: "issue has no task list" });
    expect(error.output).toBe("parsed 0 tasks");
  });

  it("TransientError wins over a permanent-looking cause", () => {
    expect(classifyError(new TransientError("retry me", { cause: new TypeError("bug") }), NOW).kind).toBe("transient");
  });
});

describe("classifyError: a database driver's socket", () => {
  it("names the address it could not reach, so a refused PostgreSQL is not read as GitHub", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", syscall: "connect", address: "127.0.0.1", port: 5432 });
    expect(classifyError(refused, NOW)).toEqual({ kind: "transient", reason: "network error ECONNREFUSED reaching 127.0.0.1:5432" });
    const v6 = Object.assign(new Error("connect ECONNREFUSED ::1:5432"), { code: "ECONNREFUSED", syscall: "connect", address: "::1", port: 5432 });
    expect(classifyError(v6, NOW).reason).toBe("network error ECONNREFUSED reaching [::1]:5432");
  });
});

describe("classifyError: GraphQL calls", () => {
  it("marks a failed GraphQL query (a read) apart from a failed mutation, both POST /graphql", async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "Bad Gateway" }));
      });
    });
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
    try {
      const quiet = () => undefined;
      const octokit = new Octokit({ baseUrl: `http://127.0.0.1:${port}`, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
      const failed = (query: string) => octokit.request("POST /graphql", { query, variables: {} }).catch((thrown: unknown) => thrown);
      expect(classifyError(await failed("query($owner: String!) { repository(owner: $owner) { id } }"), NOW).reason).toMatch(/^POST \/graphql \(a query\): HTTP 502/);
      expect(classifyError(await failed("  # adds the reply\n  mutation($id: ID!) { addDiscussionComment(input: {discussionId: $id, body: \"x\"}) { comment { id } } }"), NOW).reason).toMatch(/^POST \/graphql: HTTP 502/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
