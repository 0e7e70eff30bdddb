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
// the line's first word, so a mention in a sentence or `/agents` is no command.
const COMMAND_LINE = /^[ \t]*\/agent(?:[ \t]+(.*))?$/i;
const FENCE = /^[ \t]*(`{3,}|~{3,})/;
const QUOTE = /^[ \t]*>/;

/**
 * The lines of a comment that may hold a command: every line outside code fences (``` or
 * ~~~) that is not quoted (`> …`, a reply quoting someone).
 *
 * @example [...commandLines("> /agent help\n/agent status")] // ["/agent status"]
 */
export function* commandLines(body: string | null | undefined): Generator<string> {
  if (!body) return;
  let fence: string | null = null;
  for (const line of body.split(/\r\n|\r|\n/)) {
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1]!;
      if (fence === null) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = null;
      continue;
    }
    if (fence !== null || QUOTE.test(line)) continue;
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
