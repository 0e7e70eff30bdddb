/** A command from a comment: `/agent deploy staging` → `{name: "deploy", args: ["staging"]}`. */
export interface AgentCommand {
  name: string;
  args: string[];
}

export const KNOWN_COMMANDS = ["analyze", "execute", "review", "status", "deploy", "rollback", "help"] as const;
export type KnownCommand = (typeof KNOWN_COMMANDS)[number];

export function isKnownCommand(name: string): name is KnownCommand {
  return (KNOWN_COMMANDS as readonly string[]).includes(name);
}

/** The hidden marker every comment switchyard writes carries; such comments are never parsed. */
export const OWN_MARKER = "<!-- switchyard -->";

/** More commands than this in one comment are ignored: nobody types twenty by hand. */
const MAX_COMMANDS = 10;

// Compiled once, anchored at the line start like Prow's plugin regexes: `/agent` must be
// the line's first word, so a mention in a sentence or `/agents` is no command. At most three
// spaces before it: four (or a tab) make the line indented code in Markdown.
const COMMAND_LINE = /^ {0,3}\/agent(?:[ \t]+(.*))?$/i;
// A fence may open a list item (`1. ```` or `- ~~~`).
const FENCE = /^[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*(`{3,}|~{3,})/;
// A closing fence carries nothing after its marker (a line like ```js opens, never closes).
const CLOSING_FENCE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;
const QUOTE = /^[ \t]*>/;
// HTML blocks whose lines a reader never sees as text: a comment, and preformatted text.
const HTML_OPEN = [
  { open: /<!--/, close: /-->/ },
  { open: /^[ \t]*<pre[\s>]/i, close: /<\/pre>/i },
] as const;

/**
 * The lines of a comment that may hold a command: every line a reader sees as text of the
 * commenter's own. Not the lines of code fences (``` or ~~~, closed only by a bare fence of
 * the same kind at least as long), of HTML comments or `<pre>` blocks, nor quoted lines
 * (`> …`, a reply quoting someone) and the lines that continue a quote up to a blank line.
 *
 * @example [...commandLines("> /agent help\n/agent status")] // []
 * @example [...commandLines("> /agent help\n\n/agent status")] // ["", "/agent status"]
 */
export function* commandLines(body: string | null | undefined): Generator<string> {
  if (!body) return;
  let fence: string | null = null;
  let html: (typeof HTML_OPEN)[number] | null = null;
  let quoted = false;
  for (const line of body.split(/\r\n|\r|\n/)) {
    if (html !== null) {
      if (html.close.test(line)) html = null;
      continue;
    }
    if (fence !== null) {
      const closing = CLOSING_FENCE.exec(line)?.[1];
      if (closing !== undefined && closing[0] === fence[0] && closing.length >= fence.length) fence = null;
      continue;
    }
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      fence = fenceMatch[1]!;
      continue;
    }
    const opened = HTML_OPEN.find((block) => block.open.test(line));
    if (opened !== undefined) {
      // Closed on the same line (after its opening), the block hides only this line.
      const after = line.slice(line.search(opened.open) + 1);
      if (!opened.close.test(after)) html = opened;
      continue;
    }
    if (line.trim() === "") quoted = false;
    else if (QUOTE.test(line)) quoted = true;
    if (quoted) continue;
    yield line;
  }
}

/**
 * Parses the `/agent` commands of a comment body, in order. Lines inside code fences and
 * quoted lines (`> /agent …`, a reply quoting someone) never count; a bare `/agent` means
 * `help`. The command word is lower-cased; unknown commands are returned as they are; a
 * command repeated with the same arguments counts once.
 *
 * @example parseCommands("LGTM\n/agent deploy staging") // [{name: "deploy", args: ["staging"]}]
 */
export function parseCommands(body: string | null | undefined): AgentCommand[] {
  const commands: AgentCommand[] = [];
  for (const line of commandLines(body)) {
    const match = COMMAND_LINE.exec(line);
    if (!match) continue;
    const words = (match[1] ?? "").trim().split(/\s+/).filter((w) => w !== "");
    const [name = "help", ...args] = words;
    // The same command twice in one comment is one request: one run, one reply.
    if (commands.some((c) => c.name === name.toLowerCase() && c.args.join(" ") === args.join(" "))) continue;
    commands.push({ name: name.toLowerCase(), args });
    if (commands.length === MAX_COMMANDS) break;
  }
  return commands;
}

/**
 * The command word a comment `/agent <word>` yields, as parseCommands reads it: the first
 * whitespace-separated word, lower-cased. A rule's `commentCommand` word this changes is one
 * no comment can ever carry, so `check` derives its warnings from here rather than from a
 * copy of the parser's rules.
 *
 * @example commandWordOf("Fix") // "fix"
 * @example commandWordOf("fix it") // "fix"
 */
export function commandWordOf(word: string): string {
  return parseCommands(`/agent ${word}`)[0]?.name ?? "help";
}
