import { constants } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { appendJobSummaryOrWarn, writeStepOutputs } from "../summary/append-job-summary.js";
import { errorAnnotation, warningAnnotation } from "../summary/error-annotation.js";
import { afterTaskNotes } from "../queue/after-task-error.js";
import { renderJobSummary } from "../summary/render-job-summary.js";
import { EVENTS_DOC, webhookEventOf, webhookEventProblem } from "../config/check-names.js";
import { loadConfig } from "../config/load-config.js";
import { readActionsEnv, readLogLevel } from "../config/read-env.js";
import { didYouMean } from "../config/suggest-name.js";
import { WEBHOOK_EVENT_ACTIONS } from "../config/webhook-events.generated.js";
import { UsageError } from "../errors.js";
import type { EventPayload } from "../events/event-payload.js";
import { foreignEventOf, missingEventKeys } from "../events/check-event-shape.js";
import { normalizeEvent } from "../events/normalize-event.js";
import { readEventFile } from "../events/read-event-file.js";
import { ACTIONS_EVENTS } from "../init/derive-triggers.js";
import type { RoutingDecision } from "../routing/decide.js";
import { planTasks } from "../routing/plan-tasks.js";
import { formatExplanation } from "../routing/describe-rules.js";
import { terminalText } from "../present/terminal-text.js";
import { ExitCode, printJson, type CliIo } from "./io.js";
import { onStopSignals } from "./stop-signals.js";
import { taskOutcome } from "../app/task-outcome.js";
import { LATER_THAN_A_RUN_WAITS } from "../queue/worker.js";

/** What `route` takes from its flags (the GitHub Action passes its inputs as these). */
export interface RouteOptions {
  event?: string;
  payload?: string;
  dryRun?: boolean;
  json?: boolean;
  explain?: boolean;
  config?: string;
}

/** The one-line JSON contract of `route --json` (docs/cli.md). */
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
    .option("--event <name>", "GitHub webhook event name, e.g. issues (default: $GITHUB_EVENT_NAME)")
    .option("--payload <file>", "event payload JSON file (default: $GITHUB_EVENT_PATH)")
    .option("--dry-run", "decide only: print the decision and run no agent (github.dryRun and SWITCHYARD_DRY_RUN are another thing: agents run, their GitHub writes are recorded, not sent)")
    .option("--json", "print the decision as one line of JSON on stdout")
    .option("--explain", "show every rule's verdict: which matched, which won, why the others did not")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: RouteOptions) => runRoute(options, io));
}

/** What `--event` may name: GitHub's webhook events, and the Actions-only ones (pull_request_target). */
const KNOWN_EVENTS: readonly string[] = [...new Set([...Object.keys(WEBHOOK_EVENT_ACTIONS), ...ACTIONS_EVENTS])];

/**
 * Refuses an `--event` name that is neither a webhook event nor an Actions trigger: a typo
 * would match no rule and exit 0, as if the event had nothing to do. `$GITHUB_EVENT_NAME` is
 * not checked: GitHub sets it, and a workflow may run on events that have no webhook (`schedule`).
 */
function assertRoutableEvent(name: string): void {
  if (KNOWN_EVENTS.includes(name)) return;
  const [event, action] = name.split(".", 2);
  if (action !== undefined && event !== undefined && KNOWN_EVENTS.includes(event)) {
    throw new UsageError(`event "${name}" names an action as well: give the event alone, --event ${event} (the action is the payload's)`);
  }
  throw new UsageError(`event "${name}" is not a GitHub webhook event:${didYouMean(name, KNOWN_EVENTS) || ` see ${EVENTS_DOC}`}`);
}

/**
 * Refuses an event name GitHub never sends as a webhook (`deliveries --event`, `send
 * --payload`): no delivery of it is ever stored, nor would a server route one. Actions-only
 * triggers (pull_request_target) are refused too, naming the event their payload is. The
 * admin API's `?event=` answers the same message with a 400.
 */
export function assertWebhookEvent(name: string): void {
  const problem = webhookEventProblem(name);
  if (problem !== null) throw new UsageError(problem);
}

/**
 * `switchyard route`, and the bundled GitHub Action (`src/action/`): decide the event of
 * this Actions job, run its tasks on the in-memory store (unless `dryRun`: decide only), and
 * write the job summary when `$GITHUB_STEP_SUMMARY` is set (a summary that cannot be written
 * is a warning, never the run's outcome). Throws ExitCode(1) when a task ended dead (with an
 * error annotation per task under Actions), UsageError for bad input.
 *
 * @example
 * await runRoute({ event: "issues", payload: "event.json", json: true }, processIo());
 */
export async function runRoute(options: RouteOptions, io: CliIo): Promise<void> {
  const actionsEnv = readActionsEnv(io.env);
  const typedEvent = options.event?.trim();
  if (typedEvent) assertRoutableEvent(typedEvent);
  const eventName = typedEvent || actionsEnv.eventName;
  if (!eventName) throw new UsageError("no event name: pass --event NAME or set GITHUB_EVENT_NAME");
  const payloadFile = options.payload || actionsEnv.eventPath;
  if (!payloadFile) throw new UsageError("no payload: pass --payload FILE or set GITHUB_EVENT_PATH");

  // A bad LOG_LEVEL is refused before anything is printed, not after the decision.
  const logLevel = readLogLevel(io.env);
  // --dry-run decides only and runs nothing, so it calls GitHub for nothing.
  const { config, rules, source } = loadConfig({ file: options.config, cwd: io.cwd, env: io.env, needsGitHub: options.dryRun !== true });
  // Relative to the command's working directory, like --config.
  const payload = readEventFile(path.resolve(io.cwd, payloadFile));
  const missing = missingEventKeys(eventName, payload);
  const article = /^[aeiou]/.test(eventName) ? "an" : "a";
  if (missing !== null) {
    throw new UsageError(`${payloadFile} is not ${article} ${eventName} payload: it has no ${missing.map((k) => `"${k}"`).join(" or ")} (check --event or GITHUB_EVENT_NAME against the payload)`);
  }
  const foreign = foreignEventOf(eventName, payload);
  if (foreign !== null) {
    throw new UsageError(
      `${payloadFile} is not ${article} ${eventName} payload: it has a "${foreign.key}", which ${eventName} payloads never have; it looks like ${foreign.event}'s (check --event or GITHUB_EVENT_NAME against the payload)`,
    );
  }
  // A pull_request_target workflow's payload is a pull_request event's: it routes, and its
  // agents run, as that event (rules name pull_request; GitHub never sends the other).
  const routedEvent = webhookEventOf(eventName);
  const event = normalizeEvent(routedEvent, payload);
  const { decision, tasks } = planTasks(event, rules, { ...config.routing, deployEnvironment: config.deploy.environment });
  const explain = options.explain ? { explain: decision.explanation } : {};

  if (options.dryRun || !decision.matched) {
    // Without --dry-run the line always carries `tasks`: none ran when nothing matched.
    const ran = options.dryRun ? {} : { tasks: [] };
    const result = { ...routeJson(event, decision, null), ...explain, ...ran };
    if (options.json) printJson(io, result);
    else printHuman(io, event, decision, options.explain);
    appendJobSummaryOrWarn(io, renderJobSummary({ event, decision, run: null, decideOnly: options.dryRun === true }));
    writeStepOutputs(io, stepOutputs(decision, result));
    return;
  }

  if (!options.json) printHuman(io, event, decision, options.explain);
  // The worker, agents and GitHub client load only when tasks run (not for --dry-run).
  const [{ runInline }, { createLogger }] = await Promise.all([import("../app/run-inline.js"), import("../observability/logger.js")]);
  const logger = createLogger(logLevel);
  // Which file decided, in the job's log: a config missing from the checkout reads as "defaults".
  logger.info({ config: source ?? "defaults" }, `config: ${source ?? "defaults (no switchyard.config.yaml)"}`);
  // A cancelled workflow run (or `timeout-minutes`) sends SIGINT, then SIGTERM, then SIGKILL:
  // the first ends the agents and the run still reports; a later one stops waiting for that.
  const stop = new AbortController();
  const stopListening = onStopSignals(io, {
    stop: (signal) => {
      io.stderr(`switchyard: ${signal}: cancelling the run: killing the running agents (their process groups), then reporting\n`);
      stop.abort(signal);
    },
    force: (signal) => {
      io.stderr(`switchyard: ${signal} again: exiting without waiting for the report\n`);
      // The exit hook of the exec executor kills what is left of the agents' process groups.
      process.exit(128 + (constants.signals[signal] ?? 0));
    },
  });
  const run = await runInline({
    config,
    event: routedEvent,
    action: event.action,
    repository: event.repository,
    installation: event.installationId,
    number: event.number,
    body: Buffer.from(JSON.stringify(payload)),
    tasks,
    delivery: actionsEnv.runId ? `actions-run-${actionsEnv.runId}` : undefined,
    logger,
    env: io.env,
    stop: stop.signal,
  }).finally(stopListening);
  const results = run.tasks.map((t) => ({ id: t.id, agent: t.agent, status: taskOutcome(t, run.cancelled), attempts: t.attempts, last_error: t.lastError }));
  const cancelled = run.cancelled ? { cancelled: run.cancelled } : {};
  const result = { ...routeJson(event, decision, run.delivery), ...explain, ...cancelled, tasks: results };
  writeStepOutputs(io, stepOutputs(decision, result));
  if (options.json) {
    printJson(io, result);
  } else {
    for (const t of results) io.stdout(`task ${t.id} ${t.agent}: ${t.status} after ${t.attempts} attempt(s)${t.last_error ? ` (${terminalText(t.last_error, { oneLine: true })})` : ""}\n`);
  }
  appendJobSummaryOrWarn(io, renderJobSummary({ event, decision, run }));
  // A routing comment GitHub refused (a job without `issues: write`) leaves the task's outcome as it is: a warning says so.
  if (io.env.GITHUB_ACTIONS === "true") {
    for (const t of run.tasks) for (const note of afterTaskNotes(t.attemptLog.at(-1)?.output ?? null)) io.stderr(warningAnnotation(`switchyard: after ${t.agent}`, note));
  }
  if (run.cancelled) {
    const unfinished = results.filter((t) => t.status === "cancelled");
    io.stderr(`switchyard: the run was cancelled (${run.cancelled}): ${unfinished.length} task(s) did not finish${unfinished.length > 0 ? ` (${unfinished.map((t) => t.agent).join(", ")})` : ""}; re-run the job to run them\n`);
    throw new ExitCode(128 + (constants.signals[run.cancelled as NodeJS.Signals] ?? 0));
  }
  const dead = results.filter((t) => t.status === "dead");
  if (dead.length > 0) {
    io.stderr(`switchyard: ${dead.length} task(s) failed: ${dead.map((t) => `${t.agent}: ${terminalText(deadReason(t.last_error, t.attempts), { oneLine: true })}`).join("; ")}\n`);
    // Under Actions the runner reads workflow commands from stderr too: one annotation per failed task.
    if (io.env.GITHUB_ACTIONS === "true") for (const t of dead) io.stderr(errorAnnotation(`switchyard: ${t.agent} failed`, `${t.last_error ?? "failed"}${jobTokenHint(t.last_error)}`));
    throw new ExitCode(1);
  }
}

/** The step's outputs: `matched`, `agents` (the agents of the rules that run, comma-separated) and `result`, route's `--json` line. */
function stepOutputs(decision: RoutingDecision, result: object): Record<string, string> {
  return { matched: String(decision.matched), agents: decision.decisions.map((d) => d.agent).join(","), result: JSON.stringify(result) };
}

/**
 * What a 403 "Resource not accessible by integration" means in a workflow run: the job's
 * GITHUB_TOKEN may not make that write — its `permissions:` lack it, or the run is for a pull
 * request from a fork, whose token is read-only whatever the workflow asks for.
 */
export function jobTokenHint(lastError: string | null): string {
  if (lastError && /HTTP 403 .*GitHub Actions is not permitted to create or approve pull requests/.test(lastError)) {
    return " (the repository does not let workflows open pull requests: turn on Settings → Actions → General → \"Allow GitHub Actions to create and approve pull requests\" — an organization may have to allow it first — or give the agent a token of its own that may)";
  }
  if (!lastError || !/HTTP 403 .*Resource not accessible by integration/.test(lastError)) return "";
  return " (the job's GITHUB_TOKEN may not make this write: give the job the permissions: the agent needs, e.g. issues: write or pull-requests: write; a pull request from a fork gets a read-only token whatever the workflow asks for)";
}

/**
 * Why a task ended dead, saying whether it was retried: a transient failure's error already
 * says "gave up after N attempts"; a permanent one is not retried, and "after their
 * retries" would send people looking for retries that never ran.
 */
function deadReason(lastError: string | null, attempts: number): string {
  const error = lastError ?? "failed";
  // Transient, but its retry was due later than a workflow run waits: it says so itself.
  if (error.startsWith("gave up after ") || error.includes(LATER_THAN_A_RUN_WAITS)) return error;
  return `${error} (a permanent failure${attempts > 1 ? ` on attempt ${attempts}` : ""}: not retried)`;
}

function printHuman(io: CliIo, event: EventPayload, decision: RoutingDecision, explain?: boolean): void {
  io.stdout(describeDecision(event, decision) + "\n");
  if (explain) io.stdout("\n" + formatExplanation(decision.explanation) + "\n");
}

/** The decision for people; the action and an /agent comment's arguments come from the event, each kept to its line. */
function describeDecision(event: EventPayload, decision: RoutingDecision): string {
  const one = (text: string) => terminalText(text, { oneLine: true });
  const name = one(event.action ? `${event.type}.${event.action}` : event.type);
  if (decision.ignored) return `${name}: ignored (${decision.ignored}): switchyard never acts on its own or a bot's comments and labels`;
  if (!decision.matched) return `${name}: no rule matched; nothing to run`;
  return decision.decisions
    .map((d) => `${name} → ${one(d.agent)} (${d.priority}): ${one(d.action)}  [rule ${one(d.rule)}]`)
    // The comment's commands, on a line of their own: which rule takes which is --explain's to say.
    .concat(event.commands.length > 0 ? [`commands in the comment: ${event.commands.map((c) => one(["/agent", c.name, ...c.args].join(" "))).join(", ")}`] : [])
    .join("\n");
}
