import { Webhook } from "standardwebhooks";
import { PermanentError, TransientError } from "../../queue/agent-errors.js";
import { parseRetryAfter } from "../../queue/parse-retry-after.js";
import type { AgentResult } from "../agent.js";
import { MASK_CONTEXT, maskSecrets } from "./workspace/mask-secrets.js";
import { MIN_SECRET_PATH_SEGMENT } from "../../config/redact-url.js";
import { cutNote } from "./output-cut.js";

/** Where and how long: an `http` agent's `{http: {url, secret}, timeout}`. */
export interface HttpAgentSpec {
  url: string;
  /** Abort the request after this long; 0 or less means no limit. */
  timeoutMs: number;
  /** The secret createHttpSigner signs with: here only masked in the answer, should the receiver echo it. */
  secret: string;
}

/** One message to an http agent. */
export interface HttpAgentMessage {
  /**
   * `webhook-id`: the same for every attempt of one run of a task, so a receiver that
   * already handled it (and whose answer we lost) can recognise the retry and skip the work;
   * an operator replay is a new run with a new id (`httpMessageId`).
   */
  id: string;
  /** The JSON text POSTed and signed, exactly as sent. */
  body: string;
}

export interface HttpAgentOptions {
  /** Aborted on shutdown or a lost lease: the request is cancelled, the run is transient. */
  signal?: AbortSignal;
  /** Signing time; the receiver rejects timestamps more than 5 minutes off. */
  now?: () => Date;
  /** Keep this many characters of the end of the response body; default 16 KiB. */
  outputLimit?: number;
}

/** Signs one message: the three Standard Webhooks headers. */
export type HttpSigner = (id: string, at: Date, body: string) => Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string>;

const WHSEC_PREFIX = "whsec_";
const DEFAULT_OUTPUT_LIMIT = 16 * 1024;
const MAX_SNIPPET = 200;
// A URL's parts masked in the answer, by length. Query values of 8 characters or more:
// `?format=json` must not mask every "json". Path segments: MIN_SECRET_PATH_SEGMENT.
const MIN_MASKED_QUERY_VALUE = 8;
/** What Node's fetch (undici) says, as the cause of "fetch failed", for a URL on a port it blocks. */
const FETCH_BAD_PORT = "bad port";

/**
 * Builds the signer for an agent's secret (Standard Webhooks: HMAC-SHA256 over
 * `id.timestamp.body`, base64, as `v1,<sig>`). A `whsec_` secret is base64 as the spec
 * says; anything else is taken as the raw key bytes (UTF-8), so a plain shared secret
 * works too (its receiver verifies with `new Webhook(bytes, {format: "raw"})`, or with
 * `whsec_` + its base64). A bad `whsec_` value is a PermanentError that says so.
 *
 * @example createHttpSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")("d1:42", new Date(), "{}")
 */
export function createHttpSigner(secret: string): HttpSigner {
  let webhook: Webhook;
  try {
    webhook = secret.startsWith(WHSEC_PREFIX) ? new Webhook(secret) : new Webhook(Buffer.from(secret, "utf8"), { format: "raw" });
  } catch (error) {
    // Never echo the secret itself: the message ends up on the attempt row and in logs.
    throw new PermanentError(`http agent secret: a ${WHSEC_PREFIX} secret must be followed by base64 (${(error as Error).message}); fix the agent's http.secret`);
  }
  return (id, at, body) => ({
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": webhook.sign(id, at, body),
  });
}

/**
 * POSTs one task to an http agent, signed (docs/agents.md). 2xx succeeds, keeping the
 * tail of the response body as output; 408, 429, 5xx, network errors and timeouts throw a
 * TransientError (with Retry-After honoured); redirects (not followed: a signed task goes
 * only where the config says) and other 4xx throw a PermanentError naming the status, as
 * does a port fetch refuses to connect to.
 *
 * @example
 * const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
 * const sign = createHttpSigner(secret);
 * await runHttpAgent({ url, timeoutMs: 30_000, secret }, sign, { id: "d1:42", body: JSON.stringify(task) }, { signal });
 */
export async function runHttpAgent(spec: HttpAgentSpec, sign: HttpSigner, message: HttpAgentMessage, options: HttpAgentOptions = {}): Promise<AgentResult> {
  const url = new URL(spec.url);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new PermanentError(`http agent URL must be http(s), not ${url.protocol}`);
  // The host only: a URL may carry a token in its query, and this text is stored and logged.
  const host = url.host;
  const limit = options.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  if (options.signal?.aborted) throw new TransientError("aborted before the request was sent");

  const timeout = spec.timeoutMs > 0 ? AbortSignal.timeout(spec.timeoutMs) : null;
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== null && s !== undefined);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  // Set once the status line and headers are in: a failure after it is not "cannot reach".
  let answeredStatus: number | null = null;
  const failed = (error: unknown): TransientError | PermanentError => {
    if (options.signal?.aborted) return new TransientError(`request to ${host} aborted (shutdown or lost lease)`, { cause: error });
    if (timeout?.aborted) {
      const what = answeredStatus === null ? `no answer from ${host}` : `${host} answered HTTP ${answeredStatus}, but the rest of its answer did not arrive`;
      return new TransientError(`${what} within ${spec.timeoutMs} ms`, { cause: error });
    }
    const reason = describeNetworkError(error);
    // llhttp's codes: the host answered, with something that is not HTTP.
    if (reason.startsWith("HPE_")) return new TransientError(`${host} answered with a malformed HTTP response (${reason}): is the URL's port the agent's HTTP server?`, { cause: error });
    if (answeredStatus !== null) return new TransientError(`${host} answered HTTP ${answeredStatus}, but its answer broke off: ${reason}`, { cause: error });
    // fetch refuses the Fetch standard's bad ports before connecting, every time: no retry can
    // pass. The config refuses them too; this covers a port a newer Node adds to its list.
    if (reason === FETCH_BAD_PORT) {
      return new PermanentError(`cannot reach ${host}: fetch refuses to connect to port ${url.port} (a bad port in the Fetch standard): move the agent to another port`, { cause: error });
    }
    return new TransientError(`cannot reach ${host}: ${reason}`, { cause: error });
  };

  let response: Response;
  let text: string;
  let answered = { bytes: 0, chars: 0 };
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "switchyard", ...sign(message.id, (options.now ?? (() => new Date()))(), message.body) },
      body: message.body,
      redirect: "manual",
      signal,
    });
    answeredStatus = response.status;
    // The whole answer is read within the timeout too; only its tail is kept.
    ({ text, ...answered } = await readTail(response, limit + MASK_CONTEXT));
  } catch (error) {
    throw failed(error);
  }

  const status = response.status;
  // The answer becomes the attempt's output and (a snippet) its error, which are logged and
  // shown by `tasks show`, the dashboard and a job summary: a receiver that echoes a
  // connection string, a token, the signing secret or the URL's own secret-looking parts
  // must not put them there. Masked before the cut to `limit`, so that no secret is cut in
  // two and half kept.
  text = maskSecrets(text, [...signingSecretValues(spec.secret), ...urlSecretValues(url)]).slice(-limit);
  // The error's snippet is the server's own words; the kept output says where it was cut.
  const snippet = oneLine(text);
  const cut = cutNote(answered.bytes, limit, answered.chars > limit);
  if (cut !== null) text = `${cut}\n${text}`;
  const said = snippet ? `: ${snippet.length > MAX_SNIPPET ? `${snippet.slice(0, MAX_SNIPPET - 1)}…` : snippet}` : "";
  if (status >= 200 && status < 300) return { output: `HTTP ${status} from ${host}${text ? `\n${text}` : ""}` };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now()) ?? undefined;
    throw new TransientError(`HTTP ${status} from ${host}${said}`, { output: text, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status >= 300 && status < 400) {
    throw new PermanentError(`HTTP ${status} from ${host}: redirects are not followed; configure the URL it points to`, { output: text });
  }
  throw new PermanentError(`HTTP ${status} from ${host}${said}`, { output: text });
}

/** The signing secret as configured and, for a `whsec_` one, its base64 key alone (what a receiver's library is often given). */
function signingSecretValues(secret: string): string[] {
  return secret.startsWith(WHSEC_PREFIX) ? [secret, secret.slice(WHSEC_PREFIX.length)] : [secret];
}

/** The parts of the agent's URL that may be secrets: long enough query values and path segments. */
function urlSecretValues(url: URL): string[] {
  const query = [...url.searchParams.values()].filter((value) => value.length >= MIN_MASKED_QUERY_VALUE);
  const path = url.pathname.split("/").filter((segment) => segment.length >= MIN_SECRET_PATH_SEGMENT);
  return [...query, ...path];
}

/** Reads the body, keeping only its last `limit` characters, so a huge answer costs little; `bytes` and `chars`: the whole answer's size. */
async function readTail(response: Response, limit: number): Promise<{ text: string; bytes: number; chars: number }> {
  if (!response.body) return { text: "", bytes: 0, chars: 0 };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let tail = "";
  let bytes = 0;
  let chars = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    const text = decoder.decode(value, { stream: true });
    chars += text.length;
    tail += text;
    if (tail.length > limit * 2) tail = tail.slice(-limit);
  }
  const rest = decoder.decode();
  chars += rest.length;
  tail += rest;
  return { text: tail.length > limit ? tail.slice(-limit) : tail, bytes, chars };
}

/** fetch says "fetch failed"; the reason (ECONNREFUSED, a DNS failure) is in its cause. */
function describeNetworkError(error: unknown): string {
  let link: unknown = error;
  for (let depth = 0; depth < 4 && link instanceof Error; depth++) {
    const code = (link as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
    if (!(link.cause instanceof Error)) return link.message;
    link = link.cause;
  }
  return String(error);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
