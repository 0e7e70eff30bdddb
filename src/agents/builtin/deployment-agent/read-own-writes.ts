import type { GithubActionRecord } from "../../../store/store.js";
import type { AgentContext } from "../../agent.js";

/** What earlier attempts of this task already did to a repository's deployments. */
export interface OwnWrites {
  /** The sha of a deployment this task created in `environment`, if it created one. */
  deployedSha(environment: string): string | null;
  hasStatus(deploymentId: number, state: string): boolean;
  hasDispatch(deploymentId: number): boolean;
}

type Body = Record<string, unknown>;

function bodyOf(action: GithubActionRecord): Body {
  return typeof action.body === "object" && action.body !== null ? (action.body as Body) : {};
}

/**
 * Indexes a task's recorded GitHub writes for one repository. Only writes that were sent
 * count: a dry-run record changed nothing on GitHub. The store records a write after
 * GitHub accepted it, so a retried task can skip exactly the steps that already happened
 * (a deployment created before a 502 on its status must get its status, not a twin).
 *
 * @example
 * const own = ownWritesOf(await ctx.store.githubWrites({ limit: 100 }), "octo/app");
 * if (!own.hasStatus(42, "success")) await ctx.github.createDeploymentStatus("octo/app", 42, { state: "success", description: "deployed" });
 */
export function ownWritesOf(actions: readonly GithubActionRecord[], repository: string): OwnWrites {
  const [owner, repo] = repository.split("/");
  const sent = actions
    .filter((a) => !a.dryRun && a.method === "POST")
    .map((a) => ({ route: a.route, body: bodyOf(a) }))
    .filter((a) => a.body.owner === owner && a.body.repo === repo);
  const of = (suffix: string) => sent.filter((a) => a.route.endsWith(suffix)).map((a) => a.body);
  return {
    deployedSha: (environment) => {
      const created = of("/deployments").find((b) => b.environment === environment);
      return typeof created?.ref === "string" ? created.ref : null;
    },
    hasStatus: (id, state) => of("/deployments/{deployment_id}/statuses").some((b) => b.deployment_id === id && b.state === state),
    hasDispatch: (id) => of("/dispatches").some((b) => (b.inputs as Body | undefined)?.deployment_id === String(id)),
  };
}

/**
 * The writes earlier attempts of this task made, from the store (in Actions mode: this run's).
 *
 * @example if ((await readOwnWrites(ctx, "octo/app")).deployedSha("production") === sha) { … resume … }
 */
export async function readOwnWrites(ctx: AgentContext, repository: string): Promise<OwnWrites> {
  return ownWritesOf(await ctx.store.githubWrites({ limit: 200 }), repository);
}
