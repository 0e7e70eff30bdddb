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
