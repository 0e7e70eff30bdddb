/**
 * Runs tasks with the same key one after another, tasks with different keys side by side.
 * A failure ends only its own turn: the next task for the key still runs.
 *
 * @example
 * const serialize = createKeyedQueue();
 * await Promise.all([serialize("octo/app:ci.yml", findOrOpen), serialize("octo/app:ci.yml", findOrOpen)]); // one after the other
 */
export function createKeyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, task) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    // Forget the key once nothing is queued behind this task, so the map does not grow forever.
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
