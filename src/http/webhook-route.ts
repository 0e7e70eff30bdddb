import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { foreignEventOf, missingEventKeys } from "../events/check-event-shape.js";
import { normalizeEvent } from "../events/normalize-event.js";
import { isFormBody, parseDeliveryBody } from "../events/parse-delivery-body.js";
import type { CompiledRule } from "../routing/compile-rules.js";
import { planTasks } from "../routing/plan-tasks.js";
import { clientIp } from "../security/client-ip.js";
import { limiterKey } from "../security/limiter-key.js";
import { refuseWhileLimited, type FailedAuthLimiter } from "../security/failed-auth-limiter.js";
import { GITHUB_HOOK_RANGES } from "../security/github-hook-ranges.js";
import { createIpAllowlist } from "../security/ip-allowlist.js";
import type { FailureReason, VerificationFailure } from "../security/incidents/verification-failure.js";
import { SIGNATURE_MISMATCH, verifySignature } from "../security/verify-signature.js";
import { toError } from "../errors.js";
import { createBodyBudget, defaultBodyBudget } from "./body-budget.js";
import { correctedAckMs } from "./corrected-ack-ms.js";
import { DELIVERY_ID } from "./delivery-id.js";
import { refuseForBudget, sendError, sentErrorCode } from "./http-errors.js";
import type { AcceptOptions, AcceptResult, AcceptedTask, Store } from "../store/store.js";
import { isStoreUnavailable, storeUnavailableWhy } from "../store/store-unavailable.js";
import { damagedDatabase } from "../store/damaged-database.js";

export interface WebhookDeps {
  config: Config;
  rules: readonly CompiledRule[];
  store: Store;
  secrets: readonly string[];
  limiter: FailedAuthLimiter;
  /** null when the allowlist is off. */
  allowlist: ((ip: string) => boolean) | null;
  logger: Logger;
  /** switchyard's own logins, so its own comments and labels never trigger anything. */
  ownLogins?: () => readonly string[];
  /** Called after a commit that created tasks: wakes the worker without polling delay. */
  onAccepted?: (result: AcceptResult, payload: Record<string, unknown>) => void;
  /** Offered each new task inside the accept (AcceptOptions.handOff): the local worker's way to start it without a claim. */
  handOff?: AcceptOptions["handOff"];
  /** True once shutdown began: requests still arriving on open connections get a 503. */
  isClosing?: () => boolean;
  /** Told of every request refused by a verification check (security incidents): must return at once. */
  onVerificationFailure?: (failure: VerificationFailure) => void;
  /** Told of every answered request: metrics and the durable rejection counters (src/observability). */
  observe?: (answer: WebhookAnswer) => void;
  /** How many bytes of request bodies may be held at once (src/http/body-budget.ts); default defaultBodyBudget. */
  bodyBudgetBytes?: number;
  now?: () => number;
}

/** What one request to the webhook path came to. */
export interface WebhookAnswer {
  /** X-GitHub-Event once the signature verified; null before (an unverified header names nothing). */
  event: string | null;
  /** `accepted` (a ping too), `duplicate`, or `rejected_<reason>`: the error code's name (`rejected_rate_limited`), or `rejected_missing_signature` / `rejected_bad_signature` for a failed signature check. */
  outcome: string;
  /** From the request's arrival to the response. */
  seconds: number;
  /** The tasks an accepted delivery was routed to. */
  tasks: readonly AcceptedTask[];
}

/** What the handler learnt about a request, for `observe`. */
interface Seen {
  event: string | null;
  outcome?: string;
  tasks?: readonly AcceptedTask[];
}

/** The request headers kept with a delivery: enough to redeliver or audit it, never credentials. */
const KEPT_HEADERS = [
  "content-type",
  "user-agent",
  "x-github-event",
  "x-github-delivery",
  "x-github-hook-id",
  "x-github-hook-installation-target-id",
  "x-github-hook-installation-target-type",
  "x-hub-signature-256",
];

type MediaType = "json" | "form";

function mediaType(header: string | undefined): MediaType | null {
  if (!header) return null;
  const semi = header.indexOf(";");
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "application/x-www-form-urlencoded") return "form";
  return null;
}

// GitHub's event names: lower-case ASCII, far shorter than 64. A repeated header (Node joins
// it into "a, b") or anything else is refused like a missing one. Delivery ids: DELIVERY_ID.
const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const HOOK_ID = /^\d{1,20}$/;

function single(value: string | string[] | undefined, pattern: RegExp): string | undefined {
  return typeof value === "string" && pattern.test(value) ? value : undefined;
}

/**
 * POST /webhooks/github: checks run cheapest first and the first failure answers
 * (docs/security.md). The 202 is sent only after the store committed the delivery and
 * its tasks: the acknowledgement is the commit, so nothing acknowledged is ever lost.
 */
export function registerWebhookRoute(app: FastifyInstance, deps: WebhookDeps): void {
  const { config, store, limiter } = deps;
  const now = deps.now ?? Date.now;
  const replayWindowMs = config.security.replayWindowHours * 3_600_000;
  // Requests that arrived while their source was over the failure limit.
  const limitedRequests = new WeakSet<FastifyRequest>();
  const budget = createBodyBudget(deps.bodyBudgetBytes ?? defaultBodyBudget(config.server.bodyLimit));
  const seen = new WeakMap<FastifyRequest, Seen>();
  // A refusal is counted by its error code, except a failed signature check: a source over
  // its limit is answered 429 then, but what it failed is the signature.
  const observe = (request: FastifyRequest, reply: FastifyReply) => {
    if (!deps.observe) return;
    const known = seen.get(request);
    const code = sentErrorCode(reply);
    const outcome = known?.outcome ?? (code === undefined ? undefined : `rejected_${code.slice("SWY_E_".length).toLowerCase()}`);
    if (outcome === undefined) return;
    deps.observe({ event: known?.event ?? null, outcome, seconds: reply.elapsedTime / 1000, tasks: known?.tasks ?? [] });
  };

  // Only what the incident issue may show: the address, and the hook id and event name as
  // claimed when they have the shape GitHub's have. Never the body, signature or other headers.
  const failed = (request: FastifyRequest, reason: FailureReason, ip: string) => {
    if (!deps.onVerificationFailure) return;
    const hookId = single(request.headers["x-github-hook-id"], HOOK_ID) ?? null;
    const event = single(request.headers["x-github-event"], EVENT_NAME) ?? null;
    deps.onVerificationFailure({ reason, source: ip, hookId, event: event && event.length <= 64 ? event : null, at: now() });
  };

  // The store measures the ack time as the accept's transaction runs; what came after it
  // (a lock wait, the statements, the fsync) shows only once the commit completed. A stall
  // is written over the stored figure off the request's path: the 202 does not wait for it,
  // and a failure costs only the correction.
  const correctAckMs = (result: AcceptResult & { duplicate: false }, fullMs: number, tagged: object, log: FastifyRequest["log"]) => {
    const corrected = correctedAckMs(result.ackMs, fullMs);
    if (corrected === null) return;
    store.correctAckMs(result.delivery, corrected).catch((error: unknown) => {
      log.warn({ ...tagged, ack_ms: corrected, stored_ack_ms: result.ackMs, reason: toError(error).message }, "a slow commit's ack time could not be written over the delivery's stored one: its ack_ms stays as measured in the accept (the delivery itself is stored)");
    });
  };

  const tooManyFailures = (reply: FastifyReply, ip: string, retryAfterSeconds: number, why?: string) => {
    reply.header("retry-after", String(retryAfterSeconds));
    return sendError(reply, "SWY_E_RATE_LIMITED", `too many failed signature checks from ${ip}${why === undefined ? "" : ` (${why})`}; retry after ${retryAfterSeconds}s once the secret is fixed`);
  };
  // Where GitHub sends from: a limited source there keeps the whole body limit. With the
  // allowlist on, every source that gets this far is one the operator vouched for.
  const fromGitHub = createIpAllowlist(GITHUB_HOOK_RANGES.cidrs);

  // Checks 1–4 need no body: answer them before a byte of it is read.
  const preBody = async (request: FastifyRequest, reply: FastifyReply) => {
    const ip = clientIp(request.socket.remoteAddress, request.headers["x-forwarded-for"], config.server.trustProxy);
    if (deps.allowlist && !deps.allowlist(ip)) {
      failed(request, "ip_not_allowed", ip);
      return sendError(reply, "SWY_E_IP_NOT_ALLOWED", `source address ${ip} is outside the IP allowlist`);
    }
    const limited = limiter.check(limiterKey(ip), now());
    const event = single(request.headers["x-github-event"], EVENT_NAME);
    const delivery = single(request.headers["x-github-delivery"], DELIVERY_ID);
    const type = mediaType(request.headers["content-type"]);
    if (limited.limited) {
      // A limited source still gets its correctly signed deliveries through (GitHub does not
      // retry, and behind a tunnel or proxy GitHub shares the address with the offender):
      // only what could never verify is turned away here, the rest at the signature check.
      if (type === null || !event || !delivery) {
        failed(request, "rate_limited", ip);
        return tooManyFailures(reply, ip, limited.retryAfterSeconds);
      }
      // Nor may it make the server stream and HMAC 25 MiB per request (failed-auth-limiter.ts).
      const refusal = refuseWhileLimited({
        signature: request.headers["x-hub-signature-256"],
        contentLength: request.headers["content-length"],
        fromHookRanges: deps.allowlist !== null || fromGitHub(ip),
        bodyLimit: config.server.bodyLimit,
      });
      if (refusal !== null) {
        // A request with no signature at all is what it is, 429 or not: a missing signature
        // (a webhook without a secret), as the metrics and the security KPI count it.
        const signature = request.headers["x-hub-signature-256"];
        if (signature === undefined || signature === "") seen.set(request, { event: null, outcome: "rejected_missing_signature" });
        failed(request, "rate_limited", ip);
        return tooManyFailures(reply, ip, limited.retryAfterSeconds, refusal);
      }
      limitedRequests.add(request);
    }
    if (type === null) {
      return sendError(
        reply,
        "SWY_E_UNSUPPORTED_MEDIA_TYPE",
        `content type ${request.headers["content-type"] ?? "(none)"} is not supported: use application/json or application/x-www-form-urlencoded`,
      );
    }
    // GitHub sends bodies as they are, and signs those bytes; a compressed body could only
    // fail the signature check, which would blame the secret.
    const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
    if (encoding && encoding !== "identity") {
      return sendError(
        reply,
        "SWY_E_UNSUPPORTED_MEDIA_TYPE",
        `Content-Encoding ${encoding} is not supported: GitHub sends webhook bodies uncompressed and signs them so; turn off compression in whatever forwards them`,
      );
    }
    // The same compression as a transfer coding (`gzip, chunked`): Node hands the bytes over as they came.
    const transfer = request.headers["transfer-encoding"]
      ?.toLowerCase()
      .split(",")
      .map((coding) => coding.trim())
      .filter((coding) => coding !== "" && coding !== "chunked" && coding !== "identity");
    if (transfer !== undefined && transfer.length > 0) {
      return sendError(
        reply,
        "SWY_E_UNSUPPORTED_MEDIA_TYPE",
        `Transfer-Encoding ${transfer.join(", ")} is not supported: GitHub sends webhook bodies uncompressed and signs them so; turn off compression in whatever forwards them`,
      );
    }
    if (!event || !delivery) {
      const missing = [!event && "X-GitHub-Event", !delivery && "X-GitHub-Delivery"].filter(Boolean).join(" and ");
      return sendError(reply, "SWY_E_MISSING_HEADER", `missing, repeated or malformed ${missing} header: send each once, as GitHub does`);
    }
    // A declared length over the limit is answered 413 by the body reader; a chunked body is metered as it arrives (preParsing).
    const declared = Number(request.headers["content-length"]);
    if (declared <= config.server.bodyLimit) {
      const refusal = budget.admit(reply.raw, declared);
      if (refusal !== null) return refuseForBudget(reply, refusal);
    }
    return undefined;
  };

  app.route({
    method: "POST",
    url: config.server.path,
    bodyLimit: config.server.bodyLimit,
    // The server's own logger, not a child per request: the lines below carry the delivery
    // id and event, which tie them to GitHub's log, and a pino child per webhook cost ~10 µs
    // of the hot path (docs/performance.md).
    childLoggerFactory: (logger) => logger,
    onRequest: preBody,
    preParsing: async (request, reply, payload) => (request.headers["content-length"] === undefined ? budget.meter(payload, reply.raw) : payload),
    onResponse: async (request, reply) => observe(request, reply),
    handler: async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verified = verifySignature(deps.secrets, body, request.headers["x-hub-signature-256"]);
      if (!verified.ok) {
        const signature = request.headers["x-hub-signature-256"];
        seen.set(request, { event: null, outcome: signature === undefined || signature === "" ? "rejected_missing_signature" : "rejected_bad_signature" });
        const ip = clientIp(request.socket.remoteAddress, request.headers["x-forwarded-for"], config.server.trustProxy);
        limiter.recordFailure(limiterKey(ip), now());
        const limitedNow = limitedRequests.has(request);
        failed(request, limitedNow ? "rate_limited" : signature === undefined || signature === "" ? "missing_signature" : "bad_signature", ip);
        if (limitedNow) {
          const limited = limiter.check(limiterKey(ip), now());
          return tooManyFailures(reply, ip, limited.limited ? limited.retryAfterSeconds : 1);
        }
        // The delivery id is unverified here, but it is what ties this line to GitHub's delivery log.
        request.log.warn({ ip, reason: verified.reason, delivery: request.headers["x-github-delivery"] }, "signature verification failed");
        if (request.headers["x-hub-signature-256"] === undefined && request.headers["x-hub-signature"] !== undefined) {
          return sendError(reply, "SWY_E_BAD_SIGNATURE", "only a SHA-1 signature (X-Hub-Signature) was sent: switchyard verifies X-Hub-Signature-256, which GitHub sends with it whenever the webhook has a secret");
        }
        // A mismatch is a secret that differs, or a body changed after it was signed: both are said.
        const fix = verified.reason === SIGNATURE_MISMATCH ? "check WEBHOOK_SECRET on both sides, and that the body is sent byte for byte as signed (curl -d strips newlines: use --data-binary @file)" : "check WEBHOOK_SECRET on both sides";
        return sendError(reply, "SWY_E_BAD_SIGNATURE", `${verified.reason}: ${fix}`);
      }
      // Verified: the header names the event from here on, in the metrics of a refusal too.
      const eventName = request.headers["x-github-event"] as string;
      seen.set(request, { event: eventName });
      const form = mediaType(request.headers["content-type"]) === "form";
      // A stored body is read again (a retry, a replay) without its content type, as JSON when
      // it starts with `{`: a form body that does would be unreadable then.
      if (form && !isFormBody(body) && body.toString("latin1").trim() !== "") return sendError(reply, "SWY_E_BAD_PAYLOAD", "form-encoded body starts with {: GitHub's form bodies are payload=…; send a JSON body as application/json");
      const payload = parseDeliveryBody(body, form);
      if (typeof payload === "string") return sendError(reply, "SWY_E_BAD_PAYLOAD", payload);

      // GitHub never sends an event without its object; a forwarder that mislabels one would
      // have it routed as the event it claims to be, and an agent act on the wrong object.
      const missing = missingEventKeys(eventName, payload);
      if (missing !== null) {
        return sendError(
          reply,
          "SWY_E_BAD_PAYLOAD",
          `X-GitHub-Event is ${eventName}, but the payload has no ${missing.map((key) => `"${key}"`).join(" or ")}: send the header GitHub sent with this payload`,
        );
      }
      const foreign = foreignEventOf(eventName, payload);
      if (foreign !== null) {
        return sendError(reply, "SWY_E_BAD_PAYLOAD", `X-GitHub-Event is ${eventName}, but the payload has a "${foreign.key}", as ${foreign.event}'s do: send the header GitHub sent with this payload`);
      }
      const deliveryId = request.headers["x-github-delivery"] as string;
      // Bound per call, not by a child logger per request: at LOG_LEVEL warn these lines cost nothing.
      const tagged = { delivery: deliveryId, event: eventName };
      const event = normalizeEvent(eventName, payload);
      const { tasks, decision } = planTasks(event, deps.rules, { ...config.routing, deployEnvironment: config.deploy.environment, ownLogins: deps.ownLogins?.(), explain: false });
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = request.headers[name];
        if (typeof value === "string") headers[name] = value;
      }

      // The instant the delivery is handed to the store: the stored ack time counts from it.
      const receivedAt = now();
      let committedAt: number;
      let result: AcceptResult;
      try {
        result = await store.accept(
          {
            id: deliveryId,
            signature: verified.signature,
            event: eventName,
            action: event.action,
            repository: event.repository,
            installation: event.installationId,
            number: event.number,
            headers,
            body,
            receivedAt,
          },
          eventName === "ping" ? [] : tasks,
          { replayWindowMs, handOff: deps.handOff },
        );
        committedAt = now();
      } catch (error) {
        // An outage is a warning without the driver's stack (one per refused delivery); anything else is a bug.
        if (isStoreUnavailable(error)) request.log.warn({ ...tagged, reason: (error as Error).message }, `${storeUnavailableWhy(error)}: delivery answered 503, not stored`);
        else request.log.error({ ...tagged, err: error }, damagedDatabase(error) ?? "store failed to commit a delivery");
        return sendError(reply, "SWY_E_STORE_UNAVAILABLE", "the delivery could not be stored; redeliver it from GitHub once the store is back");
      }

      if (result.duplicate) {
        seen.set(request, { event: eventName, outcome: "duplicate" });
        // A signature duplicate came with a fresh id that was never stored: name the delivery that was.
        const of = result.by === "signature" ? { duplicate_of: result.of ?? null } : {};
        // The same id with another body is no redelivery: a sender reusing ids would lose events silently.
        if (result.sameBody === false) request.log.warn({ ...tagged, by: result.by }, "a delivery id already stored came with a different body: answered as a duplicate, nothing stored or run (does the sender reuse ids?)");
        else request.log.info({ ...tagged, by: result.by, ...of }, "duplicate delivery: nothing re-run");
        return reply.code(200).send({ delivery: deliveryId, duplicate: true, ...of });
      }
      seen.set(request, { event: eventName, outcome: "accepted", tasks: result.tasks });
      deps.onAccepted?.(result, payload);
      if (eventName === "ping") return reply.code(200).send({ pong: true });
      correctAckMs(result, committedAt - receivedAt, tagged, request.log);
      const routed = result.tasks.map((task, i) => ({
        rule: task.rule,
        agent: task.agent,
        priority: tasks[i]!.priority,
        action: tasks[i]!.action,
        task: task.id,
        ...(task.status === "skipped" ? { skipped: true } : {}),
      }));
      request.log.info({ ...tagged, action: event.action, routed: routed.map((r) => ({ agent: r.agent, task: r.task })) }, "delivery accepted");
      // Why nothing routed, when switchyard ignores the event as its own or a bot's (route --json says the same).
      return reply.code(202).send({ delivery: deliveryId, duplicate: false, routed, ...(decision.ignored ? { ignored: decision.ignored } : {}) });
    },
  });

  app.route({
    method: ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: config.server.path,
    handler: async (request, reply) => {
      reply.header("allow", "POST");
      return sendError(reply, "SWY_E_METHOD_NOT_ALLOWED", `${request.method} is not allowed here: GitHub POSTs deliveries to ${config.server.path}`);
    },
  });
}
