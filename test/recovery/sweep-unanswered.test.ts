import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

/** A "GitHub" that takes connections and reads requests but never answers: a hung proxy, a black-holed route. */
async function startSilentServer(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => requests.push(chunk.toString("latin1").split("\r\n")[0]!));
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let server: TestServer | null = null;
let silent: Awaited<ReturnType<typeof startSilentServer>> | null = null;
afterEach(async () => {
  await server?.stop();
  await silent?.close();
  server = null;
  silent = null;
});

describe("the missed-delivery sweep against a GitHub that never answers", () => {
  it("does not hold the server's shutdown: the request under way is ended when it stops", async () => {
    silent = await startSilentServer();
    server = await startTestServer({ github: { token: "ghp_silent_test", apiUrl: silent.url, writeIntervalMs: 0 }, recovery: { hooks: [{ repository: "octo/hello", id: 12 }], interval: "10m" } });
    // The sweep soon after start-up reads the hook's log: its request is now waiting for an answer.
    await waitFor(() => silent!.requests.some((line) => line.startsWith("GET /repos/octo/hello/hooks/12/deliveries")), 10_000);
    const stopping = server.stop().then(() => "stopped");
    server = null;
    // Without a bound the request would wait for undici's 300 s headers timeout, and the shutdown with it.
    const outcome = await Promise.race([stopping, new Promise((resolve) => setTimeout(() => resolve("still waiting"), 20_000))]);
    expect(outcome).toBe("stopped");
  }, 40_000);
});
