import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommands, type AgentCommand } from "../../src/commands/parse-commands.js";

/** The printer the parser lacks: one `/agent name args…` line per command. */
function print(commands: readonly AgentCommand[]): string {
  return commands.map((c) => ["/agent", c.name, ...c.args].join(" ")).join("\n");
}

// A word as a person types it: no whitespace of any kind (JavaScript's \s, Unicode spaces included).
const word = fc.string({ minLength: 1, maxLength: 12, unit: fc.oneof(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_./:=#@'\"`$;|&(){}<>*?!~"), fc.string({ minLength: 1, maxLength: 1, unit: "grapheme" })) })
  .filter((w) => /^\S+$/.test(w));
const command = fc.record({ name: word.map((w) => w.toLowerCase()).filter((w) => /^\S+$/.test(w)), args: fc.array(word, { maxLength: 5 }) });

/** What makes two commands the same request: the name and the arguments in order. */
const commandKey = (c: AgentCommand): string => [c.name, ...c.args].join(" ");

describe("parseCommands (property)", () => {
  it("never throws, on any string, and returns at most 10 commands of lower-case names and whitespace-free arguments", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.array(fc.oneof(fc.constantFrom("/agent", "/AGENT deploy", "> /agent x", "```", "~~~", "\r\n", "\n", "\r", " ", "\t"), fc.string()), { maxLength: 30 }).map((parts) => parts.join(""))), (body) => {
        const commands = parseCommands(body);
        expect(commands.length).toBeLessThanOrEqual(10);
        for (const c of commands) {
          expect(c.name).toBe(c.name.toLowerCase());
          expect(c.name).toMatch(/^\S+$/);
          for (const a of c.args) expect(a).toMatch(/^\S+$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips: parse(print(commands)) gives distinct commands back", () => {
    // The parser counts a command repeated with the same arguments once, so the round trip
    // holds for commands that differ; the repeat is its own property below.
    fc.assert(
      fc.property(fc.uniqueArray(command, { minLength: 1, maxLength: 10, selector: commandKey }), (commands) => {
        expect(parseCommands(print(commands))).toEqual(commands);
      }),
      { numRuns: 1000 },
    );
  });

  it("a command repeated with the same arguments counts once, where it first appears", () => {
    fc.assert(
      fc.property(fc.uniqueArray(command, { minLength: 1, maxLength: 5, selector: commandKey }), fc.nat(), (commands, pick) => {
        const repeated = commands[pick % commands.length]!;
        expect(parseCommands(print([...commands, repeated]))).toEqual(commands);
      }),
      { numRuns: 500 },
    );
  });

  it("a quoted or fenced command never counts, whatever it says", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 5 }), fc.constantFrom("```", "~~~", "````"), (commands, fence) => {
        const quoted = print(commands)
          .split("\n")
          .map((line) => `> ${line}`)
          .join("\n");
        expect(parseCommands(quoted)).toEqual([]);
        expect(parseCommands(`${fence}\n${print(commands)}\n${fence}`)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
