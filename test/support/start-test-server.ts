import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "../../src/config/load-config.js";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/app/start-server.js";
import { createLogger } from "../../src/observability/logger.js";
import { signPayload } from "../../src/security/verify-signature.js";

export const TEST_SECRET = "test-secret-for-switchyard";

export interface TestServer extends Omit<RunningServer, "webhookUrl"> {
  /** Empty when the role runs no webhook listener (worker): `deliver` then throws. */
  webhookUrl: string;
  dir: string;
  dbFile: string;
  /** POSTs a signed delivery; options override any part of the request. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
  deliver: (event: string, payload: unknown, options?: DeliverOptions) => Promise<{ status: number; body: any; headers: Headers }>;
  stop: () => Promise<void>;
}

export interface DeliverOptions {
  delivery?: string;
  headers?: Record<string, string | undefined>;
  /** Raw body to send instead of JSON.stringify(payload). */
  raw?: Buffer | string;
  secret?: string;
  method?: string;
}

/** Starts a real `serve` on free ports over a real SQLite file in a temp dir, or over the store `raw.store.url` names (a test PostgreSQL database). */
export async function startTestServer(
  raw: Record<string, unknown> = {},
  secrets: string[] = [TEST_SECRET],
  options: Partial<Pick<StartServerOptions, "role" | "agents" | "executorFor" | "pollMs" | "env" | "drainMs" | "logger">> = {},
): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-test-"));
  const dbFile = path.join(dir, "switchyard.db");
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const loaded = parseConfig({
      ...raw,
      server: { port: 0, host: "127.0.0.1", ...(raw.server as object) },
      admin: { port: 0, ...(raw.admin as object) },
      store: { url: `sqlite:${dbFile}`, ...(raw.store as object) },
    }, null, new Map(), { extraAgents: options.agents?.map((agent) => agent.name) });
    server = await startServer({ loaded, secrets, logger: createLogger("silent"), cwd: dir, env: {}, ...options });
  } catch (error) {
    // A test that expects the start to fail leaves no temp dir behind.
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let deliveryCounter = 0;
  const deliver: TestServer["deliver"] = async (event, payload, options = {}) => {
    if (server.webhookUrl === null) throw new Error(`a ${server.role} server has no webhook listener to deliver to`);
    const body = options.raw !== undefined ? Buffer.from(options.raw) : Buffer.from(JSON.stringify(payload));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": options.delivery ?? `test-${process.pid}-${Date.now()}-${++deliveryCounter}`,
      "x-hub-signature-256": signPayload(options.secret ?? TEST_SECRET, body),
    };
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    const response = await fetch(server.webhookUrl, { method: options.method ?? "POST", headers, body: options.method === "GET" ? undefined : body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    ...server,
    webhookUrl: server.webhookUrl ?? "",
    dir,
    dbFile,
    deliver,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
