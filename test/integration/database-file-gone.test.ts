import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { runCli } from "../support/run-cli.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";

// An operator (or a clean-up script) removes or restores the SQLite file while serve runs.
// The open connection would go on committing to the unlinked file, and every 202 after
// that would be lost at the next start: the server must stop acknowledging instead.
describe("the SQLite file removed or replaced under a running server", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  for (const [what, change] of [
    ["removed", (db: string) => ["", "-wal", "-shm"].forEach((suffix) => rmSync(db + suffix, { force: true }))],
    ["replaced by a copy", (db: string) => {
      copyFileSync(db, `${db}.copy`);
      renameSync(`${db}.copy`, db);
    }],
  ] as const) {
    it(`${what}: webhooks get 503 SWY_E_STORE_UNAVAILABLE, not 202, and /readyz says the store is unavailable`, async () => {
      server = await startTestServer();
      const before = await server.deliver("issues", exampleOf("issues", "opened"));
      expect(before.status).toBe(202);
      expect((await fetch(`${server.adminUrl}/readyz`)).status).toBe(200);

      change(server.dbFile);

      const after = await server.deliver("issues", exampleOf("issues", "opened"));
      expect(after.status).toBe(503);
      expect(after.body.error.code).toBe("SWY_E_STORE_UNAVAILABLE");
      const ready = await fetch(`${server.adminUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "store unavailable", role: "all" });
      if (what === "removed") {
        // A reading CLI does not tell the operator to start the server that is running.
        const cli = await runCli(["deliveries"], { cwd: server.dir, env: { DATABASE_URL: `sqlite:${server.dbFile}` } });
        expect(cli.code).toBe(2);
        expect(cli.stderr).toMatch(/is missing, but switchyard \(pid \d+\) holds its lock: the file was removed while it ran/);
      }
    });
  }

  it("moved aside: what it refused is not written into the old file, so putting it back brings none of it back", async () => {
    server = await startTestServer();
    expect((await server.deliver("issues", exampleOf("issues", "opened"), { delivery: "kept-1" })).status).toBe(202);
    const file = server.dbFile;
    renameSync(file, `${file}.aside`);
    for (let i = 0; i < 3; i++) expect((await server.deliver("issues", exampleOf("issues", "opened"), { delivery: `refused-${i}` })).status).toBe(503);
    // Closed, its files kept: the old file gets what its connection still had to checkpoint.
    await (server as unknown as { close: () => Promise<void> }).close();
    const dir = server.dir;
    server = undefined;
    // Put back as the operations guide says: the file with its -wal.
    if (existsSync(`${file}-wal`)) renameSync(`${file}-wal`, `${file}.aside-wal`);
    const aside = new Database(`${file}.aside`, { readonly: true });
    try {
      const ids = aside.prepare<[], string>("SELECT id FROM deliveries ORDER BY seq").pluck().all();
      expect(ids).toEqual(["kept-1"]);
    } finally {
      aside.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
