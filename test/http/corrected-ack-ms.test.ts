import { describe, expect, it } from "vitest";
import { ACK_CORRECTION_MS, correctedAckMs } from "../../src/http/corrected-ack-ms.js";

describe("correctedAckMs", () => {
  it.each([
    { case: "an fsync after the in-line figure", stored: 1, full: 4, expected: null },
    { case: "a gap of exactly the threshold", stored: 2, full: 2 + ACK_CORRECTION_MS, expected: null },
    { case: "a gap just over the threshold", stored: 2, full: 3 + ACK_CORRECTION_MS, expected: 3 + ACK_CORRECTION_MS },
    { case: "a 5.5 s table lock the insert waited for", stored: 0, full: 5_512, expected: 5_512 },
    { case: "a slow batch already in the stored figure", stored: 2_400, full: 2_430, expected: null },
    // The route's clock stepped back between the two readings: nothing to raise.
    { case: "a full figure below the stored one", stored: 300, full: 40, expected: null },
  ])("$case: $expected", ({ stored, full, expected }) => {
    expect(correctedAckMs(stored, full)).toBe(expected);
  });
});
