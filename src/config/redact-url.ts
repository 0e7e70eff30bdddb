/**
 * A URL with its user:password replaced by `***` (DATABASE_URL=postgres://app:pw@db/…),
 * for messages and logs: a connection string must never be printed with its password.
 *
 * @example
 * redactUrl("postgres://app:s3cret@db:5432/switchyard") // "postgres://***@db:5432/switchyard"
 */
export function redactUrl(value: string): string {
  // Up to the last "@": a password may contain "@" or "/" (masking a bit much is harmless).
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)\S*@/i, "$1***@");
}

/**
 * A URL as `check` shows it: redactUrl's user:password, and every query value replaced by
 * `…` with its name kept (`?token=…`), since a query may carry a token as much as a
 * password would (an http agent's URL). The fragment goes the same way.
 *
 * @example
 * redactUrlQuery("http://127.0.0.1:9521/agent?token=qs-secret-123&v=2") // "http://127.0.0.1:9521/agent?token=…&v=…"
 */
export function redactUrlQuery(value: string): string {
  const cut = value.search(/[?#]/);
  if (cut === -1) return redactUrl(value);
  const base = redactUrl(value.slice(0, cut));
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
