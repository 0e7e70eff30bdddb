import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "../../src/queue/agent-errors.js";
import { exampleOf } from "../support/examples.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

const TOKEN = "metrics-test-admin-token";

/** Prometheus text → value by `name{labels}` as exposed (labels in the order prom-client writes them). */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

function issueWithLabel(label: string, n: number): Record<string, unknown> {
  const payload = exampleOf("issues", "opened") as unknown as { issue: { number: number; labels: { name: string }[] } };
  payload.issue.number = n;
  payload.issue.labels = [{ name: label }];
  return payload as unknown as Record<string, unknown>;
}

describe("GET /metrics after known traffic", () => {
  let server: TestServer;
  const runs = new Map<string, number>();
  const admin = (path: string, token: string | null = TOKEN) => fetch(server.adminUrl + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    server = await startTestServer(
      {
        admin: { token: TOKEN },
        retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 40, multiplier: 2 },
        agents: { Flaky: { exec: ["true"] }, Broken: { exec: ["true"] } },
        routing: {
          rules: [
            { id: "flaky", when: { event: "issues", action: "opened", label: "flaky" }, agent: "Flaky", priority: "critical", action: "flaky" },
            { id: "broken", when: { event: "issues", action: "opened", label: "broken" }, agent: "Broken", priority: "critical", action: "broken" },
          ],
        },
      },
      undefined,
      {
        pollMs: 20,
        // Flaky fails once (transient) and then succeeds; Broken fails for good at once.
        executorFor: (agent) => async (ctx) => {
          const n = (runs.get(ctx.task.id) ?? 0) + 1;
          runs.set(ctx.task.id, n);
          if (agent === "Broken") throw new PermanentError("bad input");
          if (n === 1) throw new TransientError("busy");
        },
      },
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("counts deliveries by outcome, tasks, attempts and the queue, and keeps refusals durably for the KPIs", async () => {
    const flaky = await server.deliver("issues", issueWithLabel("flaky", 1), { delivery: "metrics-flaky" });
    expect(flaky.status).toBe(202);
    const broken = await server.deliver("issues", issueWithLabel("broken", 2), { delivery: "metrics-broken" });
    expect(broken.status).toBe(202);
    expect((await server.deliver("issues", issueWithLabel("flaky", 1), { delivery: "metrics-flaky" })).status).toBe(200);
    expect((await server.deliver("issues", issueWithLabel("flaky", 3), { secret: "not-the-secret" })).status).toBe(401);
    expect((await server.deliver("issues", issueWithLabel("flaky", 4), { headers: { "x-hub-signature-256": undefined } })).status).toBe(401);
    expect((await server.deliver("issues", {}, { headers: { "content-type": "text/plain" } })).status).toBe(415);

    const flakyTask = flaky.body.routed[0].task as string;
    const brokenTask = broken.body.routed[0].task as string;
    await waitFor(async () => (await server.store.getTask(flakyTask))?.status === "succeeded" && (await server.store.getTask(brokenTask))?.status === "dead", 10_000);

    // The worker's observer runs right after each commit: scrape until the last one is in.
    const samples = await waitFor(async () => {
      const res = await admin("/metrics");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const parsed = parseExposition(await res.text());
      return parsed.get('switchyard_tasks_total{agent="Broken",status="dead"}') === 1 && parsed.get('switchyard_tasks_total{agent="Flaky",status="succeeded"}') === 1 ? parsed : null;
    });

    const expected: Record<string, number> = {
      'switchyard_deliveries_total{event="issues",outcome="accepted"}': 2,
      'switchyard_deliveries_total{event="issues",outcome="duplicate"}': 1,
      'switchyard_deliveries_total{event="unknown",outcome="rejected_bad_signature"}': 1,
      'switchyard_deliveries_total{event="unknown",outcome="rejected_missing_signature"}': 1,
      'switchyard_deliveries_total{event="unknown",outcome="rejected_unsupported_media_type"}': 1,
      switchyard_ack_seconds_count: 3,
      'switchyard_tasks_total{agent="Flaky",status="ready"}': 1,
      'switchyard_tasks_total{agent="Broken",status="ready"}': 1,
      'switchyard_tasks_total{agent="Flaky",status="succeeded"}': 1,
      'switchyard_tasks_total{agent="Broken",status="dead"}': 1,
      'switchyard_attempts_total{agent="Flaky",outcome="transient"}': 1,
      'switchyard_attempts_total{agent="Flaky",outcome="succeeded"}': 1,
      'switchyard_attempts_total{agent="Broken",outcome="permanent"}': 1,
      'switchyard_executor_seconds_count{agent="Flaky",outcome="transient"}': 1,
      'switchyard_executor_seconds_count{agent="Flaky",outcome="succeeded"}': 1,
      'switchyard_executor_seconds_count{agent="Broken",outcome="permanent"}': 1,
      'switchyard_queue_depth{status="ready"}': 0,
      'switchyard_queue_depth{status="running"}': 0,
      'switchyard_queue_depth{status="dead"}': 1,
      switchyard_oldest_ready_seconds: 0,
    };
    for (const [series, value] of Object.entries(expected)) expect([series, samples.get(series)]).toEqual([series, value]);
    // Nothing else was counted: no other outcome, agent or status appeared.
    const counted = [...samples.keys()].filter((k) => /^switchyard_(deliveries|tasks|attempts)_total\{/.test(k));
    expect(counted.sort()).toEqual(Object.keys(expected).filter((k) => /^switchyard_(deliveries|tasks|attempts)_total\{/.test(k)).sort());
    // Every ack took under 3 s: the KPI's bound is a bucket of its own.
    expect(samples.get('switchyard_ack_seconds_bucket{le="3"}')).toBe(3);
    // Node's default metrics come along.
    expect(samples.has("process_cpu_user_seconds_total")).toBe(true);
    expect(samples.has("nodejs_heap_size_used_bytes")).toBe(true);

    // Refusals reach the store's hourly counters within a second: the KPIs read them there.
    const report = await waitFor(async () => {
      const body = (await (await admin("/api/kpi?since=1h")).json()) as { kpis: { id: string; actual: number | null; status: string }[] };
      return body.kpis.find((k) => k.id === "security_verification")?.actual === 50 ? body : null;
    });
    const byId = Object.fromEntries(report.kpis.map((k) => [k.id, [k.actual, k.status]]));
    expect(byId).toMatchObject({
      // Of the two routed deliveries one had its task die.
      routing_success: [50, "missed"],
      // 2 verified deliveries, 2 failed signature checks (the 415 never reached the check).
      security_verification: [50, "missed"],
      unauthorized_acceptances: [0, "met"],
      retry_success: [100, "met"],
      average_retries: [0.5, "met"],
    });
    expect(byId.response_time_p95![1]).toBe("met");
  });

  it("keeps the redelivery counter registered with no series until the sweep exists", async () => {
    const text = await (await admin("/metrics")).text();
    expect(text).toContain("# TYPE switchyard_redeliveries_total counter");
    expect(text).not.toMatch(/^switchyard_redeliveries_total/m);
  });

  it("needs the admin token like every admin route: /metrics and /api/kpi", async () => {
    for (const path of ["/metrics", "/api/kpi"]) {
      expect((await admin(path, null)).status).toBe(401);
      expect((await admin(path, "wrong-token-of-same-size!")).status).toBe(401);
    }
  });

  it("answers /api/kpi in the documented shape, and refuses a since without a unit", async () => {
    const res = await admin("/api/kpi");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { since: string; until: string; kpis: Record<string, unknown>[] };
    expect(Date.parse(body.until) - Date.parse(body.since)).toBe(24 * 3_600_000);
    expect(body.kpis.map((k) => Object.keys(k))).toEqual(Array(6).fill(["id", "name", "target", "actual", "unit", "status"]));
    const bad = await admin("/api/kpi?since=24");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("SWY_E_BAD_REQUEST");
    // A window no date can start was a 500 ("Invalid time value").
    const huge = await admin("/api/kpi?since=99999999999h");
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { error: { message: string } }).error.message).toMatch(/at most 36500d/);
  });

  it("counts a signed delivery of a made-up event under event=\"other\": a sender cannot mint series", async () => {
    expect((await server.deliver("totally_made_up", { zen: "x" }, { delivery: "metrics-made-up" })).status).toBe(202);
    const samples = parseExposition(await (await admin("/metrics")).text());
    expect(samples.get('switchyard_deliveries_total{event="other",outcome="accepted"}')).toBe(1);
    expect([...samples.keys()].filter((k) => k.includes("totally_made_up"))).toEqual([]);
  });

  it("counts a signed payload it refuses under its event: the signature verified, so the header is GitHub's", async () => {
    expect((await server.deliver("pull_request", null, { raw: "{not json", delivery: "metrics-bad-json" })).status).toBe(400);
    const samples = parseExposition(await (await admin("/metrics")).text());
    expect(samples.get('switchyard_deliveries_total{event="pull_request",outcome="rejected_bad_payload"}')).toBe(1);
  });
});

describe("metrics of two servers in one process", () => {
  it("keep apart: each runtime has its own registry", async () => {
    const [a, b] = await Promise.all([startTestServer(), startTestServer()]);
    try {
      expect((await a.deliver("ping", { zen: "a", hook_id: 1 })).status).toBe(200);
      const scrape = async (s: TestServer) => parseExposition(await (await fetch(`${s.adminUrl}/metrics`)).text());
      expect((await scrape(a)).get('switchyard_deliveries_total{event="ping",outcome="accepted"}')).toBe(1);
      expect((await scrape(b)).has('switchyard_deliveries_total{event="ping",outcome="accepted"}')).toBe(false);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe("metrics of a process without a webhook listener", () => {
  it("leave out the ack histogram, which only a webhook listener can fill", async () => {
    const [worker, all] = await Promise.all([startTestServer({}, undefined, { role: "worker" }), startTestServer()]);
    try {
      const text = async (s: TestServer) => (await fetch(`${s.adminUrl}/metrics`)).text();
      const workerText = await text(worker);
      expect(workerText).toContain("switchyard_attempts_total");
      expect(workerText).not.toContain("switchyard_ack_seconds");
      expect(await text(all)).toContain("switchyard_ack_seconds_count 0");
    } finally {
      await Promise.all([worker.stop(), all.stop()]);
    }
  });
});
