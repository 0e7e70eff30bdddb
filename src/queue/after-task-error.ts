/**
 * An after-task step's failure, naming the step ("the routing comment on octo/app#1"), so the
 * worker's warning says which of its GitHub writes failed, on what. The error itself is the `cause`.
 *
 * @example throw new AfterTaskError("the routing comment on octo/app#1", error);
 */
export class AfterTaskError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step} failed`, { cause });
    this.name = "AfterTaskError";
  }
}

const OUTCOME_STANDS = "failed (the task's outcome stands)";

/**
 * The line the worker adds to an attempt's output when an after-task step failed: kept with
 * the attempt, so that `tasks show`, the dashboard and the job summary say it.
 *
 * @example afterTaskNote("the routing comment on octo/app#1", "POST /repos/octo/app/issues/1/comments: HTTP 403 …")
 * // "switchyard: the routing comment on octo/app#1 failed (the task's outcome stands): POST …"
 */
export function afterTaskNote(step: string, line: string): string {
  return `switchyard: ${step} ${OUTCOME_STANDS}: ${line}`;
}

/** The after-task notes in an attempt's output, each without its `switchyard: ` prefix. */
export function afterTaskNotes(output: string | null): string[] {
  if (!output) return [];
  return output.split("\n").filter((line) => line.startsWith("switchyard: ") && line.includes(` ${OUTCOME_STANDS}: `)).map((line) => line.slice("switchyard: ".length));
}

/** What failed in each after-task note of an output: the failure's own line (`POST /repos/o/r/issues/1/comments: HTTP 403 …`). */
export function afterTaskFailures(output: string | null): string[] {
  return afterTaskNotes(output).map((note) => note.slice(note.indexOf(` ${OUTCOME_STANDS}: `) + OUTCOME_STANDS.length + 3));
}
