import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, describePg, dropTestDatabases, sharedCluster, startPrivateCluster, type Cluster } from "./postgres.js";

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const publicTables = (url: string): Promise<string[]> =>
  withClient(url, async (client) => {
    const { rows } = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    return rows.map((row) => row.table_name);
  });

describePg("postgres test harness", () => {
  afterAll(dropTestDatabases);

  it("gives each caller a fresh database of its own", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a).not.toBe(b);
    await withClient(a, (client) => client.query("CREATE TABLE only_in_a (id int)"));

    expect(await publicTables(a)).toEqual(["only_in_a"]);
    expect(await publicTables(b)).toEqual([]);
  });

  it("runs a real server with fsync on", async () => {
    const settings = await withClient(await createTestDatabase(), async (client) => {
      const { rows } = await client.query<{ name: string; setting: string }>("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'listen_addresses') ORDER BY 1");
      return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    });
    expect(settings).toEqual({ fsync: "on", listen_addresses: "127.0.0.1" });
  });

  describe("a private cluster", () => {
    let pg: Cluster;
    beforeAll(async () => {
      pg = await startPrivateCluster();
    });
    afterAll(() => pg?.destroy());

    it("is a server apart from the shared one", async () => {
      expect(pg.info.port).not.toBe(sharedCluster().info.port);
      const url = await pg.createDatabase();
      expect(new URL(url).port).toBe(String(pg.info.port));
    });

    it("restarts on the same URL: open sessions break, committed data stays", async () => {
      const url = await pg.createDatabase();
      const client = new Client({ connectionString: url });
      // The restart ends the session under the client; that error is the point.
      client.on("error", () => undefined);
      await client.connect();
      await client.query("CREATE TABLE t (v int); INSERT INTO t VALUES (1)");

      await pg.restart();

      await expect(client.query("SELECT 1")).rejects.toThrow();
      await client.end().catch(() => undefined);
      expect(await withClient(url, async (c) => (await c.query("SELECT v FROM t")).rows)).toEqual([{ v: 1 }]);
    });

    it("refuses connections while stopped and recovers committed data after a crash stop", async () => {
      const url = await pg.createDatabase();
      await withClient(url, (client) => client.query("CREATE TABLE t (v int); INSERT INTO t VALUES (2)"));

      await pg.stop("immediate");
      await expect(withClient(url, (client) => client.query("SELECT 1"))).rejects.toThrow(/ECONNREFUSED/);
      await pg.start();

      expect(await withClient(url, async (c) => (await c.query("SELECT v FROM t")).rows)).toEqual([{ v: 2 }]);
    });
  });
});
