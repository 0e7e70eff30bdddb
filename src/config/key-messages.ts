/**
 * Messages for config values of the wrong shape that say what the key is and what to write,
 * where zod would say "Invalid input: expected string, received undefined": the path names
 * the key, but not what belongs there.
 */

/** The part of a zod issue these messages read. */
interface RawIssue {
  code?: string;
  input?: unknown;
}

/**
 * A value as an error names it: quoted text, a number, a list, empty (null).
 *
 * @example kindOf(5) // "a number (5)"
 */
export function kindOf(input: unknown): string {
  if (input === null) return "empty (null)";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "string") return JSON.stringify(input);
  if (typeof input === "object") return "a mapping";
  return `a ${typeof input} (${String(input)})`;
}

/**
 * The `error` of a required key's schema: `missing: write WHAT` when the key is absent, and
 * `is …: write WHAT` for a value of another type, outside an enum or of no union member. Other issues (a
 * strict object's unknown keys) keep their own messages, which formatIssues reads.
 *
 * @example z.string(requiredKey("the rule's action, …")) // missing → "missing: write the rule's action, …"
 */
export function requiredKey(what: string): { error: (issue: RawIssue) => string | undefined } {
  return {
    error: (issue) => {
      if (issue.code !== "invalid_type" && issue.code !== "invalid_value" && issue.code !== "invalid_union") return undefined;
      return issue.input === undefined ? `missing: write ${what}` : `is ${kindOf(issue.input)}: write ${what}`;
    },
  };
}

/** A YAML flow list of `items`, each quoted as JSON (which YAML reads): `["./x.sh", "--fast"]`. */
function flowList(items: readonly string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(", ")}]`;
}

/**
 * The `error` of an argv key (`exec`, `workspace.run`) written as one string: switchyard runs
 * no shell, so the program and each argument are items of a list; the suggestion is the
 * string split at spaces (quotes in it are the user's to rework).
 *
 * @example argvKey("exec", "[./agents/review.sh, --fast]") // "./x.sh --fast" → 'exec is an argv list, not a shell string …: write exec: ["./x.sh", "--fast"]'
 */
export function argvKey(key: string, example: string): { error: (issue: RawIssue) => string | undefined } {
  return {
    error: (issue) => {
      if (issue.code !== "invalid_type") return undefined;
      const words = typeof issue.input === "string" ? issue.input.trim().split(/\s+/).filter((word) => word !== "") : [];
      const write = words.length > 0 ? flowList(words) : example;
      return `${key} is an argv list, not ${typeof issue.input === "string" ? "a shell string (no shell reads it)" : kindOf(issue.input)}: write ${key}: ${write}`;
    },
  };
}

/**
 * The `error` of a list key (`env`, `labels`) written as one string: the suggestion is the
 * list of its words (split at spaces or commas).
 *
 * @example listKey("env", "variable names", "[OPENAI_API_KEY]") // "A, B" → 'env is a list of variable names: write env: ["A", "B"]'
 */
export function listKey(key: string, of: string, example: string): { error: (issue: RawIssue) => string | undefined } {
  return {
    error: (issue) => {
      if (issue.code !== "invalid_type") return undefined;
      const words = typeof issue.input === "string" ? issue.input.split(/[\s,]+/).filter((word) => word !== "") : [];
      return `${key} is a list of ${of}, not ${kindOf(issue.input)}: write ${key}: ${words.length > 0 ? flowList(words) : example}`;
    },
  };
}
