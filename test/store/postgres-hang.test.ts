import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, expect, it } from "vitest";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../support/postgres.js";

// A database that hangs (a frozen server, a network that drops everything) must fail a
// webhook's commit after one timeout, not two: the transaction used to wait out the query
// timeout on its statement and then again on its ROLLBACK.

/** A TCP relay to PostgreSQL that can stop relaying anything, both ways, without closing. */
async function startRelay(port: number): Promise<{ server: Server; port: number; freeze: (on: boolean) => void }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ port, host: "127.0.0.1" });
    sockets.add(client).add(upstream);
    client.on("data", (chunk) => frozen || upstream.write(chunk));
    upstream.on("data", (chunk) => frozen || client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, freeze: (on) => (frozen = on) };
}

describePg("the PostgreSQL store when the database hangs", () => {
  let store: Store | null = null;
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    await dropTestDatabases();
  });

  it("fails a commit after one query timeout (no ROLLBACK waited out on the hung connection), and works again once the database answers", async () => {
    const url = new URL(await createTestDatabase());
    const relay = await startRelay(Number(url.port));
    try {
      url.port = String(relay.port);
      // statement_timeout 1 s: the client gives up after 3 s (query_timeout = timeout + 2 s).
      store = createPostgresStore(url.toString(), { statementTimeoutMs: 1000, poolSize: 1 });
      await store.migrate();
      const delivery = (id: string) => ({ id, signature: `sha256=${id.padStart(64, "0")}`, event: "issues", action: "opened", repository: "o/r", installation: null, headers: {}, body: Buffer.from("{}"), receivedAt: Date.now() });

      relay.freeze(true);
      const started = Date.now();
      await expect(store.accept(delivery("1"), [], { replayWindowMs: 60_000 })).rejects.toThrow(/Query read timeout/);
      const waited = Date.now() - started;
      // One timeout is 3 s; two were 6 s. The margin is for a loaded machine's timers.
      expect(waited).toBeGreaterThanOrEqual(2900);
      expect(waited).toBeLessThan(5000);

      relay.freeze(false);
      // The hung connection was destroyed, not handed back to the pool: a new one works.
      expect(await store.accept(delivery("2"), [], { replayWindowMs: 60_000 })).toMatchObject({ duplicate: false });
    } finally {
      relay.server.close();
    }
  }, 30_000);
});
