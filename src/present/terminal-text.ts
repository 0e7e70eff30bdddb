// C0 but \t (09) and \n (0a); DEL and C1 (7f–9f); bidi embeddings/overrides and isolates.
// Matching control characters is the point here.
/* eslint-disable no-control-regex */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const ONE_LINE_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/**
 * Text someone else wrote (an agent's output and errors, issue titles and comments, header
 * values), made safe to print to a terminal: the characters a terminal or a text renderer
 * would act on instead of showing are replaced by their code written out as text, `\u` and
 * four lowercase hex digits. That covers the C0 controls but line feed and tab (ESC starts
 * the escape sequences that recolour, move the cursor, retitle the window or write to the
 * clipboard), DEL, the C1 controls U+0080–U+009F (U+009B is an ESC-[ of its own) and the
 * Unicode bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069, which
 * reorder what is shown ("Trojan Source"). A CR before an LF is a Windows line end and is
 * dropped; any other CR, which would let a line overwrite itself, is escaped. `oneLine`
 * escapes line feeds and tabs too, for a table cell or a line that must stay one line.
 *
 * Everything else, other scripts and emoji included, is left as it is. A text that already
 * holds `\u001b` as six characters prints the same as an escaped ESC: this is for reading,
 * not a reversible encoding (`--json` prints the exact text).
 *
 * @example terminalText("\x1b[31mRED\x1b[0m") // "\\u001b[31mRED\\u001b[0m"
 * @example terminalText("a\r\nb\tc") // "a\nb\tc"
 * @example terminalText("a\nb", { oneLine: true }) // "a\\u000ab"
 */
export function terminalText(text: string, options: { oneLine?: boolean } = {}): string {
  const unsafe = options.oneLine ? ONE_LINE_UNSAFE : UNSAFE;
  return text.replace(/\r\n/g, "\n").replace(unsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
