/**
 * A URL with its user:password replaced by `***` (DATABASE_URL=postgres://app:pw@db/…), and
 * a `password` or `sslpassword` query value too, for messages and logs: a connection string
 * must never be printed with its password.
 *
 * @example
 * redactUrl("postgres://app:s3cret@db:5432/switchyard") // "postgres://***@db:5432/switchyard"
 */
export function redactUrl(value: string): string {
  // Up to the last "@": a password may contain "@" or "/" (masking a bit much is harmless).
  // The PostgreSQL driver also reads a password from the query (`?password=`, `?sslpassword=`).
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)\S*@/i, "$1***@").replace(/([?&](?:ssl)?password=)[^&#]*/gi, "$1***");
}

/**
 * A path segment this long may be a token (`/services/T000/B000/<24 characters>`, as
 * Slack's incoming webhooks carry theirs); shorter ones are mostly names (`/services`,
 * `/agents/run`). Shared by what `check` shows and what an http agent's output masks.
 */
export const MIN_SECRET_PATH_SEGMENT = 16;

/**
 * A URL as `check` shows it: redactUrl's user:password, every query value replaced by `…`
 * with its name kept (`?token=…`), since a query may carry a token as much as a password
 * would (an http agent's URL), and path segments of MIN_SECRET_PATH_SEGMENT characters or
 * more replaced by `…`. The fragment goes the same way.
 *
 * @example
 * redactUrlSecrets("http://127.0.0.1:9521/agent?token=qs-secret-123&v=2") // "http://127.0.0.1:9521/agent?token=…&v=…"
 * redactUrlSecrets("https://hooks.example/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX") // "https://hooks.example/services/T000/B000/…"
 */
export function redactUrlSecrets(value: string): string {
  const cut = value.search(/[?#]/);
  const base = redactPath(redactUrl(cut === -1 ? value : value.slice(0, cut)));
  if (cut === -1) return base;
  const hash = value.indexOf("#", cut);
  const query = value.slice(cut + 1, hash === -1 ? undefined : hash);
  const shown =
    value[cut] === "?"
      ? "?" +
        query
          .split("&")
          .map((pair) => {
            const equals = pair.indexOf("=");
            return equals === -1 ? pair : `${pair.slice(0, equals)}=${equals === pair.length - 1 ? "" : "…"}`;
          })
          .join("&")
      : "";
  return `${base}${shown}${hash === -1 ? "" : hash === value.length - 1 ? "#" : "#…"}`;
}

/** The long segments of a URL's path as `…`; the scheme and authority are kept whole. */
function redactPath(url: string): string {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(url)?.[0] ?? "";
  return (
    authority +
    url
      .slice(authority.length)
      .split("/")
      .map((segment) => (segment.length >= MIN_SECRET_PATH_SEGMENT ? "…" : segment))
      .join("/")
  );
}
