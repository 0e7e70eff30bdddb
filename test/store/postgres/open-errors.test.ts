import { afterAll, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { createPostgresStore } from "../../../src/store/postgres/postgres-store.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../../support/postgres.js";

afterAll(dropTestDatabases);

describePg("opening a PostgreSQL store with a URL the server cannot serve", () => {
  it("sslmode=require against a server without SSL is a usage error saying what to change, not an outage", async () => {
    const url = await createTestDatabase();
    const store = createPostgresStore(`${url}${url.includes("?") ? "&" : "?"}sslmode=require`);
    try {
      const error = await store.migrate().then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/: the server does not support SSL connections, and DATABASE_URL asks for SSL \(sslmode\): enable SSL on the server, or drop sslmode from DATABASE_URL$/);
    } finally {
      await store.close();
    }
  });
});
