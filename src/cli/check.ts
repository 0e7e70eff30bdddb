import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import { formatRulesTable } from "../routing/describe-rules.js";
import { printJson, type CliIo } from "./io.js";
import { assertServable } from "./serve.js";
import { readLogLevel } from "../config/read-env.js";

export function registerCheck(program: Command, io: CliIo): void {
  program
    .command("check")
    .description("validate the config (file + environment) and print the compiled rules table")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .option("--json", "print the compiled rules as one line of JSON")
    .action((options: { config?: string; json?: boolean }) => {
      const { config, rules, source } = loadConfig({ file: options.config, cwd: io.cwd, env: io.env });
      // What serve would refuse: checked here too, so "config OK" means serve starts.
      assertServable(config);
      readLogLevel(io.env);
      if (options.json) {
        const table = rules.map(({ id, when, agent, priority, action, continue: cont, origin }) => ({ id, when, agent, priority, action, continue: cont, origin }));
        printJson(io, { ok: true, source, rules: table });
        return;
      }
      io.stdout(`config OK (${source ?? "no config file: defaults and environment"})\n\n`);
      io.stdout(formatRulesTable(rules, config.routing.executeLabel) + "\n");
    });
}
