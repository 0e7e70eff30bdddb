import { expect, it } from "vitest";
import { hasDeployer } from "../../../src/agents/builtin/deployment-agent/has-deployer.js";
import { parseConfig } from "../../../src/config/load-config.js";

it.each([
  ["the defaults", {}, false],
  ["DeploymentAgent: builtin", { agents: { DeploymentAgent: "builtin" } }, false],
  ["DeploymentAgent: {builtin: DeploymentAgent}", { agents: { DeploymentAgent: { builtin: "DeploymentAgent" } } }, false],
  ["a deploy workflow", { deploy: { workflow: "deploy.yml" } }, true],
  ["an exec DeploymentAgent", { agents: { DeploymentAgent: { exec: ["./deploy.sh"] } } }, true],
  ["an http DeploymentAgent", { agents: { DeploymentAgent: { http: { url: "https://deployer.example/run", secret: "s3cret-agent-key-0000" } } } }, true],
  ["a workflow DeploymentAgent", { agents: { DeploymentAgent: { workflow: { id: "deploy.yml" } } } }, true],
])("%s → a deployer: %s", (_, raw, expected) => {
  expect(hasDeployer(parseConfig(raw).config)).toBe(expected);
});
