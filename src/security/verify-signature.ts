import { createHmac, timingSafeEqual } from "node:crypto";

/** The outcome of checking one delivery's `X-Hub-Signature-256`. */
export type SignatureCheck = { ok: true; signature: string } | { ok: false; reason: string };

const PREFIX = "sha256=";
// GitHub sends exactly `sha256=` and the lower-case hex HMAC; upper-case hex is tolerated
// because hex is case-insensitive, anything else (sha1=, padding, a list) is refused.
const SIGNATURE = /^sha256=[0-9a-fA-F]{64}$/;

const MISSING = fail("missing X-Hub-Signature-256");
const DUPLICATED = fail("duplicated X-Hub-Signature-256: send exactly one signature");
const SHA1 = fail("SHA-1 signatures are not accepted: expected sha256=<64 hex> in X-Hub-Signature-256");
const MALFORMED = fail("malformed signature: expected sha256=<64 hex>");
// A bare hex HMAC: the value is right but for the prefix GitHub writes before it.
const UNPREFIXED = fail("the signature lacks its sha256= prefix: expected sha256=<64 hex>");
const NO_SECRET = fail("no webhook secret configured");
/** The reason of a well-formed signature that no configured secret produces over the body received. */
export const SIGNATURE_MISMATCH = "signature does not match any configured secret";
const MISMATCH = fail(SIGNATURE_MISMATCH);

function fail(reason: string): SignatureCheck {
  return Object.freeze({ ok: false, reason }) as SignatureCheck;
}

/**
 * Check a delivery's `X-Hub-Signature-256` against the raw body, as GitHub documents in
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries.
 *
 * Any of `secrets` may have signed it, so a secret can be rotated without dropping
 * deliveries. Every failure is a `{ ok: false, reason }`, never an exception: a short or
 * garbled header is a 401, not a 500. Empty strings in `secrets` are ignored, so an unset
 * secret can never verify a body signed with the empty key.
 *
 * @example
 * const check = verifySignature([process.env.WEBHOOK_SECRET!], rawBody, req.headers["x-hub-signature-256"]);
 * if (!check.ok) return sendError(reply, "SWY_E_BAD_SIGNATURE", check.reason);
 */
export function verifySignature(
  secrets: readonly string[],
  body: Buffer,
  header: string | string[] | undefined,
): SignatureCheck {
  if (header === undefined || header === "") return MISSING;
  // Node joins a repeated header into "a, b" (or hands over an array with headersDistinct):
  // two signatures are never something GitHub sends, so refuse rather than pick one.
  if (typeof header !== "string" || header.includes(",")) return DUPLICATED;
  if (!SIGNATURE.test(header)) return header.startsWith("sha1=") ? SHA1 : /^[0-9a-fA-F]{64}$/.test(header) ? UNPREFIXED : MALFORMED;

  // The regex guarantees 64 hex digits, so this is always exactly 32 bytes: the same length
  // as a SHA-256 digest, which is what makes timingSafeEqual below unable to throw.
  const received = Buffer.from(header.slice(PREFIX.length), "hex");
  let matched = false;
  let configured = false;
  // Compute and compare every secret's HMAC, without stopping at the first match, so the
  // response time says nothing about which secret (or how many) the signature fits.
  for (const secret of secrets) {
    if (secret === "") continue;
    configured = true;
    const expected = createHmac("sha256", secret).update(body).digest();
    // Constant-time compare: a byte-by-byte === would leak how many leading bytes match.
    if (timingSafeEqual(expected, received)) matched = true;
  }
  if (!configured) return NO_SECRET;
  return matched ? { ok: true, signature: header.toLowerCase() } : MISMATCH;
}

/**
 * Whether a `X-Hub-Signature-256` value has the shape GitHub sends (`sha256=<64 hex>`, once),
 * without checking it against a body: what a request must show before its body is worth reading.
 *
 * @example
 * isSignatureHeader(`sha256=${"a".repeat(64)}`); // true
 * isSignatureHeader("sha1=abc"); // false
 */
export function isSignatureHeader(header: unknown): boolean {
  return typeof header === "string" && SIGNATURE.test(header);
}

/**
 * Sign a body the way GitHub does: `sha256=` and the hex HMAC-SHA256 of the exact bytes
 * (a string is signed as its UTF-8 bytes). Used by `switchyard send` and by tests.
 *
 * @example
 * signPayload("It's a Secret to Everybody", "Hello, World!");
 * // "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
 */
export function signPayload(secret: string, body: Buffer | string): string {
  return PREFIX + createHmac("sha256", secret).update(body).digest("hex");
}
