/** Where a command writes and what it reads from its surroundings; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): CliIo {
  // `switchyard tasks | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** `--json` output: exactly one line of compact JSON on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(JSON.stringify(value) + "\n");
  printed.add(io);
}

// Whose one `--json` line is out: a command that fails after printing it adds no second.
const printed = new WeakSet<CliIo>();

/** Whether `printJson` already wrote this run's line. */
export function jsonPrinted(io: CliIo): boolean {
  return printed.has(io);
}

/** Thrown by a command to end with an exit code after it has printed what it had to say. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
