import type { Config } from "../config/schema.js";

/** The admin API of a running `serve`, as a CLI on the same machine reaches it. */
export function adminBaseUrl(config: Config): string {
  const host = config.admin.host === "0.0.0.0" || config.admin.host === "::" ? "127.0.0.1" : config.admin.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.admin.port}`;
}

export interface AdminClient {
  baseUrl: string;
  request: (method: string, path: string) => Promise<{ status: number; body: unknown }>;
}

/**
 * The admin API if a server answers on it (one health probe with a short timeout), else
 * null: commands that write then work on the store directly.
 */
export async function findRunningServer(config: Config): Promise<AdminClient | null> {
  const baseUrl = adminBaseUrl(config);
  const headers: Record<string, string> = config.admin.token ? { authorization: `Bearer ${config.admin.token}` } : {};
  try {
    const probe = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1500) });
    if (probe.status !== 200 && probe.status !== 503) return null;
    const body = (await probe.json()) as { status?: unknown };
    if (typeof body.status !== "string") return null;
  } catch {
    return null;
  }
  return {
    baseUrl,
    request: async (method, path) => {
      const res = await fetch(baseUrl + path, { method, headers, signal: AbortSignal.timeout(30_000) });
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
