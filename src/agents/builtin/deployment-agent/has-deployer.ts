import type { Config } from "../../../config/schema.js";

/** What to configure so that something deploys: said wherever "no deployer" is. */
export const DEPLOYER_HINT = "set deploy.workflow, or give DeploymentAgent an exec or http executor";

/**
 * Whether anything actually deploys: a deploy workflow DeploymentAgent dispatches, or a
 * DeploymentAgent that is not the built-in one (an exec, http or workflow executor does the
 * deploying itself). Without one, the built-in agent only creates GitHub deployments and
 * leaves them `queued` for an external deployer (one listening to the `deployment` event).
 *
 * @example hasDeployer(parseConfig({}).config) // false
 * @example hasDeployer(parseConfig({ deploy: { workflow: "deploy.yml" } }).config) // true
 */
export function hasDeployer(config: Pick<Config, "agents" | "deploy">): boolean {
  if (config.deploy.workflow !== null) return true;
  const executor = config.agents.DeploymentAgent ?? "builtin";
  return executor !== "builtin" && !("builtin" in executor);
}
