/**
 * The optional per-repository budget (`worker.perRepository`): at most `limit` task starts
 * per repository within `windowMs`. A repository over budget is skipped at claim time, so
 * its tasks wait in the queue (deferred, never dropped) until the window frees a slot.
 * Kept per process: with several instances each gets the budget, which errs on the side
 * of running work.
 *
 * @example const budget = createRepositoryBudget({ limit: 2, windowMs: 60_000 });
 */
export function createRepositoryBudget(options: { limit: number; windowMs: number }) {
  const starts = new Map<string, number[]>();

  function prune(repo: string, now: number): number[] {
    const kept = (starts.get(repo) ?? []).filter((t) => now - t < options.windowMs);
    if (kept.length === 0) starts.delete(repo);
    else starts.set(repo, kept);
    return kept;
  }

  return {
    recordStart(repo: string | null, now: number): void {
      if (!repo) return;
      const kept = prune(repo, now);
      kept.push(now);
      starts.set(repo, kept);
    },
    /** Repositories with no start left in the current window. */
    exhausted(now: number): string[] {
      return [...starts.keys()].filter((repo) => prune(repo, now).length >= options.limit);
    },
    /** When the earliest exhausted repository gets a slot back; null if none is exhausted. */
    nextFreeAt(now: number): number | null {
      let next: number | null = null;
      for (const repo of [...starts.keys()]) {
        const kept = prune(repo, now);
        if (kept.length < options.limit) continue;
        const free = kept[kept.length - options.limit]! + options.windowMs;
        next = next === null ? free : Math.min(next, free);
      }
      return next;
    },
  };
}

export type RepositoryBudget = ReturnType<typeof createRepositoryBudget>;
