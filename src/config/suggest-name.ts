/**
 * The optimal-string-alignment distance between two strings: insertions, deletions,
 * substitutions and swaps of two neighbouring characters each cost 1 ("opend" → "opened"
 * is 1, "IsseuAgent" → "IssueAgent" is 1).
 *
 * @example editDistance("issue", "issues") // 1
 */
export function editDistance(a: string, b: string): number {
  // Three rows suffice: the swap looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The one candidate that extends `value` (ignoring case), or null when none or several do:
 * a name typed short (`initial` for `initialDelayMs`) is too many edits away to be near.
 * Under 3 characters a prefix says too little about what was meant.
 *
 * @example extensionOf("initial", ["initialDelayMs", "maxDelayMs"]) // "initialDelayMs"
 */
function extensionOf(value: string, candidates: readonly string[]): string | null {
  const wanted = value.toLowerCase();
  if (wanted.length < 3) return null;
  // A Set: callers may list a name twice (a built-in agent that a rule also uses).
  const longer = [...new Set(candidates.filter((name) => name.length > wanted.length && name.toLowerCase().startsWith(wanted)))];
  return longer.length === 1 ? longer[0]! : null;
}

/**
 * The candidate `value` was meant to be: the only one that extends it, else the nearest
 * when near enough: at most 2 edits, or a third of the longer name (ignoring case), and
 * never the whole word.
 *
 * @example suggestName("IsueAgent", ["IssueAgent", "ReviewAgent"]) // "IssueAgent"
 * @example suggestName("Review", ["IssueAgent", "ReviewAgent"]) // "ReviewAgent"
 * @example suggestName("frobnicate", ["issues", "push"]) // null
 */
export function suggestName(value: string, candidates: Iterable<string>): string | null {
  const names = [...candidates];
  const extension = extensionOf(value, names);
  if (extension !== null) return extension;
  const wanted = value.toLowerCase();
  let best: { name: string; distance: number } | null = null;
  for (const name of names) {
    const distance = editDistance(wanted, name.toLowerCase());
    const limit = Math.min(Math.max(2, Math.floor(Math.max(wanted.length, name.length) / 3)), Math.max(wanted.length, name.length) - 1);
    if (distance > limit) continue;
    if (best === null || distance < best.distance) best = { name, distance };
  }
  return best?.name ?? null;
}

/**
 * " did you mean X?" for the nearest candidate, or "" when none is near.
 *
 * @example `no agent "IsueAgent":${didYouMean("IsueAgent", names)}` // 'no agent "IsueAgent": did you mean IssueAgent?'
 */
export function didYouMean(value: string, candidates: Iterable<string>): string {
  const name = suggestName(value, candidates);
  return name === null ? "" : ` did you mean ${name}?`;
}
