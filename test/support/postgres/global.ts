import type { TestProject } from "vitest/node";
import { locatePgTools, type PgTools } from "./binaries.js";
import { initCluster, makeClusterRoot, type ClusterInfo } from "./cluster.js";
import { removeClusterRoot, removeStaleClusterRoots } from "./sweep.js";

/** What the global setup hands every test file under `inject("postgres")`. */
export interface PostgresContext {
  /** The run's shared cluster, or null when PostgreSQL could not be started here. */
  cluster: ClusterInfo | null;
  /** Where test files put private clusters, so the teardown can stop any left running. */
  root: string | null;
  /** Why PostgreSQL tests are skipped; null when they run. */
  skipReason: string | null;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgres: PostgresContext;
  }
}

/**
 * Starts the one PostgreSQL cluster of a vitest run and provides it to the tests; resolves
 * with the teardown that stops it and any private clusters, and deletes their files.
 * Without PostgreSQL the tests that need it are skipped, except under CI=true, where this
 * throws: CI must never pass without them.
 *
 * @example
 * export default async function setup(project: TestProject) {
 *   return startSharedPostgres(project);
 * }
 */
export async function startSharedPostgres(project: Pick<TestProject, "provide">): Promise<() => Promise<void>> {
  const unavailable = (reason: string): (() => Promise<void>) => {
    if (process.env.CI === "true") throw new Error(`PostgreSQL is required when CI=true, and it could not be started: ${reason}`);
    console.warn(`\n[postgres] tests that need PostgreSQL are skipped: ${reason}\n`);
    project.provide("postgres", { cluster: null, root: null, skipReason: reason });
    return async () => undefined;
  };

  let tools: PgTools;
  try {
    tools = await locatePgTools();
  } catch (error) {
    return unavailable((error as Error).message);
  }
  await removeStaleClusterRoots(tools);
  const root = makeClusterRoot();
  try {
    const cluster = await initCluster(tools, root);
    project.provide("postgres", { cluster: cluster.info, root, skipReason: null });
    return async () => {
      try {
        await cluster.destroy();
      } finally {
        await removeClusterRoot(tools, root);
      }
    };
  } catch (error) {
    await removeClusterRoot(tools, root);
    return unavailable((error as Error).message);
  }
}
