import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../src/queue/parse-retry-after.js";

const NOW = Date.UTC(2015, 9, 21, 7, 27, 0); // Wed, 21 Oct 2015 07:27:00 GMT

describe("parseRetryAfter", () => {
  it.each([
    ["120", 120_000],
    ["0", 0],
    ["  30 ", 30_000],
    ["007", 7000],
    // The three HTTP-date forms of RFC 9110 §5.6.7, one minute ahead.
    ["Wed, 21 Oct 2015 07:28:00 GMT", 60_000],
    ["Wednesday, 21-Oct-15 07:28:00 GMT", 60_000],
    ["Wed Oct 21 07:28:00 2015", 60_000],
    ["wed, 21 oct 2015 07:28:30 gmt", 90_000],
    // A date in the past means retry now.
    ["Tue, 20 Oct 2015 07:28:00 GMT", 0],
    ["Thu, 01 Jan 1970 00:00:00 GMT", 0],
  ])("%j → %j ms", (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([
    [undefined],
    [null],
    [""],
    ["   "],
    ["-1"],
    ["1.5"],
    ["1e3"],
    ["0x10"],
    ["soon"],
    ["foo 12"],
    ["12 seconds"],
    ["2015-10-21T07:28:00Z"],
    ["Wed, 21 Oct 2015 07:28:00 PST"],
    ["Wed, 31 Feb 2015 07:28:00 GMT"],
    ["Wed, 21 Oct 2015 25:28:00 GMT"],
    ["Wed, 21 Foo 2015 07:28:00 GMT"],
  ])("%j → null", (value) => {
    expect(parseRetryAfter(value, NOW)).toBeNull();
  });

  it("reads asctime's space-padded single-digit day", () => {
    expect(parseRetryAfter("Thu Oct  1 07:27:00 2015", Date.UTC(2015, 8, 30, 7, 27, 0))).toBe(86_400_000);
  });

  it("reads a two-digit RFC 850 year as the most recent past century when needed", () => {
    const now = Date.UTC(2030, 0, 1);
    // 99 would be 2099, more than 50 years ahead of 2030: it means 1999, long past.
    expect(parseRetryAfter("Friday, 31-Dec-99 23:59:59 GMT", now)).toBe(0);
    expect(parseRetryAfter("Wednesday, 01-Jan-30 00:01:00 GMT", now)).toBe(60_000);
  });
});
