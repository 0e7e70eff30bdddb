/**
 * A delivery body as the JSON object it carries: JSON as is, or a form body's `payload=`
 * field (GitHub's application/x-www-form-urlencoded content type). A string result says
 * why the body is not one.
 */
export function parseDeliveryBody(body: Buffer, form: boolean): Record<string, unknown> | string {
  let text: string;
  if (form) {
    const payload = new URLSearchParams(body.toString("utf8")).get("payload");
    if (payload === null) return "form-encoded body has no payload= field";
    text = payload;
  } else {
    text = body.toString("utf8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "body is not valid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "body is JSON but not an object";
  return value as Record<string, unknown>;
}

/** For a stored body whose content type is not at hand: a JSON object starts with `{`. */
export function isFormBody(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte !== 0x7b;
  }
  return false;
}
