import { existsSync } from "node:fs";
import { ExitCode, type CliIo } from "../cli/io.js";
import { runRoute } from "../cli/route.js";
import { UsageError, toError } from "../errors.js";
import { terminalText } from "../present/terminal-text.js";
import { appendJobSummaryOrWarn } from "../summary/append-job-summary.js";
import { errorAnnotation } from "../summary/error-annotation.js";
import { renderFailureSummary } from "../summary/render-job-summary.js";
import { configInputPath, readActionInputs, routeEnv } from "./read-action-inputs.js";

/**
 * The Action passes its `dry-run` input to route as SWITCHYARD_DRY_RUN, a variable the
 * workflow never set, and its `event` input as route's --event: an error that names the
 * variable or the flag names the input instead.
 *
 * @example namingInputs('environment: github.dryRun is false (SWITCHYARD_DRY_RUN="false") but …', { dryRun: false }) // "input dry-run is false but …"
 */
export function namingInputs(message: string, inputs: { dryRun: boolean | "auto" } | null): string {
  // route's flags, which a workflow using the Action never wrote: its inputs instead.
  const named = message.replace("(check --event or GITHUB_EVENT_NAME against the payload)", "(check the event input, or the workflow's event, against the payload)").replace("no event name: pass --event NAME or set GITHUB_EVENT_NAME", "no event name: set the event input (GITHUB_EVENT_NAME, which a workflow run sets, is empty)")
    .replace("no payload: pass --payload FILE or set GITHUB_EVENT_PATH", "no payload: GITHUB_EVENT_PATH, the event's file a workflow run sets, is empty (run the action as a step of a workflow job)");
  if (inputs === null || inputs.dryRun === "auto") return named;
  return named.replace(/(?:environment: )?github\.dryRun is (\w+) \(SWITCHYARD_DRY_RUN="\w+"\)/, "input dry-run is $1");
}

/**
 * switchyard as a GitHub Action: `route` with the action's inputs. The event comes from
 * `GITHUB_EVENT_NAME` / `GITHUB_EVENT_PATH` (or the `event` input), the tasks run on the
 * in-memory store, and the job summary gets the decision, each task's outcome and the GitHub
 * writes (made, or in dry-run that would have been made). Returns the exit code route's
 * contract gives: 0 ok, 1 a task ended dead (after its retries, or at once for a permanent failure), 2 bad input or config, 130/143
 * the run was cancelled by SIGINT/SIGTERM (route kills the agents and still reports); an
 * error is also an annotation and a line in the job summary.
 *
 * @example process.exitCode = await runAction(processIo());
 */
export async function runAction(io: CliIo): Promise<number> {
  let inputs: ReturnType<typeof readActionInputs> | null = null;
  try {
    inputs = readActionInputs(io.env);
    const config = configInputPath(io.env, io.cwd, inputs.config);
    // Said here, naming the input: route's own message names its --config flag, which the workflow never wrote.
    if (config !== null && !existsSync(config)) {
      const base = io.env.GITHUB_WORKSPACE?.trim() ? "the workspace (GITHUB_WORKSPACE)" : "the working directory";
      throw new UsageError(`input config: ${config} does not exist: the config input (${JSON.stringify(inputs.config)}) is a path relative to ${base}; check it, or leave it empty to read ./switchyard.config.yaml`);
    }
    await runRoute({ event: inputs.event ?? undefined, config: config ?? undefined }, { ...io, env: routeEnv(io.env, inputs) });
    return 0;
  } catch (thrown) {
    // route has said what failed (stderr, annotations, summary).
    if (thrown instanceof ExitCode) return thrown.code;
    const message = namingInputs(toError(thrown).message, inputs);
    // One line (see main): the annotation below carries the message whole, escaped.
    io.stderr(`switchyard: ${terminalText(message, { oneLine: true })}\n`);
    io.stderr(errorAnnotation("switchyard", message));
    // The summary is a report: failing to write it is a warning, and the error above stands.
    appendJobSummaryOrWarn(io, renderFailureSummary(message));
    return thrown instanceof UsageError ? 2 : 1;
  }
}
