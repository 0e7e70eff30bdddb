import { createHash } from "node:crypto";
import { redactUrl } from "../config/redact-url.js";
import { NO_HOST, parseStoreUrl, readPostgresUrl } from "./open-store.js";
import { canonicalPath } from "./sqlite/lock-file.js";

/** The response header on `/healthz` naming the store a server serves (its `storeId`). */
export const STORE_ID_HEADER = "x-switchyard-store";

const DEFAULT_POSTGRES_PORT = "5432";
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1"]);


function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

// Host, port and database as the driver would connect to them, whatever the spelling:
// either scheme, an implied default port, percent-encoding, the host's letter case. The
// user and password are left out: they say who connects, not where the data lives.
function postgresLocation(url: string): string {
  const parsed = readPostgresUrl(url.replace(/^postgresql:/, "postgres:"));
  // Not a URL the driver reads (parseStoreUrl refuses those): the text without its credentials still tells one database from another.
  if (parsed === null) return redactUrl(url);
  const hostname = parsed.hostname === NO_HOST ? "" : parsed.hostname;
  // `?host=` (a Unix socket directory) overrides the URL's host, as for the driver.
  const written = decode(parsed.searchParams.get("host") ?? hostname).replace(/^\[(.*)\]$/, "$1").toLowerCase() || "localhost";
  // The loopback's names are one host: a server configured with 127.0.0.1 and a CLI with localhost share a database.
  const host = LOOPBACK_NAMES.has(written) ? "localhost" : written;
  const port = parsed.searchParams.get("port") ?? (parsed.port || DEFAULT_POSTGRES_PORT);
  // Without a database name the server picks the one named like the user.
  const database = decode(parsed.pathname.slice(1)) || (parsed.searchParams.get("user") ?? decode(parsed.username));
  return JSON.stringify([host, port, database]);
}

/**
 * A short, stable fingerprint of the store DATABASE_URL names, holding no secret: SQLite
 * its file's absolute path; PostgreSQL its host, port and database name. `serve` sends it
 * on `/healthz` (`X-Switchyard-Store`) so that a CLI uses a running server only when it
 * serves the CLI's own store. Hosts are compared as written, except that `localhost`,
 * `127.0.0.1` and `::1` are one; another alias of one host only makes a CLI work on the
 * store directly.
 *
 * @example
 * storeId("postgresql://app:pw@DB/switchyard", "/srv") === storeId("postgres://db:5432/switchyard", "/") // true
 */
export function storeId(url: string, cwd: string): string {
  const location = parseStoreUrl(url, cwd);
  const key = location.kind === "sqlite" ? `sqlite ${canonicalPath(location.file)}` : `postgres ${postgresLocation(location.url)}`;
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}
