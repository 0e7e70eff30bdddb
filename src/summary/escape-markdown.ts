/**
 * Text from an event (titles, comment bodies, branch names, an agent's error) shown in a
 * GitHub job summary, where Markdown and a subset of HTML are rendered: whoever opened the
 * issue chose that text, so it must read as text, never as a link, an image, a mention, a
 * table cell break or markup.
 */

// The ASCII punctuation that can start markup in GitHub's Markdown (emphasis, code, links,
// images, headings, lists, tables, strikethrough, mentions, autolinks, emoji, math); `<`,
// `>` and `&` become HTML entities below.
const MARKDOWN_PUNCTUATION = /[\\`*_{}[\]()#+\-.!|~@:$]/g;
const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/**
 * One line of inline text, safe in a paragraph or a table cell: HTML special characters as
 * entities, Markdown punctuation backslash-escaped, line breaks as spaces.
 *
 * @example escapeMarkdown("fix | <b>bold</b> @octocat") // "fix \\| &lt;b&gt;bold&lt;/b&gt; \\@octocat"
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(MARKDOWN_PUNCTUATION, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!);
}

/**
 * A fenced code block holding `text` verbatim: the fence is longer than any run of
 * backticks inside, so the text cannot close it and escape into Markdown.
 *
 * @example codeBlock("a ``` b", "json") // "````json\na ``` b\n````"
 */
export function codeBlock(text: string, language = ""): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}
