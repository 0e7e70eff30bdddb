import { terminalText } from "../present/terminal-text.js";

/**
 * Text from an event (titles, comment bodies, branch names, an agent's error) shown in a
 * GitHub job summary, where Markdown and a subset of HTML are rendered: whoever opened the
 * issue chose that text, so it must read as text, never as a link, an image, a mention, a
 * table cell break or markup. Control characters and bidi controls are written out as
 * `\u001b`-style text first (terminalText), in code blocks too: they would otherwise
 * reach the page (and whoever copies from it) as they are, or reorder what it shows.
 */

// The ASCII punctuation that can start markup in GitHub's Markdown (emphasis, code, links,
// images, headings, lists, tables, strikethrough, autolinks, emoji, math); `<`, `>` and
// `&` become HTML entities below.
const MARKDOWN_PUNCTUATION = /[\\`*_{}[\]()+\-.!|~:$]/g;
const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
// GitHub finds mentions (`@team`) and references (`#12`, `owner/repo#12`) in the rendered
// text, after Markdown: a backslash escape is gone by then and they would still link and
// notify. A zero-width space after the sign (as an entity) breaks them and shows nothing;
// `#` cannot start a heading then either.
const REFERENCE_SIGNS = /[@#]/g;

/**
 * One line of inline text, safe in a paragraph or a table cell: control characters written
 * out, HTML special characters as entities, Markdown punctuation backslash-escaped, `@` and
 * `#` followed by a zero-width space, line breaks as spaces.
 *
 * @example escapeMarkdown("fix | <b>bold</b> @octocat") // "fix \\| &lt;b&gt;bold&lt;/b&gt; @&#8203;octocat"
 */
export function escapeMarkdown(text: string): string {
  return terminalText(text)
    .replace(/\n+/g, " ")
    .replace(MARKDOWN_PUNCTUATION, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!)
    .replace(REFERENCE_SIGNS, (c) => `${c}&#8203;`);
}

/**
 * A fenced code block holding `text` verbatim but for control characters, written out: the
 * fence is longer than any run of backticks inside, so the text cannot close it and escape
 * into Markdown.
 *
 * @example codeBlock("a ``` b", "json") // "````json\na ``` b\n````"
 */
export function codeBlock(raw: string, language = ""): string {
  const text = terminalText(raw);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

/**
 * An inline code span holding `text` verbatim but for control characters, written out, and
 * line breaks, as spaces: the run of backticks around it is longer than any run inside, so
 * the text cannot close it and escape into Markdown (mentions, links, images, HTML), and the
 * spaces inside it keep a backtick at either end from joining the fence.
 *
 * @example codeSpan("state:done") // "` state:done `"
 * @example codeSpan("a`b") // "`` a`b ``"
 */
export function codeSpan(raw: string): string {
  const text = terminalText(raw).replace(/\n+/g, " ");
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks} ${text} ${ticks}`;
}

/**
 * Someone else's text of several lines (a discussion's body), quoted so it reads as text:
 * each line escaped as escapeMarkdown does, behind `> `, so line breaks and blank lines stay
 * while nothing in it renders as a mention, a reference, a link, an image or HTML, and a
 * hidden `<!-- switchyard:… -->` marker in it shows as text instead of being one. Leading
 * spaces (a tab as four) become no-break spaces: four of them would otherwise make the line
 * a code block, where the entities would show as written.
 *
 * @example quoteText("Hi @team\n\n    <b>x</b>") // "> Hi @&#8203;team\n>\n> &#160;&#160;&#160;&#160;&lt;b&gt;x&lt;/b&gt;"
 */
export function quoteText(raw: string): string {
  return raw.replace(/\r\n/g, "\n").split("\n").map(quoteLine).join("\n");
}

function quoteLine(line: string): string {
  const indent = /^[ \t]*/.exec(line)![0];
  const text = line.slice(indent.length);
  if (text === "") return ">";
  return `> ${"&#160;".repeat(indent.replace(/\t/g, "    ").length)}${escapeMarkdown(text)}`;
}

/**
 * A code span for a table cell: GitHub splits a row at every `|`, inside code spans too, so
 * each is escaped (`\|` shows as `|` there).
 *
 * @example cellCode("/^(fix|patch)$/") // "` /^(fix\|patch)$/ `"
 */
export function cellCode(raw: string): string {
  return codeSpan(raw).replace(/\|/g, "\\|");
}

// A plain http(s) address: nothing in it can end a Markdown link's target or open markup.
const PLAIN_URL = /^https?:\/\/[^\s()<>[\]"'`\\|]+$/;

/**
 * `text` as a Markdown link to `url` when the address is a plain http(s) one, else `text`
 * alone: an address from a payload must not close the link and publish what follows.
 *
 * @example linkIfPlain("#7", "https://github.com/o/r/discussions/7") // "[#7](https://github.com/o/r/discussions/7)"
 * @example linkIfPlain("#7", "https://x.example/a) ![i](https://x.example/i.png") // "#7"
 */
export function linkIfPlain(text: string, url: string | null | undefined): string {
  return url && PLAIN_URL.test(url) ? `[${text}](${url})` : text;
}
