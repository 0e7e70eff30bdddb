import { connect, type Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createWebhookServer } from "../../src/http/create-webhook-server.js";
import { createLogger } from "../../src/observability/logger.js";
import { createFailedAuthLimiter } from "../../src/security/failed-auth-limiter.js";
import type { Store } from "../../src/store/store.js";
import { waitFor } from "../support/wait-for.js";

/**
 * A refusal sent before the body has arrived must reach a client that writes its whole body
 * before it reads anything. Without a lingering close the server closes the socket on the
 * bytes still arriving, the kernel resets the connection, and such a client sees EPIPE
 * instead of the answer (reproduced on loopback: 10 of 10 attempts at 26 MiB).
 */

const MiB = 1024 ** 2;

interface Exchange {
  /** The status line, or null when no answer was read. */
  status: string | null;
  body: string;
  error: string | null;
}

function head(port: number, length: number | null, extra = ""): string {
  return (
    `POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nx-github-event: issues\r\n` +
    `x-github-delivery: linger-${Math.random()}\r\nx-hub-signature-256: sha256=${"0".repeat(64)}\r\n` +
    (length === null ? "transfer-encoding: chunked\r\n" : `content-length: ${length}\r\n`) +
    `${extra}\r\n`
  );
}

/** Writes the headers and `size` body bytes with reading paused, then reads: a write-then-read client. */
function writeAllThenRead(port: number, size: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.pause();
    let text = "";
    let error: string | null = null;
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on("close", () => {
      const split = text.indexOf("\r\n\r\n");
      resolve({ status: text === "" ? null : text.slice(0, text.indexOf("\r\n")), body: split === -1 ? "" : text.slice(split + 4), error });
    });
    socket.once("connect", () => {
      socket.write(head(port, size));
      socket.write(Buffer.alloc(size, 0x20), () => socket.resume());
    });
  });
}

describe("lingering close after an early answer", () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    // The defaults: server.bodyLimit is 25 MiB, as GitHub's payload cap.
    const { config, rules } = parseConfig({});
    app = createWebhookServer({ config, rules, store: {} as Store, secrets: ["s"], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger: createLogger("silent") });
    await app.listen({ port: 0, host: "127.0.0.1" });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app.close();
  });

  it("a 26 MiB upload from a client that writes it all before reading gets its 413, every time", async () => {
    const results: Exchange[] = [];
    for (let i = 0; i < 4; i++) results.push(await writeAllThenRead(port, 26 * MiB));
    for (const r of results) {
      expect(r.status, `error ${r.error}`).toBe("HTTP/1.1 413 Payload Too Large");
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: "SWY_E_BODY_TOO_LARGE" } });
      expect(r.error).toBeNull();
    }
  });

  it("the same for a refusal made before the body is read (415) on a large body", async () => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.pause();
    let text = "";
    let error: string | null = null;
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(head(port, 20 * MiB).replace("application/json", "text/plain"));
    socket.write(Buffer.alloc(20 * MiB, 0x20), () => socket.resume());
    // The whole answer, however the connection ends afterwards.
    const complete = () => {
      const split = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: (\d+)/i.exec(text);
      return split !== -1 && length !== null && text.length >= split + 4 + Number(length[1]);
    };
    await waitFor(() => complete() || error !== null, 20_000);
    socket.destroy();
    expect(text.slice(0, text.indexOf("\r\n")), `error ${error}`).toBe("HTTP/1.1 415 Unsupported Media Type");
    expect(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4))).toMatchObject({ error: { code: "SWY_E_UNSUPPORTED_MEDIA_TYPE" } });
  });

  it("is bounded: the server closes a connection whose client goes quiet and never closes its side", async () => {
    const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    // allowHalfOpen: this client never ends its side, whatever the server does.
    const socket: Socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    socket.on("error", () => undefined);
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    // Declares 1 GiB, sends 1 MiB, then nothing more.
    socket.write(head(port, 1024 * MiB));
    socket.write(Buffer.alloc(MiB, 0x20));
    await waitFor(() => text.startsWith("HTTP/1.1 413"), 10_000);
    // Released by the server (the idle limit is 2 s), well before any request timeout.
    await waitFor(async () => (await connections()) === 0, 20_000, 50);
    socket.destroy();
  });

  it("is bounded: a client streaming without end is cut off after the byte limit", async () => {
    const socket: Socket = connect({ port, host: "127.0.0.1" });
    let closed = false;
    let text = "";
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("close", () => (closed = true));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(head(port, null));
    const chunk = Buffer.from(`${(MiB).toString(16)}\r\n${" ".repeat(MiB)}\r\n`);
    let sent = 0;
    // At most 200 MiB: the server stops reading at 25 MiB (the limit) + 64 MiB (lingering).
    while (!closed && sent < 200 * MiB) {
      const flushed = socket.write(chunk);
      sent += MiB;
      if (!flushed) await new Promise<void>((resolve) => socket.once("drain", () => resolve()).once("close", () => resolve()));
    }
    await waitFor(() => closed, 20_000, 50);
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeLessThan(200 * MiB);
  });
});
