// An open-loop load: unique signed deliveries sent on a fixed schedule (one every 1/rate s)
// whether or not the earlier ones were answered, as GitHub sends them. autocannon's
// `overallRate` is not that: each connection sends its share of a second back to back at
// the start of the second and then waits, so the server would see a burst every second.
// Requests go out on a pool of keep-alive sockets (a new one when all are busy, up to
// `sockets`). A request's latency runs from just before it is handed to node:http to the end
// of its response (fractional ms), so a wait for a free socket counts against the server;
// how late the generator itself sent against the schedule is recorded apart (sendLagMs), so
// that a late generator is not mistaken for a slow server.
import http from "node:http";
import { deliveryHeaders, signedDelivery } from "./signed-load.js";
import { percentile } from "./stats.js";

const REQUEST_TIMEOUT_MS = 10_000;

const msSince = (start) => Number(process.hrtime.bigint() - start) / 1e6;

const percentiles = (sorted) => ({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null });

/**
 * Sends `rate × seconds` deliveries to `url`, `rate` per second, and resolves once every one
 * is answered (or failed). Same result shape as runSignedLoad, plus the schedule's figures.
 *
 * @example
 * const r = await runOpenLoad({ url, secret, template, rate: 1000, seconds: 20, tag: "o" });
 */
export async function runOpenLoad({ url, secret, template, rate, seconds, tag, sockets = 64 }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const common = deliveryHeaders(template);
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalMs = 1000 / rate;
  const latencies = [];
  const lags = [];
  const statuses = {};
  const socketsUsed = new Set();
  let errors = 0;
  let timeouts = 0;
  let sent = 0;
  let settled = 0;
  let allSettled;
  const done = new Promise((resolve) => {
    allSettled = resolve;
  });

  const send = (seq) => {
    const { body, headers } = signedDelivery({ template, secret, tag, seq });
    let over = false;
    // Every request ends exactly once, whichever of response, error or timeout comes first.
    const end = (record) => {
      if (over) return;
      over = true;
      record();
      if (++settled === total) allSettled();
    };
    const start = process.hrtime.bigint();
    const options = { agent, hostname: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { ...common, ...headers, "content-length": body.length }, timeout: REQUEST_TIMEOUT_MS };
    const request = http.request(options, (response) => {
      response.resume();
      response.on("end", () =>
        end(() => {
          latencies.push(msSince(start));
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        }),
      );
      response.on("error", () => end(() => errors++));
    });
    request.on("socket", (socket) => socketsUsed.add(socket));
    request.on("timeout", () => {
      end(() => timeouts++);
      request.destroy();
    });
    request.on("error", () => end(() => errors++));
    request.end(body);
  };

  const startedAt = Date.now();
  // The load generator's own CPU (this process): it shares the machine with the server.
  const cpuBefore = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  // Sends whatever is due (several when a timer fired late), then sleeps until the next one.
  const tick = () => {
    const due = Math.min(total, Math.floor(msSince(t0) / intervalMs) + 1);
    for (; sent < due; sent++) {
      lags.push(msSince(t0) - sent * intervalMs);
      send(sent + 1);
    }
    if (sent < total) setTimeout(tick, Math.max(1, Math.floor(sent * intervalMs - msSince(t0))));
  };
  tick();
  await done;
  const wallSeconds = msSince(t0) / 1000;
  const endedAt = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const responses = latencies.length;
  const non2xx = Object.entries(statuses).reduce((n, [status, count]) => (Number(status) >= 200 && Number(status) < 300 ? n : n + count), 0);
  return {
    startedAt,
    endedAt,
    seconds: wallSeconds,
    askedRate: rate,
    requestsBuilt: total,
    responses,
    // Answered requests per second of wall time, first send to last answer.
    reqPerSec: responses / wallSeconds,
    loadCpuUsPerRequest: responses === 0 ? null : (cpu.user + cpu.system) / responses,
    latencyMs: percentiles(latencies),
    sendLagMs: percentiles(lags),
    socketsUsed: socketsUsed.size,
    statuses,
    non2xx,
    errors,
    timeouts,
  };
}
