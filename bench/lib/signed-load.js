// Load with real, signed, never-repeated GitHub deliveries: every request carries a fresh
// delivery id and a body that differs from every other one (a counter in issue.title), and
// is signed anew, so neither server can short-cut on a repeated id, signature or body.
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import autocannon from "autocannon";
import { percentile } from "./stats.js";

const require = createRequire(import.meta.url);
const MARK = "\u0000bench-seq\u0000";

/**
 * The issues.opened example (the first, 11.6 KB compact) cut around the issue title, so
 * that a unique body is two concatenations away.
 */
export function loadIssuesOpenedTemplate() {
  const examples = require("@octokit/webhooks-examples");
  const payload = examples.find((e) => e.name === "issues").examples.find((p) => p.action === "opened");
  const title = payload.issue.title;
  const text = JSON.stringify({ ...payload, issue: { ...payload.issue, title: MARK } });
  const [head, tail] = text.split(JSON.stringify(MARK));
  return { event: "issues", bytes: Buffer.byteLength(JSON.stringify(payload)), head: `${head}"${title} #`, tail: `"${tail}` };
}

/** The headers every delivery carries, whoever sends it. */
export function deliveryHeaders(template) {
  return { "content-type": "application/json", "user-agent": "GitHub-Hookshot/bench", "x-github-event": template.event };
}

/** The `seq`-th unique delivery of a load tagged `tag`: its body and the headers that make it unique (id, signature). */
export function signedDelivery({ template, secret, tag, seq }) {
  const body = Buffer.from(`${template.head}${tag}-${seq}${template.tail}`);
  const headers = { "x-github-delivery": randomUUID(), "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` };
  return { body, headers };
}

/**
 * Runs autocannon against `url` for `seconds` with `connections` keep-alive connections.
 * Latencies are recorded per response in fractional ms (autocannon's own histogram is
 * 1 ms-granular, too coarse for a loopback server).
 *
 * @example
 * const r = await runSignedLoad({ url, secret, template, connections: 10, seconds: 8, tag: "s1" });
 */
export async function runSignedLoad({ url, secret, template, connections, seconds, tag }) {
  let seq = 0;
  const latencies = [];
  const statuses = {};
  const setupRequest = (request) => {
    const { body, headers } = signedDelivery({ template, secret, tag, seq: ++seq });
    request.body = body;
    request.headers = { ...request.headers, ...headers };
    return request;
  };
  const startedAt = Date.now();
  // The load generator's own CPU (this process): it shares the machine with the server.
  const cpuBefore = process.cpuUsage();
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      { method: "POST", headers: deliveryHeaders(template), setupRequest },
    ],
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    latencies.push(responseTime);
  });
  const result = await instance;
  const endedAt = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const responses = latencies.length;
  const seconds_ = (endedAt - startedAt) / 1000;
  return {
    startedAt,
    endedAt,
    seconds: seconds_,
    requestsBuilt: seq,
    responses,
    reqPerSec: responses / seconds_,
    loadCpuUsPerRequest: responses === 0 ? null : (cpu.user + cpu.system) / responses,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? null },
    statuses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
