import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSignatureHeader, signPayload, verifySignature } from "../../src/security/verify-signature.js";

const SECRET = "property-secret";
const WELL_FORMED = /^sha256=[0-9a-fA-F]{64}$/;
const hex64 = fc.string({ minLength: 64, maxLength: 64, unit: fc.constantFrom(..."0123456789abcdefABCDEF") });

// Near misses of the one accepted shape, and anything at all.
const header = fc.oneof(
  fc.string({ unit: "binary" }),
  hex64.map((h) => `sha256=${h}`),
  fc.tuple(fc.constantFrom("sha256=", "SHA256=", "sha256 =", "sha1=", "sha512=", " sha256=", "sha256=="), hex64, fc.string({ maxLength: 3 })).map(([p, h, tail]) => p + h + tail),
  fc.tuple(hex64, fc.integer({ min: 0, max: 63 })).map(([h, cut]) => `sha256=${h.slice(0, cut)}`),
  fc.tuple(hex64, hex64).map(([a, b]) => `sha256=${a}, sha256=${b}`),
);

describe("verifySignature header parsing (property)", () => {
  it("never throws, and never accepts a header that is not exactly sha256=<64 hex>", () => {
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 256 }), (value, bytes) => {
        const check = verifySignature([SECRET], Buffer.from(bytes), value);
        if (!WELL_FORMED.test(value)) expect(check.ok).toBe(false);
        expect(isSignatureHeader(value)).toBe(WELL_FORMED.test(value));
      }),
      { numRuns: 3000 },
    );
  });

  it("never throws on a header array or non-string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.string()), fc.constant(undefined)), (value) => {
        expect(verifySignature([SECRET], Buffer.from("{}"), value as string | string[] | undefined).ok).toBe(false);
      }),
    );
  });

  it("accepts the true signature (in either hex case) and refuses it for any other body or secret", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), fc.nat(), fc.string({ minLength: 1 }), (bytes, upper, flip, other) => {
        const body = Buffer.from(bytes);
        const signature = signPayload(SECRET, body);
        const sent = upper ? `sha256=${signature.slice(7).toUpperCase()}` : signature;
        expect(verifySignature([SECRET], body, sent)).toEqual({ ok: true, signature });
        expect(verifySignature(["", other === SECRET ? `${other}x` : other, SECRET], body, sent).ok).toBe(true);
        if (other !== SECRET) expect(verifySignature([other], body, sent).ok).toBe(false);
        const tampered = Buffer.concat([body, Buffer.from([flip % 256])]);
        expect(verifySignature([SECRET], tampered, sent).ok).toBe(false);
        if (body.length > 0) {
          const changed = Buffer.from(body);
          const at = flip % body.length;
          changed[at] = changed[at]! ^ (1 << (flip % 8));
          expect(verifySignature([SECRET], changed, sent).ok).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
