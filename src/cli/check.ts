import { EXECUTION_AGENT } from "../agents/builtin/coordinator/coordinator-agent.js";
import type { Command } from "commander";
import { DEPLOYER_HINT, hasDeployer } from "../agents/builtin/deployment-agent/has-deployer.js";
import { assertEnvSecretsLong } from "../config/agent-secret-length.js";
import { findAgentProblems } from "../config/find-agent-problems.js";
import { formatDuration } from "../config/format-duration.js";
import { loadConfig } from "../config/load-config.js";
import { readLogLevel } from "../config/read-env.js";
import { redactUrlSecrets } from "../config/redact-url.js";
import type { Config, ExecutorConfig } from "../config/schema.js";
import { formatRulesTable, formatTable } from "../routing/describe-rules.js";
import { ruleWarnings } from "../routing/rule-warnings.js";
import { describeGithubWrites } from "../github/write-mode.js";
import { printJson, type CliIo } from "./io.js";
import { INGEST_ON_SQLITE, assertServable } from "./serve.js";
import { describeStore, parseStoreUrl } from "../store/open-store.js";


/**
 * An executor on one line, as `check` prints it. An http agent's URL shows no query value
 * nor password: check's output is pasted into issues and CI logs.
 *
 * @example describeExecutor({ exec: ["./review.sh", "--fast"], timeout: 600000, env: [] }) // "exec ./review.sh --fast (timeout 10m)"
 */
export function describeExecutor(spec: ExecutorConfig): string {
  // 0 turns the limit off.
  const timeout = (ms: number) => (ms === 0 ? "no timeout" : `timeout ${formatDuration(ms)}`);
  if (spec === "builtin") return "builtin";
  if ("builtin" in spec) return `builtin ${spec.builtin}`;
  if ("exec" in spec) return `exec ${spec.exec.join(" ")} (${timeout(spec.timeout)}${spec.env.length > 0 ? `, env ${spec.env.join(", ")}` : ""})`;
  if ("http" in spec) return `http ${redactUrlSecrets(spec.http.url)} (${timeout(spec.timeout)}${typeof spec.http.secret === "string" ? "" : `, secret from ${spec.http.secret.env}`})`;
  if ("workspace" in spec) return `workspace ${spec.workspace.run.join(" ")} (${timeout(spec.workspace.timeout)}, branches ${spec.workspace.branchPrefix}*)`;
  return `workflow ${spec.workflow.id} on ${spec.workflow.ref}`;
}

/** Every agent the config can run (configured, or used by a rule) with its executor. */
function agentRows(config: Config, ruleAgents: readonly string[]): string[][] {
  const names = [...new Set([...Object.keys(config.agents), ...ruleAgents])];
  return names.map((name) => {
    const spec = config.agents[name] ?? "builtin";
    const deploys = name === "DeploymentAgent" ? (config.deploy.workflow !== null && spec === "builtin" ? `, dispatches workflow ${config.deploy.workflow}` : "") : "";
    const usedBy = ruleAgents.filter((agent) => agent === name).length;
    // ExecutionAgent has no rule of its own: CoordinatorAgent hands it `execute-plan` tasks.
    const handed = name === EXECUTION_AGENT && usedBy === 0 ? "- (execute-plan, handed over by CoordinatorAgent)" : null;
    return [name, describeExecutor(spec) + deploys, handed ?? (usedBy === 0 ? "-" : String(usedBy))];
  });
}

/** What `check` says about the deployer: nothing when one is configured. */
function deployerNote(config: Config): string | null {
  if (hasDeployer(config)) return null;
  return `no deployer is configured: DeploymentAgent creates GitHub deployments and leaves them queued for an external deployer (${DEPLOYER_HINT})`;
}

/** What `check` says when bodies are to be kept longer than their rows: nothing otherwise. */
function retentionNote(config: Config): string | null {
  const { bodies, rows } = config.store.retention;
  if (bodies <= rows) return null;
  return `store.retention.bodies (${formatDuration(bodies)}) is longer than store.retention.rows (${formatDuration(rows)}): a delivery's row goes with its body, so bodies are kept ${formatDuration(rows)}`;
}

/** The store the config resolves to, as check shows it (serve's start-up words): named, not opened. */
function storeShown(url: string, cwd: string): { line: string; json: { kind: "sqlite" | "postgres"; location: string } } {
  const location = parseStoreUrl(url, cwd);
  const shown = describeStore(url, cwd);
  return { line: `store: ${shown} (not opened by check: serve's start refuses one it cannot use)`, json: { kind: location.kind, location: location.kind === "sqlite" ? location.file : shown } };
}

export function registerCheck(program: Command, io: CliIo): void {
  program
    .command("check")
    .description("validate the config (file + environment) and print the compiled rules table and the agents")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .option("--json", "print the compiled rules, the agents and the warnings as one line of JSON")
    .action((options: { config?: string; json?: boolean }) => {
      // A config it refuses throws: main prints {"ok":false,"error"} for --json, as for every command.
      const loaded = loadConfig({ file: options.config, cwd: io.cwd, env: io.env });
      // What serve would refuse in the configuration: checked here too. The store and the
      // ports are not touched (check runs where they may not be, as in CI): serve's start
      // refuses a database or port it cannot use, exit 2.
      assertServable(loaded.config);
      assertEnvSecretsLong(loaded.config, io.env);
      readLogLevel(io.env);
      const { config, rules, source } = loaded;
      const ruleAgents = rules.map((rule) => rule.agent);
      const agents = agentRows(config, ruleAgents);
      // Warnings (exit 0): valid, but an exec program that cannot start here.
      const warnings = [...ruleWarnings(rules, config), ...findAgentProblems(config, { cwd: io.cwd, env: io.env })];
      const ingestOnly = config.server.role === "ingest" && parseStoreUrl(config.store.url, io.cwd).kind === "sqlite" ? INGEST_ON_SQLITE : null;
      const notes = [deployerNote(config), retentionNote(config), ingestOnly].filter((note) => note !== null);
      const github = describeGithubWrites(config.github);
      const store = storeShown(config.store.url, io.cwd);
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      if (options.json) {
        const table = rules.map(({ id, when, agent, priority, action, continue: cont, origin }) => ({ id, when, agent, priority, action, continue: cont, origin }));
        const agentList = agents.map(([name, executor]) => ({ name: name!, executor: executor!, rules: ruleAgents.filter((agent) => agent === name).length }));
        printJson(io, { ok: true, source, github: github.json, store: store.json, rules: table, agents: agentList, deployer: hasDeployer(config), notes, warnings });
        return;
      }
      io.stdout(`config OK (${source ?? "no config file: defaults and environment"})\n${github.line}\n${store.line}\n\n`);
      io.stdout(formatRulesTable(rules, config.routing.executeLabel) + "\n\n");
      io.stdout(formatTable(["agent", "executor", "rules"], agents) + "\n");
      if (notes.length > 0) io.stdout("\n" + notes.map((note) => `note: ${note}\n`).join(""));
    });
}
