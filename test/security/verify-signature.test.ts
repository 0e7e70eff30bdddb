import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signPayload, verifySignature } from "../../src/security/verify-signature.js";

// GitHub's documented test vector:
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_BODY = Buffer.from("Hello, World!");
const GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

const SECRET = "s3cret";
const BODY = Buffer.from('{"action":"opened","issue":{"number":1}}');
const GOOD = signPayload(SECRET, BODY);
const HEX = GOOD.slice("sha256=".length);

describe("signPayload", () => {
  it("matches GitHub's documented test vector", () => {
    expect(signPayload(GITHUB_SECRET, GITHUB_BODY)).toBe(GITHUB_SIGNATURE);
    expect(signPayload(GITHUB_SECRET, "Hello, World!")).toBe(GITHUB_SIGNATURE);
  });

  it("signs a string as its UTF-8 bytes", () => {
    expect(signPayload(SECRET, "é☃")).toBe(signPayload(SECRET, Buffer.from("é☃", "utf8")));
    expect(signPayload(SECRET, "é☃")).toBe(`sha256=${createHmac("sha256", SECRET).update(Buffer.from([0xc3, 0xa9, 0xe2, 0x98, 0x83])).digest("hex")}`);
  });
});

describe("verifySignature", () => {
  it("accepts GitHub's documented test vector", () => {
    expect(verifySignature([GITHUB_SECRET], GITHUB_BODY, GITHUB_SIGNATURE)).toEqual({ ok: true, signature: GITHUB_SIGNATURE });
  });

  it("accepts upper-case hex and returns the signature in lower case", () => {
    expect(verifySignature([SECRET], BODY, `sha256=${HEX.toUpperCase()}`)).toEqual({ ok: true, signature: GOOD });
  });

  it("accepts a signature by any configured secret (rotation)", () => {
    expect(verifySignature(["old-secret", SECRET], BODY, GOOD)).toEqual({ ok: true, signature: GOOD });
    expect(verifySignature([SECRET, "new-secret"], BODY, GOOD)).toEqual({ ok: true, signature: GOOD });
    expect(verifySignature(["old-secret", "new-secret"], BODY, GOOD)).toEqual({
      ok: false,
      reason: "signature does not match any configured secret",
    });
  });

  it("rejects a body changed by one byte", () => {
    const tampered = Buffer.from(BODY);
    tampered[10] = (tampered[10] ?? 0) ^ 0x01;
    expect(verifySignature([SECRET], tampered, GOOD)).toEqual({ ok: false, reason: "signature does not match any configured secret" });
  });

  it("rejects a signature changed in its last hex digit", () => {
    const last = HEX.at(-1) === "0" ? "1" : "0";
    expect(verifySignature([SECRET], BODY, `sha256=${HEX.slice(0, -1)}${last}`).ok).toBe(false);
  });

  it("verifies a 1 MB body", () => {
    const big = Buffer.alloc(1024 * 1024, "a");
    big[big.length - 1] = 0x7d;
    const signature = signPayload(SECRET, big);
    expect(verifySignature([SECRET], big, signature)).toEqual({ ok: true, signature });
    const changed = Buffer.from(big);
    changed[512 * 1024] = 0x62;
    expect(verifySignature([SECRET], changed, signature).ok).toBe(false);
  });

  it("fails closed with no (non-empty) secret configured", () => {
    expect(verifySignature([], BODY, GOOD)).toEqual({ ok: false, reason: "no webhook secret configured" });
    // A body signed with the empty key must not verify against an "unset" secret.
    expect(verifySignature([""], BODY, signPayload("", BODY))).toEqual({ ok: false, reason: "no webhook secret configured" });
  });

  const MALFORMED = "malformed signature: expected sha256=<64 hex>";
  const DUPLICATED = "duplicated X-Hub-Signature-256: send exactly one signature";
  it.each<[string, string | string[] | undefined, string]>([
    ["missing header", undefined, "missing X-Hub-Signature-256"],
    ["empty header", "", "missing X-Hub-Signature-256"],
    ["array header (sent twice)", [GOOD, GOOD], DUPLICATED],
    ["one-element array header", [GOOD], DUPLICATED],
    ["joined value", `${GOOD}, ${GOOD}`, DUPLICATED],
    ["joined value, bad then good", `sha256=${"0".repeat(64)}, ${GOOD}`, DUPLICATED],
    ["SHA-1 value", "sha1=" + "a".repeat(40), "SHA-1 signatures are not accepted: expected sha256=<64 hex> in X-Hub-Signature-256"],
    ["no prefix", HEX, "the signature lacks its sha256= prefix: expected sha256=<64 hex>"],
    ["upper-case prefix", `SHA256=${HEX}`, MALFORMED],
    ["prefix only", "sha256=", MALFORMED],
    ["too short (the seed's 500)", `sha256=${HEX.slice(0, 63)}`, MALFORMED],
    ["too long", `sha256=${HEX}0`, MALFORMED],
    ["non-hex digit", `sha256=${HEX.slice(0, 63)}g`, MALFORMED],
    ["base64 instead of hex", `sha256=${Buffer.from(HEX, "hex").toString("base64")}`, MALFORMED],
    ["surrounding space", ` ${GOOD}`, MALFORMED],
    ["trailing newline", `${GOOD}\n`, MALFORMED],
  ])("rejects %s without throwing", (_name, header, reason) => {
    expect(verifySignature([SECRET], BODY, header)).toEqual({ ok: false, reason });
  });
});
