import { connect } from "node:net";
import { signPayload } from "../../src/security/verify-signature.js";

/** What one hostile request came to: an answer (status and error code, if any), or none. */
export type Answer = { status: number; code: string | null; text: string } | { error: string };

export const statusOf = (a: Answer): number | null => ("status" in a ? a.status : null);

function codeOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown } };
    return typeof body.error?.code === "string" ? body.error.code : null;
  } catch {
    return null;
  }
}

export interface PostOptions {
  /** Headers as sent; undefined drops one of the defaults. */
  headers?: Record<string, string | undefined>;
  secret?: string;
  /** Overrides the computed signature (undefined: none). */
  signature?: string | undefined;
}

let counter = 0;

/** POSTs `body` with GitHub's headers, signed with `secret` unless told otherwise. Never throws. */
export async function post(url: string, event: string, body: Buffer | string, options: PostOptions = {}): Promise<Answer> {
  const bytes = Buffer.from(body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": `hostile-${process.pid}-${Date.now()}-${++counter}`,
  };
  const signature = "signature" in options ? options.signature : signPayload(options.secret ?? "", bytes);
  if (signature !== undefined) headers["x-hub-signature-256"] = signature;
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  try {
    const res = await fetch(url, { method: "POST", headers, body: bytes, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    return { status: res.status, code: codeOf(text), text };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (error as Error).message };
  }
}

/** Sends raw bytes (what fetch refuses to send) and reads the first answer until the server closes or `waitMs` passes. */
export function raw(url: string, bytes: string | Buffer, waitMs = 10_000): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let text = "";
    let error: string | null = null;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status === null) return resolve({ error: error ?? "no answer" });
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      resolve({ status: Number(status[1]), code: codeOf(body), text: body });
    };
    const timer = setTimeout(done, waitMs);
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      // One full JSON answer is enough: keep-alive connections do not close by themselves.
      const length = /\r\ncontent-length: (\d+)/i.exec(text);
      const split = text.indexOf("\r\n\r\n");
      if (length && split !== -1 && Buffer.byteLength(text.slice(split + 4), "latin1") >= Number(length[1])) done();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on("close", done);
  });
}

/** A request's head, for `raw`. */
export function head(url: string, headers: Record<string, string>, method = "POST"): string {
  const { host, pathname } = new URL(url);
  return `${method} ${pathname} HTTP/1.1\r\nhost: ${host}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}
