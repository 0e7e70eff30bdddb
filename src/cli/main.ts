import path from "node:path";
import { Command, CommanderError } from "commander";
import { UsageError, toError } from "../errors.js";
import { terminalText } from "../present/terminal-text.js";
import { damagedDatabase } from "../store/damaged-database.js";
import { registerCheck } from "./check.js";
import { registerInit } from "./init.js";
import { ExitCode, jsonPrinted, printJson, processIo, type CliIo } from "./io.js";
import { registerRoute } from "./route.js";
import { registerSend } from "./send.js";
import { registerServe } from "./serve.js";
import { registerWork } from "./work.js";
import { registerDeliveries } from "./deliveries.js";
import { registerReplay } from "./replay.js";
import { registerTasks } from "./tasks.js";
import { registerKpi } from "./kpi.js";
import { registerRedeliver } from "./redeliver.js";
import { registerPrune } from "./prune.js";

export function createProgram(io: CliIo, refusal: Refusal = { line: null }): Command {
  const program = new Command("switchyard")
    .description("Turns GitHub repository events into durable, retried agent runs.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput(oneLineErrors(io, "switchyard --help lists the commands", refusal))
    // Options after a subcommand are that subcommand's: `tasks show 7 --json` is show's --json.
    .enablePositionalOptions()
    // Every command takes --config; before the command name it means the same.
    .option("-c, --config <file>", "config file, for any command (the same as the command's own --config)")
    // So do `deliveries`' and `tasks`' --json and --config before `show` (passOptionsDown).
    .hook("preAction", (_root, command) => passOptionsDown(command, io.cwd));
  registerServe(program, io);
  registerWork(program, io);
  registerRoute(program, io);
  registerSend(program, io);
  registerDeliveries(program, io);
  registerTasks(program, io);
  registerReplay(program, io);
  registerKpi(program, io);
  registerRedeliver(program, io);
  registerPrune(program, io);
  registerCheck(program, io);
  registerInit(program, io);
  const configure = (commands: readonly Command[]): void => {
    for (const command of commands) {
      command.exitOverride().configureOutput(oneLineErrors(io, `switchyard ${commandPath(command)} --help lists what it takes`, refusal));
      configure(command.commands);
    }
  };
  configure(program.commands);
  return program;
}

const VERSION = "0.1.0";

/**
 * Commander's output, with its refusals ("unknown option '--status'", and its "(Did you mean
 * --limit?)" on a line of its own) as one stderr line that also says where to look: every
 * usage error is one line.
 */
function oneLineErrors(io: CliIo, where: string, refusal: Refusal) {
  return {
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: (text: string, write: (text: string) => void) => {
      refusal.line = `${text.trim().replace(/\s*\n\s*/g, " ")} (${where})`;
      write(`${refusal.line}\n`);
    },
  };
}

/** The last refusal Commander wrote to stderr, as written: `--json`'s error line repeats it. */
export interface Refusal {
  line: string | null;
}

/**
 * Hands the options given before a command's name to the command, which reads only its
 * own: `switchyard --config x.yaml check` is `switchyard check --config x.yaml`, and
 * `switchyard tasks -c x.yaml --json show 7` is `switchyard tasks show 7 -c x.yaml --json`.
 * Commander keeps an option with the command it follows, so without this it would be
 * dropped without a word. An option the command does not take (`deliveries --status failed
 * show ID`: show prints one delivery, it filters nothing) is refused, not ignored; given on
 * both sides, the two must agree, or which one applies would be a guess.
 */
function passOptionsDown(command: Command, cwd: string): void {
  // The nearest first: `tasks -c a.yaml show` is compared with show's own before the root's.
  for (let parent = command.parent; parent !== null; parent = parent.parent) {
    for (const option of parent.options) {
      const key = option.attributeName();
      const source = parent.getOptionValueSource(key);
      if (source === undefined || source === "default") continue;
      passOptionDown(parent, command, option.long ?? option.flags, key, cwd);
    }
  }
}

function passOptionDown(parent: Command, command: Command, flag: string, key: string, cwd: string): void {
  const before: unknown = parent.getOptionValue(key);
  if (!command.options.some((option) => option.attributeName() === key)) {
    const owner = parent.parent === null ? "" : `: it is an option of ${parent.name()}`;
    throw new UsageError(`${commandPath(command)} takes no ${flag}${owner}`);
  }
  const after: unknown = command.getOptionValue(key);
  if (after !== undefined && !sameValue(key, before, after, cwd)) {
    if (key === "config") throw new UsageError(`--config names two files, ${String(before)} before the command and ${String(after)} after it: give one`);
    throw new UsageError(`${flag} is given twice, ${String(before)} before ${command.name()} and ${String(after)} after it: give one`);
  }
  command.setOptionValueWithSource(key, after ?? before, "cli");
}

/** Two spellings of one file (`./x.yaml`, `x.yaml`) are the same --config. */
function sameValue(key: string, a: unknown, b: unknown, cwd: string): boolean {
  if (key === "config" && typeof a === "string" && typeof b === "string") return path.resolve(cwd, a) === path.resolve(cwd, b);
  return a === b;
}

/** `deliveries show`: the command as typed, without the program's name. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Runs the CLI and returns its exit code: 0 ok, 1 work failed, 2 bad usage, config or
 * input (with one line on stderr saying what to fix).
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  if (argv.length === 0) {
    io.stderr("switchyard: no command given: try switchyard serve, or switchyard --help for all commands\n");
    return 2;
  }
  const refusal: Refusal = { line: null };
  const program = createProgram(io, refusal);
  // `--json` promises one line on stdout: a command that fails prints {"ok":false,"error"} there too.
  const terminator = argv.indexOf("--");
  const json = argv.slice(0, terminator === -1 ? undefined : terminator).includes("--json");
  const failed = (message: string, code: number): number => {
    if (json && !jsonPrinted(io)) printJson(io, { ok: false, error: message });
    return code;
  };
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (thrown) {
    // The command has said what it had to (its own output, with its exit code).
    if (thrown instanceof ExitCode) return thrown.code;
    if (thrown instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0. Commander wrote the error to stderr.
      return thrown.exitCode === 0 ? 0 : failed((refusal.line ?? thrown.message).replace(/^error: /, ""), 2);
    }
    // One line, control characters escaped: a message may quote a payload, an agent or
    // GitHub, and under Actions a line of its own starting `::` would be a workflow command.
    if (thrown instanceof UsageError) {
      io.stderr(`switchyard: ${terminalText(thrown.message, { oneLine: true })}\n`);
      return failed(thrown.message, 2);
    }
    const error = toError(thrown);
    // Exit 2, not 1: a process manager that restarts on failure would only meet it again.
    const damaged = damagedDatabase(error);
    if (damaged !== null) {
      io.stderr(`switchyard: ${terminalText(damaged, { oneLine: true })}\n`);
      return failed(damaged, 2);
    }
    io.stderr(`switchyard: ${terminalText(error.message, { oneLine: true })}\n`);
    return failed(error.message, 1);
  }
}
