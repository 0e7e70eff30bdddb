import { appendFileSync } from "node:fs";

/**
 * Appends Markdown to the job summary: the file the runner names in `GITHUB_STEP_SUMMARY`
 * and renders on the run's page. Outside Actions (the variable unset) nothing is written.
 * Returns whether it wrote.
 *
 * @example appendJobSummary(process.env, "## switchyard\n")
 */
export function appendJobSummary(env: Record<string, string | undefined>, markdown: string): boolean {
  const file = env.GITHUB_STEP_SUMMARY?.trim();
  if (!file) return false;
  appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  return true;
}
