import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { hostname } from "node:os";
import { applicationName, createPgPool } from "../../../src/store/postgres/pg-pool.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../../support/postgres.js";
import { waitFor } from "../../support/wait-for.js";

afterAll(dropTestDatabases);

describePg("the PostgreSQL pool", () => {
  it("logs an idle connection the server ended as one warning line, without a stack", async () => {
    const url = await createTestDatabase();
    const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const logger = { warn: (obj: object, msg: string) => warnings.push({ obj: obj as Record<string, unknown>, msg }), info: () => undefined };
    const pool = createPgPool(url, { poolSize: 1, logger });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // One connection, left idle in the pool, then ended by the server as a restart would.
      const pid = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await waitFor(() => warnings.length > 0 || undefined, 5000, 20);
      expect(warnings).toEqual([
        {
          obj: { reason: "terminating connection due to administrator command", code: "57P01", store: expect.any(String) as unknown },
          msg: "an idle PostgreSQL connection failed; it will be replaced",
        },
      ]);
      expect(JSON.stringify(warnings)).not.toContain("stack");
      // And the pool makes a new connection at the next query.
      expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one).toBe(1);
    } finally {
      await admin.end();
      await pool.end();
    }
  });

  it("names each session after the process (switchyard HOST PID), so instances sharing a database can be told apart", async () => {
    const url = await createTestDatabase();
    const pool = createPgPool(url, { poolSize: 1, logger: { warn: () => undefined, info: () => undefined } });
    try {
      const shown = (await pool.query<{ name: string }>("SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()")).rows[0]!.name;
      expect(shown).toBe(`switchyard ${hostname()} ${process.pid}`.slice(0, 63));
      expect(applicationName("h".repeat(80), 7)).toHaveLength(63);
    } finally {
      await pool.end();
    }
  });
});
