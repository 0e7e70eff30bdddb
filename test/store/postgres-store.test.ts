import { afterAll } from "vitest";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.js";
import { createTestDatabase, describePg, dropTestDatabases } from "../support/postgres.js";
import { runStoreContract } from "./store-contract.js";

afterAll(dropTestDatabases);

describePg("PostgreSQL store", () => {
  runStoreContract("postgres", async () => createPostgresStore(await createTestDatabase(), {}));
});
