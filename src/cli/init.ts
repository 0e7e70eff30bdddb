import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { SWITCHYARD, isUnreleased, parseActionPin } from "../init/action-pins.js";
import { loadConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { deriveTriggers, type WorkflowTrigger } from "../init/derive-triggers.js";
import { describeSecretNeed } from "../init/describe-secret-need.js";
import type { SecretNeed } from "../init/plan-agent-setup.js";
import { planJobs, type PlannedJob } from "../init/plan-jobs.js";
import { readDefaultBranch, readRepositoryFiles, readWorkflowNames } from "../init/read-repository-facts.js";
import { AGENT_RUNNER_FILE, renderAgentRunner } from "../init/render-agent-runner.js";
import { CONFIG_TEMPLATE_FILE, renderConfigTemplate } from "../init/render-config-template.js";
import { renderWebhookHandler, WEBHOOK_HANDLER_FILE } from "../init/render-webhook-handler.js";
import { printJson, type CliIo } from "./io.js";

interface InitOptions {
  dir?: string;
  force?: boolean;
  defaultBranch?: string;
  config?: string;
  action?: string;
  json?: boolean;
}

/**
 * `switchyard init`: writes webhook-handler.yml and agent-runner.yml with triggers that
 * follow the rules in force, and a switchyard.config.yaml that is the config those rules
 * came from (the repository's own is kept). Never overwrites without --force, and then
 * writes nothing at all.
 *
 * @example switchyard init --dir my-repo --default-branch trunk
 */
/** `push (main, release)`, `workflow_run (CI)`, `issues`: what the summary line shows. */
function describeTrigger(trigger: WorkflowTrigger): string {
  if (trigger.event === "push") return trigger.branches ? `push (${trigger.branches.join(", ")})` : "push (every branch)";
  if (trigger.event === "workflow_run" && trigger.workflows) return `workflow_run (${trigger.workflows.join(", ")})`;
  return trigger.event;
}

/** The secrets every job passes, merged by name: what the user must create, and for whom. */
function secretsToCreate(jobs: readonly PlannedJob[]): SecretNeed[] {
  const byName = new Map<string, SecretNeed>();
  for (const { name, agents, signing } of jobs.flatMap((job) => job.setup.secrets)) {
    const need = byName.get(name) ?? { name, agents: [], signing: [] };
    for (const agent of agents) if (!need.agents.includes(agent)) need.agents.push(agent);
    for (const agent of signing) if (!need.signing.includes(agent)) need.signing.push(agent);
    byName.set(name, need);
  }
  return [...byName.values()];
}

export function registerInit(program: Command, io: CliIo): void {
  program
    .command("init")
    .description("write .github/workflows/webhook-handler.yml and agent-runner.yml, with triggers from the rules in force; keep the repository's switchyard.config.yaml, or write one (a copy of --config, else the commented defaults)")
    .option("--dir <dir>", "the repository to write into (default: the current directory)")
    .option("--force", "overwrite files that already exist (never the repository's own switchyard.config.yaml)")
    .option("--default-branch <name>", "the branch pushes deploy from when routing.deployBranches is empty (default: from git, else main)")
    .option("-c, --config <file>", "config whose rules the triggers follow, copied in as switchyard.config.yaml (default: the one in --dir when present)")
    .option("--action <owner/name@sha>", "the switchyard action the workflows use, pinned by its full commit SHA (optionally #TAG for the comment): a fork, a mirror or a newer release")
    .option("--json", "print what was written as one line of JSON")
    .action((options: InitOptions) => runInit(options, io));
}

function runInit(options: InitOptions, io: CliIo): void {
  const dir = path.resolve(io.cwd, options.dir ?? ".");
  // A mistyped --dir must not grow a new tree beside the repository.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`--dir ${options.dir}: no such directory; init writes into an existing repository: create it first, or run init inside it (nothing was written)`);
  }
  // Writes workflow files only: the credentials are the workflow's, not this shell's.
  const { config, rules, source } = loadConfig({ file: options.config ? path.resolve(io.cwd, options.config) : undefined, cwd: dir, env: io.env, needsGitHub: false });
  // The committed config must be the one the triggers follow: the repository's own is kept
  // as it is, another one (--config) is copied in, and without either the commented
  // defaults are written.
  const repoConfig = path.join(dir, CONFIG_TEMPLATE_FILE);
  const keptConfig = source === repoConfig;
  if (!keptConfig && existsSync(repoConfig)) {
    // Never replaced, even with --force: it is the user's, and Actions runs follow it.
    throw new UsageError(
      `${dir} already has its own ${CONFIG_TEMPLATE_FILE}, which Actions runs follow: run init without --config to derive the triggers from it, or replace that file yourself first (nothing was written)`,
    );
  }
  const files = keptConfig ? [WEBHOOK_HANDLER_FILE, AGENT_RUNNER_FILE] : [WEBHOOK_HANDLER_FILE, AGENT_RUNNER_FILE, CONFIG_TEMPLATE_FILE];
  const existing = files.filter((file) => existsSync(path.join(dir, file)));
  if (existing.length > 0 && !options.force) {
    throw new UsageError(`refusing to overwrite ${existing.join(", ")} in ${dir}: pass --force to replace ${existing.length === 1 ? "it" : "them"} (nothing was written)`);
  }

  const action = options.action === undefined ? SWITCHYARD : parseActionPin(options.action);
  if (action === null) throw new UsageError(`--action must be OWNER/NAME@SHA with the full 40-hex commit (optionally #TAG), not "${options.action}"`);
  if (options.defaultBranch !== undefined && options.defaultBranch.trim() === "") throw new UsageError("--default-branch needs a branch name, like main");
  const defaultBranch = options.defaultBranch?.trim() || readDefaultBranch(dir) || "main";
  const derived = deriveTriggers({
    rules,
    deployBranches: config.routing.deployBranches,
    defaultBranch,
    existingWorkflows: readWorkflowNames(dir, [WEBHOOK_HANDLER_FILE, AGENT_RUNNER_FILE]),
  });

  const jobs = planJobs(derived.triggers, rules, config, readRepositoryFiles(dir));
  const contents: Record<string, string> = {
    [WEBHOOK_HANDLER_FILE]: renderWebhookHandler(derived, jobs, action),
    [AGENT_RUNNER_FILE]: renderAgentRunner(),
    [CONFIG_TEMPLATE_FILE]: source === null ? renderConfigTemplate() : readFileSync(source, "utf8"),
  };
  mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
  // "wx" fails rather than clobbers a file that appeared since the check above.
  for (const file of files) writeFileSync(path.join(dir, file), contents[file]!, { flag: options.force ? "w" : "wx" });

  const configFrom = keptConfig ? "kept" : source === null ? "defaults" : source;
  const warnings = isUnreleased(action)
    ? [
        `${WEBHOOK_HANDLER_FILE} names ${action.repository}@${action.sha}, a placeholder: this build of switchyard knows no released commit of its action yet. Build and publish the action (docs/cli.md, "The GitHub Action") and run init again with --action OWNER/NAME@SHA`,
      ]
    : [];
  for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
  const secrets = secretsToCreate(jobs);
  // What is needed before the workflow can work: on stderr, like the warnings, even with --json.
  for (const need of secrets) io.stderr(`${describeSecretNeed(need)}\n`);
  const notes = [...derived.notes, ...new Set(jobs.flatMap((job) => job.setup.notes))];
  const checkout = [...new Set(jobs.flatMap((job) => job.setup.checkout))];
  if (options.json) {
    printJson(io, { written: files, overwritten: existing, config: configFrom, defaultBranch, triggers: derived.triggers, checkout, secrets, notes, warnings });
    return;
  }
  for (const file of files) io.stdout(`${existing.includes(file) ? "overwrote" : "wrote"} ${file}${file === CONFIG_TEMPLATE_FILE && source !== null ? ` (a copy of ${path.relative(dir, source) || source})` : ""}\n`);
  if (keptConfig) io.stdout(`kept ${CONFIG_TEMPLATE_FILE}: the triggers follow its rules\n`);
  io.stdout(`triggers: ${derived.triggers.map(describeTrigger).join(", ") || "none"}\n`);
  if (checkout.length > 0) io.stdout(`checks out beside ${CONFIG_TEMPLATE_FILE}: ${checkout.join(", ")} (what its exec agents run, from the same ref)\n`);
  for (const note of notes) io.stdout(`note: ${note}\n`);
  const alsoCommit = checkout.length > 0 ? " and the programs its exec agents run" : "";
  const alsoSecrets = secrets.length > 0 ? `; create the repository secret${secrets.length === 1 ? "" : "s"} ${secrets.map((s) => s.name).join(", ")}` : "";
  // Named, not "everything": a `serve` run here keeps its webhook secret and a database of
  // event payloads in .switchyard/ (which ignores itself in git, but only once serve made it).
  // The programs' paths as git takes them (the sparse patterns unanchored and unescaped), quoted for a shell when they need it.
  const programs = checkout.map((pattern) => shellWord(pattern.replace(/^\//, "").replace(/\\(.)/g, "$1")));
  io.stdout(
    `next: commit the workflows and the config${alsoCommit} (git add ${[WEBHOOK_HANDLER_FILE, AGENT_RUNNER_FILE, CONFIG_TEMPLATE_FILE, ...programs].join(" ")}; nothing to install: the workflow uses switchyard's GitHub Action)${alsoSecrets}; \`switchyard check\` shows the rules the workflow follows\n`,
  );
}

/** A path as one word of a shell command: as it is when it holds nothing a shell reads, else in single quotes. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
