/**
 * The JSON text a delivery body carries: the body itself, or a form body's `payload=` field
 * (GitHub's application/x-www-form-urlencoded content type); null when a form body has none.
 */
export function deliveryJsonText(body: Buffer, form: boolean): string | null {
  if (!form) return body.toString("utf8");
  return new URLSearchParams(body.toString("utf8")).get("payload");
}

/** JSON text as the object a delivery must be; a string result says why it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "body is not valid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "body is JSON but not an object";
  return value as Record<string, unknown>;
}

/**
 * A delivery body as the JSON object it carries (see deliveryJsonText). A string result
 * says why the body is not one.
 */
export function parseDeliveryBody(body: Buffer, form: boolean): Record<string, unknown> | string {
  const text = deliveryJsonText(body, form);
  if (text === null) return "form-encoded body has no payload= field";
  return parseJsonObject(text);
}

/** For a stored body whose content type is not at hand: a JSON object starts with `{`. */
export function isFormBody(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte !== 0x7b;
  }
  return false;
}
