import type { Command } from "commander";
import type { CliIo } from "./io.js";
import { runServe } from "./serve.js";

/**
 * `switchyard work`: `serve --role worker` — the worker and the admin listener, no webhook
 * listener. With PostgreSQL, any number of these run beside the ingest processes.
 *
 * @example switchyard work --config switchyard.config.yaml
 */
export function registerWork(program: Command, io: CliIo): void {
  program
    .command("work")
    .description("run the worker and the admin listener, no webhook listener: serve --role worker")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: { config?: string }) => runServe({ config: options.config, role: "worker" }, io));
}
