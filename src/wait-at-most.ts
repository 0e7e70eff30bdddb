/**
 * Waits for `work`, at most `ms`, then stops waiting (the work is not stopped: what it sent
 * may still land). Its rejection is not passed on: a bounded wait is for steps whose failure
 * changes nothing for the caller (a forced stop, a last report before the process is killed).
 *
 * @example await waitAtMost(store.close(), 1_000);
 */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
