import type { YAMLError } from "yaml";

/** The codes of a mapping whose second line the parser took as part of its first line's key. */
const NESTED_UNDER_VALUE = new Set(["BLOCK_AS_IMPLICIT_KEY", "MULTILINE_IMPLICIT_KEY"]);

/** The spaces a line starts with. */
const indentOf = (line: string): number => /^ */.exec(line)![0].length;

/**
 * One line saying what is wrong with a config file's YAML and where, the line and column
 * counted from 1 as an editor shows them. The parser's own position is kept but for
 * indentation, where it points away from the line to fix:
 * - a mapping or sequence item at the wrong column (BAD_INDENT) is reported at the start
 *   of its line's indentation, column 1: the item's first character is meant, and the
 *   column of the line above, to compare;
 * - a line indented deeper than a `key: value` line above it is reported at that value,
 *   as a key that would span two lines: the deeper line is meant.
 *
 * @example
 * const text = "a:\n  b: 1\n c: 2\n";
 * describeYamlError(parseDocument(text).errors[0], text)
 * // "All mapping items must start at the same column at line 3, column 2 (line 2 above it starts at column 3)"
 */
export function describeYamlError(error: YAMLError, text: string): string {
  // The parser's message is "WHAT at line L, column C:" and then a code frame.
  const what = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?\s*$/, "").replace(/:\s*$/, "");
  const at = error.linePos?.[0];
  if (at === undefined) return what;
  const lines = text.split("\n");
  const line = lines[at.line - 1] ?? "";
  const hasContent = (candidate: string) => candidate.trim() !== "" && !candidate.trim().startsWith("#");
  if (error.code === "BAD_INDENT" && line.trim() !== "" && at.col <= indentOf(line)) {
    // Which of the two is out of line only the user knows: name the column of the one above too.
    let previous = at.line - 2;
    while (previous >= 0 && !hasContent(lines[previous]!)) previous--;
    const above = previous !== -1 && indentOf(lines[previous]!) !== indentOf(line) ? ` (line ${previous + 1} above it starts at column ${indentOf(lines[previous]!) + 1})` : "";
    return `${what} at line ${at.line}, column ${indentOf(line) + 1}${above}`;
  }
  if (NESTED_UNDER_VALUE.has(error.code)) {
    const next = lines.findIndex((candidate, i) => i >= at.line && hasContent(candidate));
    if (next !== -1 && indentOf(lines[next]!) > indentOf(line)) {
      const deeper = next + 1;
      return `indented deeper than line ${at.line}, whose key already has a value, at line ${deeper}, column ${indentOf(lines[next]!) + 1}: line it up with the keys it belongs with (or, to put it under line ${at.line}'s key, remove that key's value)`;
    }
  }
  return `${what} at line ${at.line}, column ${at.col}`;
}
