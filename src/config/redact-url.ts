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
