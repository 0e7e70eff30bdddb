import path from "node:path";
import { Command, CommanderError } from "commander";
import { UsageError, toError } from "../errors.js";
import { terminalText } from "../present/terminal-text.js";
import { registerCheck } from "./check.js";
import { registerInit } from "./init.js";
import { ExitCode, printJson, processIo, type CliIo } from "./io.js";
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

export function createProgram(io: CliIo): Command {
  const program = new Command("switchyard")
    .description("Turns GitHub repository events into durable, retried agent runs.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    // Options after a subcommand are that subcommand's: `tasks show 7 --json` is show's --json.
    .enablePositionalOptions()
    // Every command takes --config; before the command name it means the same.
    .option("-c, --config <file>", "config file, for any command (the same as the command's own --config)")
    .hook("preAction", (root, command) => passConfigDown(root, command, io.cwd));
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
      command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
      configure(command.commands);
    }
  };
  configure(program.commands);
  return program;
}

const VERSION = "0.1.0";

type ConfigOption = { config?: string };

/**
 * Hands a `--config` given before the command name to the command, which reads only its
 * own: `switchyard --config x.yaml check` is `switchyard check --config x.yaml`. Given on
 * both sides, the two must name the same file, or which one applies would be a guess.
 */
function passConfigDown(root: Command, command: Command, cwd: string): void {
  const before = root.opts<ConfigOption>().config;
  if (before === undefined) return;
  if (!command.options.some((option) => option.attributeName() === "config")) throw new UsageError(`${command.name()} takes no --config`);
  const after = command.opts<ConfigOption>().config;
  if (after !== undefined && path.resolve(cwd, after) !== path.resolve(cwd, before)) {
    throw new UsageError(`--config names two files, ${before} before the command and ${after} after it: give one`);
  }
  command.setOptionValue("config", after ?? before);
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
  const program = createProgram(io);
  // `--json` promises one line on stdout: a command that fails prints {"ok":false,"error"} there too.
  const terminator = argv.indexOf("--");
  const json = argv.slice(0, terminator === -1 ? undefined : terminator).includes("--json");
  const failed = (message: string, code: number): number => {
    if (json) printJson(io, { ok: false, error: message });
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
      return thrown.exitCode === 0 ? 0 : failed(thrown.message.replace(/^error: /, ""), 2);
    }
    // One line, control characters escaped: a message may quote a payload, an agent or
    // GitHub, and under Actions a line of its own starting `::` would be a workflow command.
    if (thrown instanceof UsageError) {
      io.stderr(`switchyard: ${terminalText(thrown.message, { oneLine: true })}\n`);
      return failed(thrown.message, 2);
    }
    const error = toError(thrown);
    io.stderr(`switchyard: ${terminalText(error.message, { oneLine: true })}\n`);
    return failed(error.message, 1);
  }
}
