import type { CheckVerdict } from "./check-verdict.js";

export const CONVENTIONAL_TYPES = ["feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert"] as const;

// `type(scope)!: subject` (conventionalcommits.org 1.0.0). The type is matched without
// regard to case, as the spec's rule 15 says; the scope is any text without parentheses;
// the subject must start with a non-space character after exactly ": ".
const CONVENTIONAL = new RegExp(`^(?:${CONVENTIONAL_TYPES.join("|")})(?:\\([^()\\r\\n]+\\))?!?: \\S`, "i");

// The title GitHub gives a revert PR it creates: `Revert "feat: add x"`.
const GITHUB_REVERT = /^Revert ".+"$/;

/**
 * Whether a PR title follows Conventional Commits (the merge commit of a squash merge
 * takes the PR title, so this is what lands in the history).
 *
 * @example isConventionalTitle("feat(api)!: drop v1") // true
 */
export function isConventionalTitle(title: string): boolean {
  const t = title.trim();
  return CONVENTIONAL.test(t) || GITHUB_REVERT.test(t);
}

/** @example checkTitle("Fix stuff").level // "warning" */
export function checkTitle(title: string): CheckVerdict {
  const base = { id: "title", title: "Conventional title" };
  if (isConventionalTitle(title)) return { ...base, level: "pass", summary: "follows Conventional Commits", details: [] };
  return {
    ...base,
    level: "warning",
    summary: "not a Conventional Commits title",
    details: [`expected \`type(scope)!: subject\`, type one of ${CONVENTIONAL_TYPES.map((t) => `\`${t}\``).join(", ")}; e.g. \`fix(parser): handle empty input\``],
  };
}
