import { describe, expect, it } from "vitest";
import { commandWordOf, parseCommands } from "../../src/commands/parse-commands.js";

describe("parseCommands", () => {
  it.each([
    ["/agent analyze", [{ name: "analyze", args: [] }]],
    ["  /agent deploy staging --now", [{ name: "deploy", args: ["staging", "--now"] }]],
    ["/agent", [{ name: "help", args: [] }]],
    ["/agent ANALYZE", [{ name: "analyze", args: [] }]],
    ["/agents analyze", []],
    ["please run /agent analyze", []],
    ["> /agent execute", []],
    ["```\n/agent execute\n```", []],
    ["~~~\n/agent execute\n~~~\n/agent status", [{ name: "status", args: [] }]],
    ["/agent analyze\r\n/agent status\r\n", [{ name: "analyze", args: [] }, { name: "status", args: [] }]],
    // The same command twice is one request; other arguments make another.
    ["/agent execute\n/agent Execute\n/agent deploy a\n/agent deploy b", [{ name: "execute", args: [] }, { name: "deploy", args: ["a"] }, { name: "deploy", args: ["b"] }]],
    ["", []],
    ["/agent frobnicate x", [{ name: "frobnicate", args: ["x"] }]],
    // What Markdown shows as code or hides, or as part of a quote, holds no command.
    ["    /agent deploy", []],
    ["\t/agent deploy", []],
    ["1. ```\n   /agent deploy\n   ```", []],
    ["```\n```js\n/agent deploy\n```\n/agent status", [{ name: "status", args: [] }]],
    ["~~~\n~~~~ foo\n/agent deploy\n~~~", []],
    ["<!--\n/agent execute\n-->\n/agent status", [{ name: "status", args: [] }]],
    ["note <!-- hidden --> here\n/agent status", [{ name: "status", args: [] }]],
    ["<pre>\n/agent rollback\n</pre>", []],
    ["> quoted start\n/agent deploy", []],
    ["> quoted\n\n/agent status", [{ name: "status", args: [] }]],
  ])("%j", (body, expected) => {
    expect(parseCommands(body)).toEqual(expected);
  });
});

describe("commandWordOf", () => {
  it.each([
    ["fix", "fix"],
    ["Fix", "fix"],
    ["fix it", "fix"],
    // `/agent /agent fix` is the command /agent: never /agent fix.
    ["/agent fix", "/agent"],
    ["/fix", "/fix"],
  ])("%j is read as %j", (word, read) => {
    expect(commandWordOf(word)).toBe(read);
  });
});
