import { DEFAULT_CONFIG_FILE } from "../config/load-config.js";
import { ENV_KEYS } from "../config/read-env.js";
import { formatDuration } from "../config/format-duration.js";
import { configSchema } from "../config/schema.js";
import { yamlList, yamlString } from "./yaml-text.js";

/** Where `switchyard init` writes the commented config. */
export const CONFIG_TEMPLATE_FILE = DEFAULT_CONFIG_FILE;

/** One line per section, shown above it. */
const SECTIONS: Record<string, string> = {
  server: "The webhook listener of `switchyard serve`.",
  admin: "The admin listener: health checks, the read and replay API, the command help. Keep it on loopback or set a token.",
  secrets: "Webhook secrets, several while rotating. Set WEBHOOK_SECRET instead: this file is committed.",
  store: "Where deliveries and tasks are kept: sqlite:PATH or postgres://…",
  github: "Credentials and API. Set tokens and keys in the environment, never here.",
  security: "Source allowlist, failed-signature limiting, replay window.",
  retry: "Retries of failed agent runs (maxRetries 3 = up to 4 runs), exponential backoff with jitter.",
  worker: "How many tasks run at once, and their leases.",
  routing: "The rules table: `switchyard check` prints the rules in force.",
  commands: "Who may run /agent commands from comments.",
  agents: "How each agent runs: builtin, {exec: [argv…]}, {http: {url, secret}}, {workflow: {id, ref}} or {workspace: {…}} (a coding agent in a worktree, docs/agents.md).",
  comments: "Routing comments on issues and pull requests: sticky (one, edited), every, or off.",
  review: "ReviewAgent settings.",
  deploy: "DeploymentAgent settings.",
  guardian: "Guardian settings.",
};

/** One line per setting, after it. */
const SETTINGS: Record<string, string> = {
  "server.host": "0.0.0.0 listens on every interface",
  "server.bodyLimit": "bytes, or a size like 25mb; GitHub caps payloads at 25 MiB",
  "server.trustProxy": "true behind a proxy: X-Forwarded-For names the client",
  "server.role": "all; ingest: no worker; worker: no webhook listener (serve --role, switchyard work)",
  "admin.host": "anything but loopback requires admin.token, of 16 characters or more",
  "admin.token": "bearer token for the admin API",
  "store.url": "the SQLite file is created by serve",
  "github.token": "a personal or Actions token",
  "github.appId": "GitHub App auth (wins over a token)",
  "github.privateKey": "the App's PEM key",
  "github.dryRun": "auto: dry-run exactly when no credentials are set",
  "github.writeIntervalMs": "pause between writes, as GitHub's rate-limit guidance asks",
  "security.ipAllowlist.enabled": "accept deliveries only from the CIDRs below",
  "security.ipAllowlist.cidrs": "[] = GitHub's hooks ranges",
  "security.failedAuth.max": "failed signature checks per source address per window",
  "security.replayWindowHours": "a body signature seen this recently is a duplicate (a delivery id seen before always is)",
  "worker.perAgent": "concurrency per agent name, e.g. {ReviewAgent: 1}",
  "worker.perRepository": "e.g. {limit: 30, windowMs: 60000}: tasks beyond it wait",
  "routing.deployBranches": "[] = the repository's default branch",
  "routing.executeLabel": "adding this label runs the issue's task list",
  "routing.rules": "rules added, or replacing a default rule of the same id",
  "routing.disable": "ids of default rules to turn off",
  "commands.associations": "author associations allowed to run commands",
  "commands.writeRequired": "commands that also need write permission on the repository",
  "review.reviewers": "logins ready_for_review asks for a review",
  "deploy.environment": "the GitHub environment deployments go to",
  "deploy.workflow": "a workflow to dispatch per deployment (file name or id)",
  "guardian.workflows": "workflow names to watch; [] = every workflow on the default branch",
};

const ENV_BY_PATH: Record<string, string> = Object.fromEntries(Object.entries(ENV_KEYS).map(([name, path]) => [path, name]));

interface Line {
  text: string;
  note?: string;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}

function inline(value: unknown): string {
  if (typeof value === "string") return yamlString(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return yamlList(value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** `{a: {b: value}}` for the path "a.b". */
function nested(path: string, value: unknown): Record<string, unknown> {
  return path
    .split(".")
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/**
 * A default in milliseconds as the docs write it (`30d`, `10m`), when the setting takes a
 * duration: asked of the schema itself (does it read the text back as the same number?),
 * so no list of duration settings can drift from it.
 */
function asDuration(path: string, ms: number): string | null {
  const text = formatDuration(ms);
  return text.endsWith("ms") ? null : readsBackAs(path, text, ms);
}

/** A default in bytes as the docs write it (`25mb`), when the setting takes a size: asked of the schema, as asDuration. */
function asSize(path: string, bytes: number): string | null {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) && mib > 0 ? readsBackAs(path, `${mib}mb`, bytes) : null;
}

/** `text` when the schema reads it back at `path` as `value`, else null. */
function readsBackAs(path: string, text: string, value: number): string | null {
  const parsed = configSchema.safeParse(nested(path, text));
  if (!parsed.success) return null;
  const back = path.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], parsed.data);
  return back === value ? text : null;
}

function settingLines(key: string, value: unknown, path: string, depth: number): Line[] {
  const pad = "  ".repeat(depth);
  const env = ENV_BY_PATH[path];
  const note = [SETTINGS[path], env && `env ${env}`].filter(Boolean).join("; ") || undefined;
  const duration = typeof value === "number" ? (asDuration(path, value) ?? asSize(path, value)) : null;
  if (!isMapping(value)) return [{ text: `${pad}${key}: ${duration ?? inline(value)}`, note }];
  const children = Object.entries(value).flatMap(([k, v]) => settingLines(k, v, `${path}.${k}`, depth + 1));
  return [{ text: `${pad}${key}:`, note }, ...children];
}

/**
 * The commented switchyard.config.yaml `init` writes: every section of the schema with its
 * default, commented out, with a line on what it does. The defaults come from the schema
 * itself, so the template cannot drift from it; as written (all commented) it loads as the
 * defaults, and uncommenting any line leaves a valid file.
 *
 * @example writeFileSync("switchyard.config.yaml", renderConfigTemplate())
 */
export function renderConfigTemplate(): string {
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const out = [
    "# switchyard configuration. Every setting is commented out and shows its default:",
    "# uncomment what you change. Environment variables (named after a setting) override",
    "# this file. Unknown keys are errors; `switchyard check` validates the file and prints",
    "# the rules in force. Reference: docs/configuration.md in the switchyard package.",
  ];
  for (const [key, value] of Object.entries(defaults)) {
    const lines = settingLines(key, value, key, 0);
    const width = Math.min(40, Math.max(...lines.map((l) => l.text.length)) + 2);
    out.push("", `# ${SECTIONS[key] ?? `The ${key} settings.`}`);
    for (const { text, note } of lines) out.push(note ? `# ${text.padEnd(Math.max(width, text.length + 2))}# ${note}` : `# ${text}`);
  }
  return `${out.join("\n")}\n`;
}
