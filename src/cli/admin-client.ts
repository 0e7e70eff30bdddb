import type { Config } from "../config/schema.js";

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
 * The admin API if a server answers on the configured admin port (one health probe with a
 * short timeout), else null. For stores without a lock file naming their server (SQLite
 * has one: see lockHolder), so it cannot tell whose server answers.
 */
export async function findRunningServer(config: Config): Promise<AdminClient | null> {
  const baseUrl = adminBaseUrl(config);
  try {
    const probe = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1500) });
    if (probe.status !== 200 && probe.status !== 503) return null;
    const body = (await probe.json()) as { status?: unknown };
    if (typeof body.status !== "string") return null;
  } catch {
    return null;
  }
  return createAdminClient(baseUrl, config.admin.token);
}
