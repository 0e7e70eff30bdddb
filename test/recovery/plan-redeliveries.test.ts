import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { planRedeliveries, type HookLogEntry } from "../../src/recovery/plan-redeliveries.js";
import { nextCursor } from "../../src/recovery/read-hook-log.js";
import { sweepExitCode } from "../../src/recovery/sweep-error.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;
let ids = 0;
const entry = (guid: string, statusCode: number, hoursAgo: number): HookLogEntry => ({ id: ++ids, guid, deliveredAt: NOW - hoursAgo * HOUR, statusCode, event: "issues", action: "opened" });
const base = { since: NOW - 72 * HOUR, known: new Set<string>(), history: new Map(), askedThisSweep: new Set<string>(), now: NOW, maxAsks: 3, cooldownMs: 5 * 60_000 };

describe("planRedeliveries", () => {
  it.each([
    { name: "a failed guid the store lacks is asked for", entries: [entry("a", 502, 1)], asks: ["a"] },
    { name: "a 2xx entry anywhere means delivered", entries: [entry("b", 502, 2), entry("b", 200, 1)], asks: [] },
    { name: "unreachable (status 0) counts as failed", entries: [entry("c", 0, 1)], asks: ["c"] },
    { name: "outside the lookback is ignored", entries: [entry("d", 502, 73)], asks: [] },
    { name: "oldest first, each guid once", entries: [entry("e", 502, 1), entry("f", 500, 5), entry("e", 502, 3)], asks: ["f", "e"] },
  ])("$name", ({ entries, asks }) => {
    expect(planRedeliveries({ ...base, entries }).asks.map((a) => a.guid)).toEqual(asks);
  });

  it("asks for a guid's latest entry", () => {
    const older = entry("g", 502, 5);
    const latest = entry("g", 502, 1);
    expect(planRedeliveries({ ...base, entries: [older, latest] }).asks[0]?.entry.id).toBe(latest.id);
  });

  it("orders by when the event first failed, not by its latest failed redelivery, and asks by the latest entry", () => {
    // g-miss1 failed 20 h ago and its redelivery 3 h ago; g-miss2 failed once, 10 h ago.
    const miss1 = { ...entry("g-miss1", 502, 20), id: 101 };
    const miss2 = { ...entry("g-miss2", 502, 10), id: 105 };
    const miss1Again = { ...entry("g-miss1", 502, 3), id: 118 };
    const asks = planRedeliveries({ ...base, entries: [miss1Again, miss2, miss1] }).asks;
    expect(asks.map((a) => [a.guid, a.entry.id])).toEqual([
      ["g-miss1", 118],
      ["g-miss2", 105],
    ]);
  });

  it("leaves alone what the store holds, what was asked 3 times, what was just asked, and what this sweep asked", () => {
    const entries = ["held", "exhausted", "recent", "twice", "other-hook"].map((g) => entry(g, 502, 1));
    const plan = planRedeliveries({
      ...base,
      entries,
      known: new Set(["held"]),
      history: new Map([
        ["exhausted", { asks: 3, lastAskedAt: NOW - 10 * HOUR, lastStatus: 202 }],
        ["recent", { asks: 1, lastAskedAt: NOW - 60_000, lastStatus: 202 }],
        ["twice", { asks: 2, lastAskedAt: NOW - HOUR, lastStatus: 202 }],
      ]),
      askedThisSweep: new Set(["other-hook"]),
    });
    expect(plan).toMatchObject({ scanned: 5, failed: 5, missing: 4, givenUp: ["exhausted"], waiting: ["recent"] });
    expect(plan.asks.map((a) => a.guid)).toEqual(["twice"]);
  });
});

describe("nextCursor", () => {
  it.each([
    ['<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_123>; rel="next"', "v1_123"],
    ['<https://x/deliveries?cursor=v1_9>; rel="prev", <https://x/deliveries?cursor=v1_7>; rel="next"', "v1_7"],
    ['<https://x/deliveries?cursor=v1_9>; rel="prev"', null],
    [undefined, null],
  ])("%s → %s", (link, cursor) => {
    expect(nextCursor(link)).toBe(cursor);
  });
});

describe("sweepExitCode", () => {
  it.each([
    [[], 0],
    [[{ kind: "busy" as const, message: "" }], 0],
    [[{ kind: "unreachable" as const, message: "" }], 1],
    [[{ kind: "unreachable" as const, message: "" }, { kind: "forbidden" as const, message: "" }], 2],
  ])("%j → %d", (errors, code) => {
    expect(sweepExitCode(errors)).toBe(code);
  });
});

describe("recovery and retention config", () => {
  it("takes the defaults: 10m, 72h; bodies 30d, rows 90d", () => {
    const { config } = parseConfig({});
    expect(config.recovery).toEqual({ hooks: [], interval: 600_000, lookback: 72 * HOUR });
    expect(config.store.retention).toEqual({ bodies: 30 * 24 * HOUR, rows: 90 * 24 * HOUR });
  });

  it("refuses a retention below the replay window, naming both", () => {
    expect(() => parseConfig({ store: { retention: { bodies: "24h" } } })).toThrow(/store\.retention\.bodies \(1d\) is shorter than the replay window.*72h\): keep deliveries at least that long$/);
    // Days written as a bare number are milliseconds, and the message says so.
    expect(() => parseConfig({ store: { retention: { bodies: 30 } } })).toThrow(/store\.retention\.bodies \(30ms\) is shorter .*; a bare number counts milliseconds, so write 30d for days$/);
    expect(() => parseConfig({ store: { retention: { rows: "4d" } }, security: { replayWindowHours: 100 } })).toThrow(/store\.retention\.rows/);
  });

  it("refuses a hook that is none of the three kinds, and a lookback GitHub cannot serve", () => {
    expect(() => parseConfig({ recovery: { hooks: [{ repository: "octo", id: 1 }] } })).toThrow(/recovery hook|owner\/name/);
    expect(() => parseConfig({ recovery: { lookback: "200h" } })).toThrow(/at most 168h/);
    expect(parseConfig({ recovery: { hooks: [{ organization: "octo", id: 4 }, { app: true }] } }).config.recovery.hooks).toHaveLength(2);
  });
});
