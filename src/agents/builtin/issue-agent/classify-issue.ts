/** A label the classifier proposes, and the words that made it. */
export interface LabelSuggestion {
  label: string;
  reason: string;
}

export interface IssueClassification {
  type: LabelSuggestion | null;
  priority: LabelSuggestion;
}

interface KeywordRule {
  label: string;
  /** Matched as whole words, case-insensitive, in the title (weight 2) and the body (weight 1). */
  words: string[];
  /** Headings GitHub's issue templates put in the body. */
  templates?: string[];
}

// Order breaks ties: a security report that also says "bug" is a security issue first.
const TYPE_RULES: KeywordRule[] = [
  { label: "type:security", words: ["security", "vulnerability", "cve", "xss", "csrf", "injection", "exploit", "secret leaked", "leaked token"] },
  {
    label: "type:bug",
    words: ["bug", "error", "crash", "crashes", "exception", "broken", "fails", "failing", "failure", "regression", "not working", "doesn't work", "does not work", "stack trace"],
    templates: ["describe the bug", "steps to reproduce", "expected behavior"],
  },
  {
    label: "type:feature",
    words: ["feature", "feature request", "enhancement", "add support", "support for", "would be nice", "proposal", "allow"],
    templates: ["is your feature request related to a problem", "describe the solution you'd like"],
  },
  { label: "type:docs", words: ["docs", "documentation", "readme", "typo", "guide", "tutorial"] },
  { label: "type:refactor", words: ["refactor", "refactoring", "cleanup", "clean up", "restructure", "tech debt", "technical debt"] },
  { label: "type:test", words: ["test", "tests", "flaky", "coverage", "unit test", "e2e"] },
  { label: "type:question", words: ["question", "how do i", "how to", "is it possible", "help wanted"] },
];

const PRIORITY_RULES: KeywordRule[] = [
  { label: "priority:P0", words: ["critical", "urgent", "outage", "production down", "data loss", "sev1", "p0", "blocker", "asap"] },
  { label: "priority:P1", words: ["important", "high priority", "major", "regression", "sev2", "p1"] },
  { label: "priority:P3", words: ["minor", "nice to have", "cosmetic", "low priority", "typo", "p3"] },
];

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Compiled once: whole-word matchers for every keyword.
const compiled = new Map<string, RegExp>();
function wordPattern(word: string): RegExp {
  let re = compiled.get(word);
  if (!re) {
    re = new RegExp(`(^|[^a-z0-9])${escapeRegex(word)}($|[^a-z0-9])`, "i");
    compiled.set(word, re);
  }
  return re;
}

function score(rule: KeywordRule, title: string, body: string): { points: number; hits: string[] } {
  let points = 0;
  const hits: string[] = [];
  for (const word of rule.words) {
    const re = wordPattern(word);
    if (re.test(title)) {
      points += 2;
      hits.push(`title says "${word}"`);
    } else if (re.test(body)) {
      points += 1;
      hits.push(`body says "${word}"`);
    }
  }
  for (const heading of rule.templates ?? []) {
    if (body.toLowerCase().includes(heading)) {
      points += 2;
      hits.push(`template section "${heading}"`);
    }
  }
  return { points, hits };
}

function best(rules: KeywordRule[], title: string, body: string): LabelSuggestion | null {
  let winner: { rule: KeywordRule; points: number; hits: string[] } | null = null;
  for (const rule of rules) {
    const s = score(rule, title, body);
    if (s.points > 0 && (winner === null || s.points > winner.points)) winner = { rule, ...s };
  }
  return winner ? { label: winner.rule.label, reason: winner.hits.slice(0, 3).join(", ") } : null;
}

/**
 * Classifies an issue by explainable keyword and template rules: one `type:*` label (or
 * none when nothing matches) and one `priority:*` label (P2 unless words say otherwise;
 * a security issue is at least P1). Deterministic: the same text always gives the same labels.
 *
 * @example classifyIssue("App crashes on login", "") // {type: {label: "type:bug", …}, priority: {label: "priority:P2", …}}
 */
export function classifyIssue(title: string, body: string): IssueClassification {
  const type = best(TYPE_RULES, title, body);
  let priority = best(PRIORITY_RULES, title, body);
  if (type?.label === "type:security" && (priority === null || priority.label > "priority:P1")) {
    priority = { label: "priority:P1", reason: "security issues are at least P1" };
  }
  return { type, priority: priority ?? { label: "priority:P2", reason: "no urgency words: the default" } };
}

/** Colours and descriptions for the labels switchyard creates when a repository lacks them. */
export const LABEL_STYLES: Record<string, { color: string; description: string }> = {
  "type:bug": { color: "d73a4a", description: "Something is not working" },
  "type:feature": { color: "a2eeef", description: "A new capability" },
  "type:docs": { color: "0075ca", description: "Documentation" },
  "type:refactor": { color: "cfd3d7", description: "Code change without a behaviour change" },
  "type:test": { color: "fbca04", description: "Tests" },
  "type:security": { color: "b60205", description: "Security" },
  "type:question": { color: "d876e3", description: "A question" },
  "priority:P0": { color: "b60205", description: "Drop everything" },
  "priority:P1": { color: "d93f0b", description: "Next up" },
  "priority:P2": { color: "fbca04", description: "Normal" },
  "priority:P3": { color: "0e8a16", description: "When there is time" },
  "state:implementing": { color: "1d76db", description: "Being worked on" },
  "state:done": { color: "0e8a16", description: "Done" },
};
