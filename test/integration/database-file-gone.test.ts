import { copyFileSync, renameSync, rmSync } from "node:fs";
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
});
