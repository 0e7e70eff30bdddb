import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../src/queue/parse-retry-after.js";

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

describe("parseRetryAfter (property)", () => {
  it("never throws: any string gives null or a delay of at least 0", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("Wed, 21 Oct 2015 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994")), fc.integer({ min: 0, max: 4_102_444_800_000 }), (value, now) => {
        const delay = parseRetryAfter(value, now);
        if (delay !== null) expect(delay).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 3000 },
    );
  });

  it("delay-seconds round-trip", () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.constantFrom("", " ", "\t"), (seconds, pad) => {
        expect(parseRetryAfter(`${pad}${seconds}${pad}`, NOW)).toBe(seconds * 1000);
      }),
    );
  });

  it("an HTTP-date (IMF-fixdate) round-trips at second precision; a past one is 0", () => {
    fc.assert(
      fc.property(fc.integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 }), (offsetSeconds) => {
        const at = NOW + offsetSeconds * 1000;
        expect(parseRetryAfter(new Date(at).toUTCString(), NOW)).toBe(Math.max(0, at - NOW));
      }),
      { numRuns: 1000 },
    );
  });
});
