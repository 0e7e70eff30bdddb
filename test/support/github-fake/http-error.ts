/** A GitHub error response; route handlers throw it and the server sends it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message));
  }
}

export function notFound(message = "Not Found"): HttpError {
  return new HttpError(404, { message, documentation_url: "https://docs.github.com/rest" });
}

/** GitHub's 422 with a plain message (workflow dispatch, search, reviews). */
export function unprocessable(message: string): HttpError {
  return new HttpError(422, { message, documentation_url: "https://docs.github.com/rest" });
}

/** GitHub's 422 "Validation Failed" with one entry in `errors`, e.g. a label that already exists. */
export function validationFailed(resource: string, field: string, code: string): HttpError {
  return new HttpError(422, {
    message: "Validation Failed",
    errors: [{ resource, code, field }],
    documentation_url: "https://docs.github.com/rest",
  });
}

/** The JSON object of a request body, or 400 as GitHub answers unparseable bodies. */
export function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, { message: "Problems parsing JSON" });
  }
  return body as Record<string, unknown>;
}

/** An optional string field; a value of another type is GitHub's 422 "invalid". */
export function stringField(fields: Record<string, unknown>, key: string, resource: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw validationFailed(resource, key, "invalid");
  return value;
}

export function requiredString(fields: Record<string, unknown>, key: string, resource: string): string {
  const value = stringField(fields, key, resource);
  if (value === undefined || value === "") throw validationFailed(resource, key, "missing_field");
  return value;
}

/** Label lists arrive as names or `{name}` objects. */
export function namesOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((v) => (typeof v === "string" ? v : String((v as { name?: unknown }).name)));
}
