import { appendFileSync } from "node:fs";
import { toError } from "../errors.js";
import { terminalText } from "../present/terminal-text.js";
import { warningAnnotation } from "./error-annotation.js";

type Env = Record<string, string | undefined>;

/**
 * Appends Markdown to the job summary: the file the runner names in `GITHUB_STEP_SUMMARY`
 * and renders on the run's page. Outside Actions (the variable unset) nothing is written.
 * Returns whether it wrote.
 *
 * @example appendJobSummary(process.env, "## switchyard\n")
 */
export function appendJobSummary(env: Env, markdown: string): boolean {
  const file = env.GITHUB_STEP_SUMMARY?.trim();
  if (!file) return false;
  appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  return true;
}

/**
 * appendJobSummary for a run whose outcome is already decided: the summary reports the run, it
 * does not decide it, so a file that cannot be written (a `GITHUB_STEP_SUMMARY` in a missing
 * directory, a full disk) is a warning on stderr (and an annotation under Actions) naming the
 * variable and its path, and the exit code still says what the tasks did.
 *
 * @example appendJobSummaryOrWarn(io, renderJobSummary({ event, decision, run }))
 */
export function appendJobSummaryOrWarn(io: { env: Env; stderr: (text: string) => void }, markdown: string): boolean {
  try {
    return appendJobSummary(io.env, markdown);
  } catch (thrown) {
    const file = io.env.GITHUB_STEP_SUMMARY?.trim() ?? "";
    const message = `the job summary was not written to GITHUB_STEP_SUMMARY (${file}): ${toError(thrown).message}; the exit code still says what the tasks did`;
    io.stderr(`switchyard: warning: ${terminalText(message, { oneLine: true })}\n`);
    if (io.env.GITHUB_ACTIONS === "true") io.stderr(warningAnnotation("switchyard: no job summary", message));
    return false;
  }
}

/**
 * The step's outputs, for later steps (`steps.<id>.outputs.matched`): appended to the file
 * the runner names in `GITHUB_OUTPUT`, as `name=value` lines (each value one line: `result`
 * is JSON, whose strings escape their line breaks). Outside Actions nothing is written; a file
 * that cannot be written is a warning, as for the job summary.
 *
 * @example writeStepOutputs(io, { matched: "true", agents: "IssueAgent", result: "{…}" })
 */
export function writeStepOutputs(io: { env: Env; stderr: (text: string) => void }, outputs: Record<string, string>): boolean {
  const file = io.env.GITHUB_OUTPUT?.trim();
  if (!file) return false;
  try {
    appendFileSync(file, Object.entries(outputs).map(([name, value]) => `${name}=${value.replace(/[\r\n]+/g, " ")}\n`).join(""));
    return true;
  } catch (thrown) {
    const message = `the step's outputs were not written to GITHUB_OUTPUT (${file}): ${toError(thrown).message}; the exit code still says what the tasks did`;
    io.stderr(`switchyard: warning: ${terminalText(message, { oneLine: true })}\n`);
    if (io.env.GITHUB_ACTIONS === "true") io.stderr(warningAnnotation("switchyard: no step outputs", message));
    return false;
  }
}
