/**
 * Spaces out writes per key (a token or an installation): GitHub asks integrations to make
 * mutating requests serially and at least a second apart, or they hit the secondary rate
 * limit (docs.github.com, "Best practices for using the REST API"). Reads are not paced.
 *
 * @example const pace = createWritePacer(1000); await pace("installation:42", () => octokit.request(...));
 */
export function createWritePacer(intervalMs: number, now: () => number = Date.now) {
  const tails = new Map<string, Promise<unknown>>();
  const last = new Map<string, number>();

  return async function pace<T>(key: string, write: () => Promise<T>): Promise<T> {
    if (intervalMs <= 0) return write();
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const wait = (last.get(key) ?? -Infinity) + intervalMs - now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        try {
          return await write();
        } finally {
          last.set(key, now());
        }
      });
    tails.set(key, run);
    try {
      return await run;
    } finally {
      if (tails.get(key) === run) tails.delete(key);
    }
  };
}

export type WritePacer = ReturnType<typeof createWritePacer>;
