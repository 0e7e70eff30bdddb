import { describe, expect, it } from "vitest";
import { computeKpis, type KpiId } from "../../src/observability/compute-kpis.js";
import { parseSince } from "../../src/observability/parse-since.js";
import type { KpiCounts } from "../../src/store/store-stats.js";

const WINDOW = { since: 0, until: 86_400_000 };
const EMPTY: KpiCounts = {
  deliveries: 0,
  unsigned: 0,
  acked: 0,
  ackP95Ms: null,
  routedFinished: 0,
  routedSucceeded: 0,
  finishedTasks: 0,
  retries: 0,
  retriedTasks: 0,
  retriedSucceeded: 0,
  rejections: {},
  verifiedInRejectionHours: 0,
};

function kpi(counts: Partial<KpiCounts>, id: KpiId) {
  const found = computeKpis({ ...EMPTY, ...counts }, WINDOW).kpis.find((k) => k.id === id)!;
  return [found.actual, found.status];
}

describe("computeKpis", () => {
  it.each([
    ["routing_success above 99 %", { routedFinished: 1000, routedSucceeded: 995 }, "routing_success", 99.5, "met"],
    ["routing_success exactly 99 % misses > 99", { routedFinished: 100, routedSucceeded: 99 }, "routing_success", 99, "missed"],
    ["response p95 under 3 s", { acked: 10, ackP95Ms: 2999 }, "response_time_p95", 2.999, "met"],
    ["response p95 of exactly 3 s misses < 3", { acked: 10, ackP95Ms: 3000 }, "response_time_p95", 3, "missed"],
    ["every signed delivery verified", { deliveries: 40, verifiedInRejectionHours: 40 }, "security_verification", 100, "met"],
    // 99.999 % is shown as 99.99, never rounded up to a 100 that would contradict "missed".
    ["one failed check in 100000", { verifiedInRejectionHours: 99_999, rejections: { bad_signature: 1 } }, "security_verification", 99.99, "missed"],
    ["a missing signature counts as a failed check", { verifiedInRejectionHours: 3, rejections: { missing_signature: 1 } }, "security_verification", 75, "missed"],
    ["other refusals are not signature checks", { verifiedInRejectionHours: 3, rejections: { rate_limited: 9, ip_not_allowed: 2 } }, "security_verification", 100, "met"],
    ["only refused requests: nothing verified, all failed", { rejections: { bad_signature: 2 } }, "security_verification", 0, "missed"],
    ["no unsigned delivery", { deliveries: 5 }, "unauthorized_acceptances", 0, "met"],
    ["refused requests alone are data: zero acceptances", { rejections: { rate_limited: 1 } }, "unauthorized_acceptances", 0, "met"],
    ["an unsigned delivery", { deliveries: 5, unsigned: 1 }, "unauthorized_acceptances", 1, "missed"],
    ["retry success 96 %", { retriedTasks: 25, retriedSucceeded: 24 }, "retry_success", 96, "met"],
    ["retry success 2/3 shown rounded down", { retriedTasks: 3, retriedSucceeded: 2 }, "retry_success", 66.66, "missed"],
    ["average retries 1.2", { finishedTasks: 10, retries: 12 }, "average_retries", 1.2, "met"],
    ["average retries 1.5 misses < 1.5", { finishedTasks: 2, retries: 3 }, "average_retries", 1.5, "missed"],
    ["average retries 1/3 shown rounded up", { finishedTasks: 3, retries: 1 }, "average_retries", 0.34, "met"],
  ] as const)("%s", (_name, counts, id, actual, status) => {
    expect(kpi(counts as Partial<KpiCounts>, id)).toEqual([actual, status]);
  });

  it("says n/a for every KPI when there is no data, never a number", () => {
    const report = computeKpis(EMPTY, WINDOW);
    expect(report.kpis.map((k) => k.id)).toEqual(["routing_success", "response_time_p95", "security_verification", "unauthorized_acceptances", "retry_success", "average_retries"]);
    expect(report.kpis.every((k) => k.actual === null && k.status === "n/a")).toBe(true);
    expect(report.kpis.map((k) => k.target)).toEqual(["> 99", "< 3", "= 100", "= 0", "> 95", "< 1.5"]);
  });
});

describe("parseSince", () => {
  it.each([
    ["24h", 86_400_000],
    ["30m", 1_800_000],
    ["7d", 604_800_000],
    ["90s", 90_000],
    ["1.5h", 5_400_000],
  ])("%s → %d ms", (value, ms) => {
    expect(parseSince(value)).toBe(ms);
  });

  it.each(["24", "-1h", "h", "24 hours", "1w", ""])("refuses %j", (value) => {
    expect(parseSince(value)).toMatch(/^since must be a duration with a unit/);
  });

  it.each(["0h", "0.0001s"])("refuses %j as no window at all, saying so", (value) => {
    expect(parseSince(value)).toBe(`since must be longer than zero, like 24h, not "${value}"`);
  });

  it("takes up to 100 years and refuses windows no date can start (they made an Invalid time value)", () => {
    expect(parseSince("36500d")).toBe(36_500 * 86_400_000);
    for (const value of ["36501d", "99999999999999999999d"]) expect(parseSince(value)).toMatch(/^since is at most 36500d \(100 years\)/);
  });
});
