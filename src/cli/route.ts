import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import { readActionsEnv } from "../config/read-env.js";
import { UsageError } from "../errors.js";
import type { EventPayload } from "../events/event-payload.js";
import { normalizeEvent } from "../events/normalize-event.js";
import { readEventFile } from "../events/read-event-file.js";
import { decide, type RoutingDecision } from "../routing/decide.js";
import { formatExplanation } from "../routing/describe-rules.js";
import { printJson, type CliIo } from "./io.js";

interface RouteOptions {
  event?: string;
  payload?: string;
  dryRun?: boolean;
  json?: boolean;
  explain?: boolean;
  config?: string;
}

/** The one-line JSON contract of `route --json` (DESIGN.md section 3). */
export function routeJson(event: EventPayload, decision: RoutingDecision, delivery: string | null) {
  return {
    event: event.type,
    action: event.action,
    delivery,
    matched: decision.matched,
    decision: decision.decision,
    decisions: decision.decisions,
    command: decision.matched ? (event.commands[0] ?? null) : null,
    commands: decision.matched ? event.commands : [],
    ...(decision.ignored ? { ignored: decision.ignored } : {}),
  };
}

export function registerRoute(program: Command, io: CliIo): void {
  program
    .command("route")
    .description("Actions mode: decide (and run) the agents for the event of this GitHub Actions job")
    .option("--event <name>", "event name (default: $GITHUB_EVENT_NAME)")
    .option("--payload <file>", "event payload JSON file (default: $GITHUB_EVENT_PATH)")
    .option("--dry-run", "decide only, run nothing")
    .option("--json", "print the decision as one line of JSON on stdout")
    .option("--explain", "show every rule's verdict: which matched, which won, why the others did not")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action((options: RouteOptions) => runRoute(options, io));
}

function runRoute(options: RouteOptions, io: CliIo): void {
  const actionsEnv = readActionsEnv(io.env);
  const eventName = options.event?.trim() || actionsEnv.eventName;
  if (!eventName) throw new UsageError("no event name: pass --event NAME or set GITHUB_EVENT_NAME");
  const payloadFile = options.payload || actionsEnv.eventPath;
  if (!payloadFile) throw new UsageError("no payload: pass --payload FILE or set GITHUB_EVENT_PATH");

  const { config, rules } = loadConfig({ file: options.config, cwd: io.cwd, env: io.env });
  const event = normalizeEvent(eventName, readEventFile(payloadFile));
  const decision = decide(event, rules, config.routing);

  if (options.json) {
    printJson(io, { ...routeJson(event, decision, null), ...(options.explain ? { explain: decision.explanation } : {}) });
  } else {
    io.stdout(describeDecision(event, decision) + "\n");
    if (options.explain) io.stdout("\n" + formatExplanation(decision.explanation) + "\n");
  }
  if (!options.dryRun && decision.matched) {
    io.stderr("switchyard: running agents in Actions mode is not available yet (it arrives with the worker); nothing was run. Use --dry-run to decide only.\n");
  }
}

function describeDecision(event: EventPayload, decision: RoutingDecision): string {
  const name = event.action ? `${event.type}.${event.action}` : event.type;
  if (decision.ignored) return `${name}: ignored (${decision.ignored}): switchyard never acts on its own or a bot's comments and labels`;
  if (!decision.matched) return `${name}: no rule matched; nothing to run`;
  return decision.decisions
    .map((d) => `${name} → ${d.agent} (${d.priority}): ${d.action}  [rule ${d.rule}]`)
    .concat(event.commands.map((c) => `  command: ${[c.name, ...c.args].join(" ")}`))
    .join("\n");
}
