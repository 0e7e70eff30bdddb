import { webhookEventOf, webhookEventProblem } from "../config/check-names.js";
import { parseTaskId } from "./rows.js";
import type { Store } from "./store.js";

/**
 * Why `deliveries --event NAME` (and the admin API's `?event=`) would list nothing, or
 * null. An event in this build's table of GitHub's webhook events is always a good filter.
 * A name outside it is a good filter when the store holds a delivery of it: the webhook
 * stores any well-formed event GitHub signs, including events newer than the table. Any
 * other name is a typo, refused with the nearest known event, since it would list nothing
 * as if no such event had come. Actions-only triggers are never stored, so always refused.
 *
 * @example await eventFilterProblem(store, "isues") // 'event "isues" is not a GitHub webhook event: did you mean issues?'
 */
export async function eventFilterProblem(store: Pick<Store, "listDeliveries">, name: string): Promise<string | null> {
  const problem = webhookEventProblem(name);
  if (problem === null || webhookEventOf(name) !== name) return problem;
  const stored = await store.listDeliveries({ event: name, limit: 1 });
  return stored.length > 0 ? null : problem;
}

/**
 * Why a delivery list's `before` cursor (`deliveries --before ID`, the admin API's
 * `?before=`) would list nothing, or null: it names no stored delivery. A cursor taken from
 * a list is a stored delivery; any other id is a typo, refused rather than answered with an
 * empty page that reads as "nothing older". `name` is how the caller spells the option.
 *
 * @example await cursorProblem(store, "nope", "--before") // '--before nope: no delivery with this id is stored …'
 */
export async function cursorProblem(store: Pick<Store, "getDelivery">, id: string, name: string): Promise<string | null> {
  if (id === "") return `${name} is empty: give the id of a listed delivery`;
  if ((await store.getDelivery(id)) !== null) return null;
  return `${name} ${id}: no delivery with this id is stored (before takes the id of a listed delivery; one older than store.retention.rows is deleted)`;
}

/**
 * An issue or pull request number filter (`deliveries --number N`, the admin API's
 * `?number=`), with the repository it belongs to: the subject, or why it cannot be one.
 * Numbers are per repository, so a number without one is refused. `name` is how the caller
 * spells the option.
 *
 * @example subjectFilter("7", "octo/hello", "--number") // { repository: "octo/hello", number: 7 }
 */
export function subjectFilter(number: string, repository: string | undefined, name: string): { repository: string; number: number } | string {
  if (!/^[1-9]\d{0,15}$/.test(number)) return `${name} must be an issue or pull request number (digits, from 1), not ${JSON.stringify(number)}`;
  if (repository === undefined) return `${name} needs the repository too: issue and pull request numbers are per repository`;
  return { repository, number: Number(number) };
}

/**
 * Why a task list's `before` cursor (`tasks --before ID`, the admin API's `?before=`) is
 * not one, or null. Tasks are listed by id, newest first, so any task id pages, stored or
 * not (a pruned one too); only what is no task id is refused.
 *
 * @example taskCursorProblem("abc", "--before") // '--before must be a task id (digits, as the lists print them), not "abc"'
 */
export function taskCursorProblem(id: string, name: string): string | null {
  return parseTaskId(id) === null ? `${name} must be a task id (digits, as the lists print them), not ${JSON.stringify(id)}` : null;
}
