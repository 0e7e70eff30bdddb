import { describe, inject, it } from "vitest";
import { attachCluster, initCluster, type Cluster } from "./postgres/cluster.js";
import type { PostgresContext } from "./postgres/global.js";

export type { Cluster } from "./postgres/cluster.js";

function context(): PostgresContext {
  // Undefined when vitest ran with a config that lacks test/global-setup.ts.
  return inject("postgres") ?? { cluster: null, root: null, skipReason: "the vitest global setup (test/global-setup.ts) did not run" };
}

/**
 * Whether this run has a PostgreSQL cluster to test against.
 *
 * @example
 * it.skipIf(!postgresAvailable())("needs a server", async () => { ... });
 */
export function postgresAvailable(): boolean {
  return context().cluster !== null;
}

/**
 * Why PostgreSQL tests are skipped in this run; null when they run.
 *
 * @example
 * if (!postgresAvailable()) console.warn(postgresSkipReason());
 */
export function postgresSkipReason(): string | null {
  const { cluster, skipReason } = context();
  return cluster === null ? (skipReason ?? "PostgreSQL is not available") : null;
}

/**
 * `describe` for suites that need PostgreSQL: skipped, with the reason in the suite's name,
 * when there is none. Under CI=true the global setup already failed the run in that case;
 * should this still be reached (a config without it), the suite fails instead of skipping.
 *
 * @example
 * describePg("postgres store", () => {
 *   it("accepts a delivery", async () => { const url = await createTestDatabase(); ... });
 * });
 */
export function describePg(name: string, fn: () => void): void {
  const reason = postgresSkipReason();
  if (reason === null) describe(name, fn);
  else if (process.env.CI === "true") {
    describe(name, () => {
      it("has PostgreSQL (required when CI=true)", () => {
        throw new Error(reason);
      });
    });
  } else describe.skip(`${name} (skipped: ${reason})`, fn);
}

let shared: Cluster | undefined;

/**
 * The run's shared cluster, which all test files use in parallel.
 *
 * @example
 * const { adminUrl } = sharedCluster();
 */
export function sharedCluster(): Cluster {
  const { cluster } = context();
  if (cluster === null) throw new Error(`PostgreSQL is not available: ${postgresSkipReason()}`);
  shared ??= attachCluster(cluster);
  return shared;
}

/**
 * URL of the shared cluster's `postgres` database, for admin work (superuser, trust auth).
 *
 * @example
 * const client = new Client({ connectionString: postgresAdminUrl() });
 */
export function postgresAdminUrl(): string {
  return sharedCluster().adminUrl;
}

const createdHere: string[] = [];

/**
 * Creates an empty database with a unique name in the shared cluster and returns its URL
 * (postgres://postgres@127.0.0.1:PORT/NAME). They all go with the cluster at the end of
 * the run; `dropTestDatabases` in afterAll frees them sooner.
 *
 * @example
 * const url = await createTestDatabase();
 * const store = await openStore(url);
 */
export async function createTestDatabase(): Promise<string> {
  const url = await sharedCluster().createDatabase();
  createdHere.push(decodeURIComponent(new URL(url).pathname.slice(1)));
  return url;
}

/**
 * Drops the databases this test file made with `createTestDatabase`, closing any
 * connections still open to them.
 *
 * @example
 * afterAll(dropTestDatabases);
 */
export async function dropTestDatabases(): Promise<void> {
  if (createdHere.length === 0) return;
  const cluster = sharedCluster();
  // Dropping only frees disk while the run goes on (each DROP waits for a checkpoint): the
  // cluster, with whatever is left in it, is deleted at teardown. So on a loaded machine the
  // rest is left to that rather than failing the file's afterAll.
  const deadline = Date.now() + DROP_BUDGET_MS;
  for (const name of createdHere.splice(0)) {
    if (Date.now() > deadline) break;
    await cluster.dropDatabase(name);
  }
}

/** How long one file's afterAll spends dropping its databases. */
const DROP_BUDGET_MS = 20_000;

/**
 * Restarts the shared cluster (fast shutdown) on the same port and resolves once it accepts
 * connections. Every test file running meanwhile sees it: fault tests should prefer
 * `startPrivateCluster`.
 *
 * @example
 * await restartPostgres();
 */
export async function restartPostgres(): Promise<void> {
  await sharedCluster().restart();
}

/**
 * Stops the shared cluster; `startPostgres` brings it back on the same port. Same caveat
 * as `restartPostgres`.
 *
 * @example
 * await stopPostgres("immediate");
 * await startPostgres();
 */
export async function stopPostgres(mode: "fast" | "immediate" = "fast"): Promise<void> {
  await sharedCluster().stop(mode);
}

/**
 * Starts the shared cluster after `stopPostgres`.
 *
 * @example
 * await startPostgres();
 */
export async function startPostgres(): Promise<void> {
  await sharedCluster().start();
}

/**
 * A cluster of the test file's own, for tests that stop, restart or crash the server
 * without disturbing files that run in parallel. Call `destroy()` in afterAll; should it
 * not run, the run's teardown stops the cluster anyway.
 *
 * @example
 * const pg = await startPrivateCluster();
 * afterAll(() => pg.destroy());
 * const url = await pg.createDatabase();
 * await pg.restart();
 */
export async function startPrivateCluster(): Promise<Cluster> {
  const { cluster, root } = context();
  if (cluster === null || root === null) throw new Error(`PostgreSQL is not available: ${postgresSkipReason()}`);
  return initCluster(cluster.tools, root);
}
