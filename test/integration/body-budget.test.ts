import { createHmac } from "node:crypto";
import { connect, type Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createWebhookServer } from "../../src/http/create-webhook-server.js";
import { createLogger } from "../../src/observability/logger.js";
import { createFailedAuthLimiter } from "../../src/security/failed-auth-limiter.js";
import type { Store } from "../../src/store/store.js";

// Bodies are buffered whole before their signature can be checked: a few unsigned senders
// declaring large bodies and sending them slowly must not make the listener hold more than
// its budget, while small deliveries keep going through.

const SECRET = "budget-secret";
const KIB = 1024;

let app: FastifyInstance | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await app?.close();
  app = null;
});

async function listen(budgetBytes: number, acceptMs = 0): Promise<{ port: number; accepted: string[] }> {
  const { config, rules } = parseConfig({ server: { host: "127.0.0.1", port: 0, bodyLimit: 1024 * KIB } });
  const accepted: string[] = [];
  const store = {
    accept: async (delivery: { id: string }) => {
      if (acceptMs > 0) await new Promise((resolve) => setTimeout(resolve, acceptMs));
      accepted.push(delivery.id);
      return { duplicate: false, delivery: delivery.id, tasks: [] };
    },
  } as unknown as Store;
  app = createWebhookServer({ config, rules, store, secrets: [SECRET], limiter: createFailedAuthLimiter(config.security.failedAuth), allowlist: null, logger: createLogger("silent"), bodyBudgetBytes: budgetBytes });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { port: (app.server.address() as { port: number }).port, accepted };
}

function body(size: number): string {
  const head = '{"zen":"';
  return `${head}${"z".repeat(size - head.length - 2)}"}`;
}

function signed(text: string): string {
  return `sha256=${createHmac("sha256", SECRET).update(text).digest("hex")}`;
}

function headers(delivery: string, extra: string): string {
  return `POST /webhooks/github HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-github-event: ping\r\nx-github-delivery: ${delivery}\r\n${extra}\r\n`;
}

/** Sends headers and part of a body and then nothing: the body is held open until the socket closes. */
async function stall(port: number, delivery: string, declared: number, sent: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1" });
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(`${headers(delivery, `x-hub-signature-256: sha256=${"0".repeat(64)}\r\ncontent-length: ${declared}\r\n`)}${"x".repeat(sent)}`);
  return socket;
}

async function post(port: number, delivery: string, text: string): Promise<{ status: number; body: { error?: { code: string; message: string } }; retryAfter: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": delivery, "x-hub-signature-256": signed(text) },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as never, retryAfter: res.headers.get("retry-after") };
}

describe("the webhook listener's budget for request bodies", () => {
  it("turns away a large body while stalled senders hold the budget (503, stored nothing), takes small ones meanwhile, and takes it again once they are gone", async () => {
    const { port, accepted } = await listen(600 * KIB);
    const a = await stall(port, "stall-a", 300 * KIB, 10 * KIB);
    const b = await stall(port, "stall-b", 250 * KIB, 10 * KIB);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const large = await post(port, "large-1", body(200 * KIB));
    expect(large.status).toBe(503);
    expect(large.body.error?.code).toBe("SWY_E_BUSY");
    expect(large.body.error?.message).toMatch(/request bodies are being received already .*at most 600 KiB.*nothing was stored/);
    expect(large.retryAfter).toBe("10");
    expect(accepted).not.toContain("large-1");

    // A body within the free size never waits for the budget.
    expect((await post(port, "small-1", body(30 * KIB))).status).toBe(200);
    expect(accepted).toContain("small-1");

    a.destroy();
    b.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await post(port, "large-2", body(200 * KIB))).status).toBe(200);
    expect(accepted).toContain("large-2");
  });

  it("releases what an answered request held: many large deliveries one after another all go through", async () => {
    const { port, accepted } = await listen(300 * KIB);
    for (let i = 0; i < 8; i++) expect((await post(port, `seq-${i}`, body(200 * KIB))).status).toBe(200);
    expect(accepted).toHaveLength(8);
  });

  it("releases what a pipelined request declared when its connection dies while the answer before it is pending", async () => {
    const { port, accepted } = await listen(600 * KIB, 20);
    for (let i = 0; i < 24; i++) {
      const socket = connect({ port, host: "127.0.0.1" });
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const text = body(1 * KIB);
      // A whole signed delivery, then the headers of a large one behind it, and the connection reset.
      socket.write(`${headers(`first-${i}`, `x-hub-signature-256: ${signed(text)}\r\ncontent-length: ${text.length}\r\n`)}${text}${headers(`second-${i}`, `x-hub-signature-256: sha256=${"0".repeat(64)}\r\ncontent-length: ${300 * KIB}\r\n`)}`);
      const reset = () => socket.resetAndDestroy();
      if (i % 3 === 0) setImmediate(reset);
      else if (i % 3 === 1) process.nextTick(reset);
      else setTimeout(reset, 1);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Nothing is held any more: a body of most of the budget is read.
    const large = await post(port, "after-resets", body(500 * KIB));
    expect(large.status, JSON.stringify(large.body)).toBe(200);
    expect(accepted).toContain("after-resets");
  });

  it("a chunked body over the body limit, sent on after its 413: the server stays up, and what it held is given back", async () => {
    // The budget above the body limit: the 413 comes first, and the sender goes on sending.
    const { port, accepted } = await listen(2048 * KIB);
    for (let round = 0; round < 3; round++) {
      const socket = connect({ port, host: "127.0.0.1" });
      sockets.push(socket);
      socket.on("error", () => {});
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(headers(`over-${round}`, "transfer-encoding: chunked\r\n"));
      const chunk = "y".repeat(256 * KIB);
      for (let i = 0; i < 16 && !socket.destroyed; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once("close", () => resolve())));
      expect(text).toMatch(/^HTTP\/1\.1 413/);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Nothing is held any more: a body of most of the budget is read (its size within the body limit).
    const large = await post(port, "after-413s", body(1000 * KIB));
    expect(large.status, JSON.stringify(large.body)).toBe(200);
    expect(accepted).toContain("after-413s");
  });

  it("meters a chunked body as it arrives and refuses it once it outgrows the budget", async () => {
    const { port } = await listen(300 * KIB);
    await stall(port, "stall-c", 250 * KIB, 10 * KIB);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const socket = connect({ port, host: "127.0.0.1" });
    sockets.push(socket);
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(headers("chunked-1", `x-hub-signature-256: sha256=${"0".repeat(64)}\r\ntransfer-encoding: chunked\r\n`));
    for (let i = 0; i < 10; i++) {
      const chunk = "y".repeat(16 * KIB);
      socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    }
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    expect(text).toMatch(/^HTTP\/1\.1 503/);
    expect(text).toContain('"code":"SWY_E_BUSY"');
    expect(text).toContain("this chunked body passed");
  });
});
