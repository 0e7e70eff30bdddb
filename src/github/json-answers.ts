import type { Octokit } from "@octokit/rest";
import { PermanentError } from "../queue/agent-errors.js";

/**
 * A 2xx answer that is not GitHub's JSON: `github.apiUrl` points at something else (a GitHub
 * Enterprise host without `/api/v3`, a proxy's login page). Permanent: every retry would get
 * the same page.
 */
export class NotGithubApiError extends PermanentError {}

/** What `answerShape` can check a field for. */
export type FieldKind = "string" | "number" | "array" | "object";

/**
 * Makes every request of `octokit` refuse a successful answer whose body is not JSON. Without
 * it Octokit hands the page's text to the caller as `data`, and the first field read of it
 * fails as a TypeError that names neither the call nor the cause.
 *
 * @example
 * refuseNonJsonAnswers(octokit, "https://ghe.example.com");
 * await octokit.request("GET /user"); // throws NotGithubApiError: "GET /user: answered 200 with text/html, not JSON: …"
 */
export function refuseNonJsonAnswers(octokit: Octokit, apiUrl: string): void {
  octokit.hook.after("request", (response, options) => {
    if (!isTextOrBytes(response.data)) return;
    const { method, url } = octokit.request.endpoint.parse(options);
    const type = contentType(response.headers["content-type"]);
    throw new NotGithubApiError(`${method} ${pathOf(url)}: answered ${response.status} with ${type}, not JSON: ${describeApiUrl(apiUrl)}`);
  });
}

/**
 * Checks that an answer is an object with these fields, for the calls whose fields are read
 * at once: an answer of another shape (a `[]` from a fake or a proxy) fails naming the call
 * and what was expected rather than as a TypeError further on.
 *
 * @example
 * const issue = answerShape("GET /repos/o/r/issues/1", data, { number: "number", labels: "array" });
 */
export function answerShape<T>(call: string, data: unknown, fields: Record<string, FieldKind>): T {
  const missing = Object.entries(fields).filter(([name, kind]) => !isObject(data) || !isKind(data[name], kind));
  if (missing.length === 0) return data as T;
  const expected = Object.entries(fields).map(([name, kind]) => `${name} (${kind})`).join(", ");
  const got = isObject(data) ? `an object without ${missing.map(([name]) => name).join(", ")}` : describeValue(data);
  throw new NotGithubApiError(`${call}: expected an object with ${expected}, got ${got}: ${describeApiUrl(null)}`);
}

/** What Octokit makes of a body that is not JSON: its text, or its bytes. An empty one (201 with no body) is fine. */
function isTextOrBytes(data: unknown): boolean {
  if (typeof data === "string") return data.length > 0;
  return data instanceof ArrayBuffer && data.byteLength > 0;
}

function contentType(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") return "no content-type";
  return value.split(";")[0]!.trim();
}

/** The path alone: a query string may carry what is not ours to print. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    // Octokit always has an absolute URL here; a relative one is shown without its query.
    return url.split("?")[0]!;
  }
}

/** The advice, with the configured API's origin (never a user or password written into it). */
function describeApiUrl(apiUrl: string | null): string {
  const shown = apiUrl === null ? "" : ` (${safeUrl(apiUrl)})`;
  return `github.apiUrl${shown} does not look like GitHub's REST API (for GitHub Enterprise Server it is https://HOST/api/v3)`;
}

function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/$/, "")}`;
  } catch {
    return "unparseable URL";
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isKind(value: unknown, kind: FieldKind): boolean {
  if (kind === "array") return Array.isArray(value);
  if (kind === "object") return isObject(value);
  return typeof value === kind;
}

/** What came instead of an object, in a few words (never the answer itself: it may be long). */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : "an array";
  if (value === null || value === undefined || value === "") return "nothing";
  return `a ${typeof value}`;
}
