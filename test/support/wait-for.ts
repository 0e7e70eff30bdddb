/**
 * Polls `check` until it returns something other than null/undefined/false, or fails after
 * `timeoutMs` with the last value seen. For waiting on real processes and servers; pure
 * logic uses fake timers instead.
 */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await check();
    if (last !== null && last !== undefined && last !== false) return last as T;
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms (last value: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
