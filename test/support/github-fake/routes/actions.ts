import { fieldsOf, requiredString, unprocessable } from "../http-error.js";
import { repoRoute } from "../router.js";
import type { RepoState } from "../state.js";
import type { Route } from "../router.js";
import type { FakeWorkflow } from "../types.js";

/**
 * The inputs limit the design relies on. GitHub's current OpenAPI description says 25;
 * the fake keeps switchyard to the older, stricter 10.
 */
const MAX_INPUTS = 10;

function renderWorkflow(repo: RepoState, w: FakeWorkflow) {
  return {
    id: w.id, node_id: `W_${w.id}`, name: w.name, path: w.path, state: "active",
    url: `${repo.world.baseUrl}/repos/${repo.fullName}/actions/workflows/${w.id}`,
    html_url: `https://github.com/${repo.fullName}/blob/${repo.defaultBranch}/${w.path}`,
    badge_url: `https://github.com/${repo.fullName}/workflows/${encodeURIComponent(w.name)}/badge.svg`,
  };
}

/** GitHub's 422s for dispatch: undeclared, missing, too many or non-string inputs. */
function checkInputs(workflow: FakeWorkflow, inputs: Record<string, unknown>): Record<string, string> {
  const names = Object.keys(inputs);
  const unexpected = names.filter((n) => !workflow.inputs.includes(n));
  if (unexpected.length > 0) throw unprocessable(`Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
  if (names.length > MAX_INPUTS) throw unprocessable(`you may only define up to ${MAX_INPUTS} \`inputs\` for a \`workflow_dispatch\` event`);
  const missing = workflow.required.filter((n) => !names.includes(n));
  if (missing.length > 0) throw unprocessable(`Required input '${missing[0]}' not provided`);
  for (const [name, value] of Object.entries(inputs)) {
    if (typeof value !== "string") throw unprocessable(`For 'properties/${name}', ${JSON.stringify(value)} is not a string.`);
  }
  return inputs as Record<string, string>;
}

export const actionRoutes: Route[] = [
  repoRoute("GET", "/actions/workflows", (ctx) => ({
    status: 200,
    body: { total_count: ctx.repo.workflows.length, workflows: ctx.repo.workflows.map((w) => renderWorkflow(ctx.repo, w)) },
  })),

  repoRoute("GET", "/actions/workflows/:workflow", (ctx) => ({ status: 200, body: renderWorkflow(ctx.repo, ctx.repo.workflow(ctx.params.workflow ?? "")) })),

  // 204 without a run id, unless `return_run_details` asks for one (200).
  repoRoute("POST", "/actions/workflows/:workflow/dispatches", (ctx) => {
    const workflow = ctx.repo.workflow(ctx.params.workflow ?? "");
    const fields = fieldsOf(ctx.body);
    const ref = requiredString(fields, "ref", "WorkflowDispatch");
    if (!workflow.dispatchable) throw unprocessable("Workflow does not have 'workflow_dispatch' trigger");
    if (!ctx.repo.resolveRef(ref)) throw unprocessable(`No ref found for: ${ref}`);
    const inputs = checkInputs(workflow, fieldsOf(fields.inputs));
    ctx.repo.dispatches.push({ workflow_id: workflow.id, workflow_path: workflow.path, ref, inputs });
    if (fields.return_run_details !== true) return { status: 204 };
    const runId = ctx.world.nextId();
    const runUrl = `${ctx.world.baseUrl}/repos/${ctx.repo.fullName}/actions/runs/${runId}`;
    return { status: 200, body: { workflow_run_id: runId, run_url: runUrl, html_url: `https://github.com/${ctx.repo.fullName}/actions/runs/${runId}` } };
  }),
];
