import type { AddressInfo } from "node:net";
import { Faults } from "./faults.js";
import type { FaultSpec } from "./faults.js";
import { createHookHandle, hookName, hookState } from "./hooks.js";
import type { HookHandle, HookKey } from "./hooks.js";
import { createDiscussionHandle } from "./discussions.js";
import type { DiscussionHandle } from "./discussions.js";
import { isGraphqlMutation } from "./routes/graphql.js";
import { createRepoHandle } from "./repo-handle.js";
import type { RepoHandle } from "./repo-handle.js";
import { seedFromPayload } from "./seed-from-payload.js";
import { createFakeServer } from "./server.js";
import { World } from "./state.js";
import type { LoggedRequest, UserType } from "./types.js";

export { secondaryRateLimit } from "./faults.js";
export type { FaultSpec } from "./faults.js";
export { fakeSha } from "./repo-handle.js";
export type { RepoHandle } from "./repo-handle.js";
export type { FakeHookDelivery, HookHandle, HookKey } from "./hooks.js";
export type * from "./types.js";
export type { DiscussionHandle, FakeDiscussion, FakeDiscussionComment } from "./discussions.js";

export interface GithubFakeOptions {
  /** Who tokens act as (`GET /user`); default `switchyard-test`, a User. */
  identity?: { login: string; type?: UserType };
  /** The GitHub App behind JWTs and installation tokens (`GET /app`); default slug `switchyard`. */
  app?: { id?: number; slug: string };
}

/**
 * A GitHub REST API fake: a real HTTP server on 127.0.0.1 with in-memory repositories,
 * for driving switchyard's agents through a real Octokit (`baseUrl: fake.url`).
 */
export interface GithubFake {
  /** Base URL for Octokit's `baseUrl`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly requests: readonly LoggedRequest[];
  /** Requests that would change GitHub (not GET, not the app's token exchange, not a GraphQL query): empty after a dry run. */
  readonly writes: readonly LoggedRequest[];
  /** Requests no route matched; a test asserts this is empty. */
  readonly unknownRoutes: readonly LoggedRequest[];
  /** The repository `owner/name`, created empty on first use, to seed and inspect. */
  repo(fullName: string): RepoHandle;
  /**
   * A webhook (created on first use) with its delivery log: point it at a server, send and
   * seed deliveries; GitHub's hook-deliveries routes serve its log and redeliver from it.
   */
  hook(key: HookKey): HookHandle;
  /** The discussions of `owner/name` (GraphQL only on GitHub), to seed and inspect. */
  discussions(fullName: string): DiscussionHandle;
  /** Create what a webhook payload describes (repository, sender, issue/PR, labels, comment…). */
  seedFromPayload(event: string, payload: object): RepoHandle | undefined;
  /** Who personal tokens act as; a Bot identity gets GitHub's 403 on `GET /user`. */
  setIdentity(identity: { login: string; type?: UserType }): void;
  /** The next `times` (default 1) matching requests get this response instead. */
  failNext(fault: FaultSpec): void;
  /** Every matching request gets this response until clearFaults(). */
  failAlways(fault: Omit<FaultSpec, "times">): void;
  clearFaults(): void;
  clearRequests(): void;
  close(): Promise<void>;
}

/**
 * @example
 * const fake = await startGithubFake();
 * fake.seedFromPayload("issues", exampleOf("issues", "opened"));
 * const octokit = new Octokit({ auth: "t", baseUrl: fake.url });
 * await octokit.rest.issues.addLabels({ owner: "Codertocat", repo: "Hello-World", issue_number: 1, labels: ["triage"] });
 * expect(fake.repo("Codertocat/Hello-World").issue(1)?.labels).toEqual(["bug", "triage"]);
 * await fake.close();
 */
export async function startGithubFake(options: GithubFakeOptions = {}): Promise<GithubFake> {
  const world = new World();
  if (options.identity) world.identity = world.user(options.identity.login, options.identity.type);
  if (options.app) world.app = { id: options.app.id ?? 1, slug: options.app.slug, name: options.app.slug };
  const faults = new Faults();
  const log: LoggedRequest[] = [];
  const server = createFakeServer(world, faults, log);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  world.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: world.baseUrl,
    get requests() { return log; },
    get writes() { return log.filter((r) => r.method !== "GET" && !r.path.startsWith("/app/") && (r.path !== "/graphql" || isGraphqlMutation(r.body))); },
    get unknownRoutes() { return log.filter((r) => r.unknown); },
    repo(fullName) {
      const [owner, name, extra] = fullName.split("/");
      if (!owner || !name || extra !== undefined) throw new Error(`github-fake: "${fullName}" is not owner/name`);
      return createRepoHandle(world.repo(owner, name, true)!);
    },
    hook: (key) => createHookHandle(hookState(world, hookName(key), true)!),
    discussions(fullName) {
      const [owner, name] = fullName.split("/");
      return createDiscussionHandle(world.repo(owner ?? "", name ?? "", true)!);
    },
    seedFromPayload: (event, payload) => seedFromPayload(world, event, payload),
    setIdentity: ({ login, type }) => void (world.identity = world.user(login, type)),
    failNext: (fault) => faults.add(fault, fault.times ?? 1),
    failAlways: (fault) => faults.add(fault, Number.POSITIVE_INFINITY),
    clearFaults: () => faults.clear(),
    clearRequests: () => void log.splice(0),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
