import { describe, expect, it } from "vitest";
import { chooseRollbackTarget, type DeploymentWithState } from "../../../src/agents/builtin/deployment-agent/choose-rollback-target.js";

/** Newest first, as GitHub lists deployments: "id:sha:state" (state "-" = no status yet). */
function list(...rows: string[]): DeploymentWithState[] {
  return rows.map((row) => {
    const [id, sha, state] = row.split(":");
    return { id: Number(id), sha: sha!, state: state === "-" ? null : state! };
  });
}

describe("chooseRollbackTarget", () => {
  const cases: { name: string; deployments: DeploymentWithState[]; current: number | null; target: number | null }[] = [
    { name: "no deployments", deployments: [], current: null, target: null },
    { name: "only one success", deployments: list("1:a:success"), current: 1, target: null },
    { name: "the sha before the latest success", deployments: list("2:b:success", "1:a:success"), current: 2, target: 1 },
    { name: "a newer failed deployment is not current", deployments: list("3:c:failure", "2:b:success", "1:a:success"), current: 2, target: 1 },
    { name: "a newer in-flight deployment is not current", deployments: list("3:c:-", "2:b:queued", "1:a:success"), current: 1, target: null },
    { name: "older failures are skipped", deployments: list("3:c:success", "2:b:failure", "1:a:success"), current: 3, target: 1 },
    { name: "redeployments of the current sha are skipped", deployments: list("3:b:success", "2:b:success", "1:a:success"), current: 3, target: 1 },
    { name: "inactive (replaced after succeeding) counts as once successful", deployments: list("2:b:success", "1:a:inactive"), current: 2, target: 1 },
    { name: "error and in-progress older ones are not targets", deployments: list("3:c:success", "2:b:error", "1:a:in_progress"), current: 3, target: null },
    { name: "rolling back a rollback returns to the sha it replaced", deployments: list("3:a:success", "2:b:success", "1:a:success"), current: 3, target: 2 },
    { name: "nothing succeeded", deployments: list("2:b:failure", "1:a:error"), current: null, target: null },
  ];
  for (const { name, deployments, current, target } of cases) {
    it(name, () => {
      const choice = chooseRollbackTarget(deployments);
      expect(choice.current?.id ?? null).toBe(current);
      expect(choice.target?.id ?? null).toBe(target);
    });
  }

  it("gives the same answer for every prefix that already holds the target, so reading can stop early", () => {
    const all = list("5:e:failure", "4:d:success", "3:d:success", "2:c:success", "1:b:success");
    const full = chooseRollbackTarget(all);
    for (let n = 4; n <= all.length; n++) expect(chooseRollbackTarget(all.slice(0, n))).toEqual(full);
    expect(full.target?.sha).toBe("c");
  });
});
