import type { FastifyInstance } from "fastify";
import { UsageError } from "../errors.js";

/** How long in-flight requests get to finish once a listener closes. */
const STALLED_REQUEST_GRACE_MS = 2000;

/**
 * Closes a listener, cutting what is still connected after a short grace: Node stops
 * enforcing the request timeout once close() began, so a client stalled mid-request would
 * hold it (and the shutdown) for ever. Such a request was never acknowledged.
 *
 * @example await closeBounded(webhook);
 */
export async function closeBounded(app: FastifyInstance): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), STALLED_REQUEST_GRACE_MS);
  await app.close().catch(() => undefined);
  clearTimeout(cut);
}

/**
 * Starts a listener; what the user can fix (a taken port, a host this machine does not
 * have, a privileged port) is a UsageError naming the setting.
 *
 * @example await listenOn(admin, { what: "admin", port: 9090, host: "127.0.0.1", variable: "ADMIN_PORT", hostKey: "admin.host" });
 */
export async function listenOn(app: FastifyInstance, at: { what: string; port: number; host: string; variable: string; hostKey: string }): Promise<void> {
  try {
    await app.listen({ port: at.port, host: at.host });
  } catch (error) {
    throw listenError(error, at);
  }
}

function listenError(error: unknown, at: { what: string; port: number; host: string; variable: string; hostKey: string }): Error {
  const { what, port, host, variable } = at;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new UsageError(`${what} host ${host} is not an address of this machine: set ${at.hostKey} to one it has (or 0.0.0.0 / 127.0.0.1)`);
  }
  if (code === "EADDRINUSE") return new UsageError(`${what} port ${port} is already in use: stop what holds it or set ${variable}`);
  if (code === "EACCES") return new UsageError(`${what} port ${port} needs privileges: choose a port above 1023 with ${variable}`);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The URL a listener can be reached at from this machine (a wildcard address becomes loopback).
 *
 * @example urlOf(admin, "127.0.0.1") // "http://127.0.0.1:9090"
 */
export function urlOf(app: FastifyInstance, fallbackHost: string): string {
  const address = app.server.address();
  if (address === null || typeof address === "string") return `http://${fallbackHost}`;
  const host = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}
