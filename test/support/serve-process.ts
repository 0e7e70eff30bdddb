import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { signPayload } from "../../src/security/verify-signature.js";
import { BIN } from "./run-cli.js";
import { waitFor } from "./wait-for.js";

export { runCli } from "./run-cli.js";

/** A port that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` distinct ports that were free a moment ago. Every listener stays open until all
 * are chosen: ports picked one after another can come back equal, since the kernel may hand
 * out a port again as soon as it is closed.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  adminPort: number;
  webhookUrl: string;
  adminUrl: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs `switchyard serve` (or `args`, e.g. `["work"]`) as a real process and waits until /healthz answers 200. */
export async function startServeProcess(cwd: string, env: Record<string, string>, args: readonly string[] = ["serve"]): Promise<ServeProcess> {
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env, PORT: String(port), ADMIN_PORT: String(adminPort) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  let done = false;
  void exited.then(() => (done = true));
  await waitFor(async () => {
    if (done) throw new Error(`serve exited early:\n${err}`);
    try {
      return (await fetch(`${adminUrl}/healthz`)).status === 200;
    } catch {
      return false;
    }
  }, 20_000);
  return { child, port, adminPort, webhookUrl: `http://127.0.0.1:${port}/webhooks/github`, adminUrl, stderr: () => err, exited };
}

/** POSTs `payload` to a webhook URL as GitHub would: JSON, a fresh delivery id, signed with `secret`. */
export function postSigned(webhookUrl: string, secret: string, event: string, payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": randomUUID(), "x-hub-signature-256": signPayload(secret, body) },
    body,
  });
}
