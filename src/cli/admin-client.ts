import type { Config } from "../config/schema.js";
import { UsageError } from "../errors.js";
import { STORE_ID_HEADER, storeId } from "../store/store-id.js";

/** The admin API of a running `serve`, as a CLI on the same machine reaches it. */
export function adminBaseUrl(config: Config): string {
  const host = config.admin.host === "0.0.0.0" || config.admin.host === "::" ? "127.0.0.1" : config.admin.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.admin.port}`;
}

export interface AdminClient {
  baseUrl: string;
  /** `timeoutMs`: how long to wait for the answer (default 30 s; a sweep may take minutes). */
  request: (method: string, path: string, options?: { timeoutMs?: number }) => Promise<{ status: number; body: unknown }>;
}

/** A client of the admin API at `baseUrl`, sending `token` as a bearer when there is one. */
export function createAdminClient(baseUrl: string, token: string | null | undefined): AdminClient {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return {
    baseUrl,
    request: async (method, path, options = {}) => {
      let res: Response;
      try {
        res = await fetch(baseUrl + path, { method, headers, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new Error(`could not reach switchyard serve's admin API at ${baseUrl} (${cause}): it may be shutting down; retry once it has stopped or restarted`);
      }
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      return { status: res.status, body };
    },
  };
}

/**
 * The error for an admin API answer other than success or 401. A 400 is the server refusing
 * our input (a delivery whose body was pruned, a bad parameter): exit 2, as when the CLI
 * finds the same on the store itself. Anything else (a 5xx) is work that failed: exit 1.
 *
 * @example
 * if (status !== 200) throw refusal(api, status, body, "prune"); // UsageError for a 400
 */
export function refusal(api: AdminClient, status: number, body: unknown, doing: string): Error {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  const said = typeof message === "string" ? message : JSON.stringify(body);
  if (status === 400) return new UsageError(`the server at ${api.baseUrl} refused to ${doing}: ${said}`);
  return new Error(`the server at ${api.baseUrl} could not ${doing} (${status}): ${said}`);
}

/**
 * What one look at `/healthz` told: nobody listens there, something that is not a
 * switchyard server answers (`what` says how), or a switchyard server, with the store it
 * names (null: it names none). Only an HTTP answer says something else is there.
 */
type Probe = { answered: false; listening: false } | { answered: false; listening: true; what: string } | { answered: true; store: string | null };

// One health probe with a short timeout, sending no token: the server is not known to be
// ours until it says which store it serves.
async function probe(baseUrl: string): Promise<Probe> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1500) });
  } catch {
    // No answer at all (refused, reset, unreachable, or slower than 1.5 s: a server busy or
    // shutting down): nothing is known to be there but what the lock says.
    return { answered: false, listening: false };
  }
  const what = `GET /healthz answered ${res.status}, not a switchyard health report`;
  if (res.status !== 200 && res.status !== 503) return { answered: false, listening: true, what };
  try {
    const body = (await res.json()) as { status?: unknown } | null;
    if (typeof body?.status !== "string") return { answered: false, listening: true, what };
  } catch {
    return { answered: false, listening: true, what };
  }
  return { answered: true, store: res.headers.get(STORE_ID_HEADER) };
}

function skipped(baseUrl: string, store: string | null, ours: string): string {
  const why = store === null ? "it does not say which store it serves (a switchyard older than this one?)" : `it serves another store (${store}; DATABASE_URL here is ${ours})`;
  return `switchyard: not using the server at ${baseUrl}: ${why}; working on the store directly\n`;
}

export interface ServerLookup {
  config: Config;
  /** Resolves a relative `sqlite:PATH`, as the server resolved its own. */
  cwd: string;
  /** Where the one line saying that a server was passed over goes. */
  warn: (line: string) => void;
}

/** Whose admin URL is probed when a lock file named it: what answers there is then expected to be switchyard. */
export interface LockHolder {
  pid: number;
  file: string;
}

/**
 * The admin API at `baseUrl` if the server there serves the store this CLI's DATABASE_URL
 * names (its `/healthz` says which: X-Switchyard-Store), else null, having said why in one
 * line when a server answered but was not ours. `holder`: the URL came from the lock file
 * of that pid; nobody listening there (a server shutting down) gives a client whose request
 * says to retry, and something else answering (a stale lock whose pid was reused, another
 * program on the port) is refused, token unsent.
 */
export async function serverAt(baseUrl: string, lookup: ServerLookup, holder: LockHolder | null = null): Promise<AdminClient | null> {
  const found = await probe(baseUrl);
  if (!found.answered) {
    if (holder === null) return null;
    if (!found.listening) return createAdminClient(baseUrl, lookup.config.admin.token);
    const who = holder.pid > 0 ? `pid ${holder.pid}` : "another process";
    throw new UsageError(
      `${who} holds ${holder.file} and its lock names the admin listener ${baseUrl}, but what answers there is not switchyard (${found.what}), so it was sent nothing: if ${who} is no switchyard serve (a stale lock whose pid was reused), stop it or remove ${holder.file}.lock`,
    );
  }
  const ours = storeId(lookup.config.store.url, lookup.cwd);
  if (found.store !== ours) {
    lookup.warn(skipped(baseUrl, found.store, ours));
    return null;
  }
  return createAdminClient(baseUrl, lookup.config.admin.token);
}

/**
 * The admin API on the configured admin port, if the server answering there serves this
 * CLI's store; for stores without a lock file naming their server (SQLite has one: see
 * lockHolder). Another project's server on that port is passed over, token unsent.
 */
export function findRunningServer(lookup: ServerLookup): Promise<AdminClient | null> {
  return serverAt(adminBaseUrl(lookup.config), lookup);
}
