import { UsageError } from "../errors.js";
import { redactUrl } from "./redact-url.js";
import { SERVER_ROLES } from "./schema.js";

/** The environment variables switchyard reads, and the config key each overrides. */
export const ENV_KEYS = {
  PORT: "server.port",
  SWITCHYARD_HOST: "server.host",
  SWITCHYARD_ROLE: "server.role",
  ADMIN_PORT: "admin.port",
  ADMIN_TOKEN: "admin.token",
  WEBHOOK_SECRET: "secrets",
  DATABASE_URL: "store.url",
  GITHUB_TOKEN: "github.token",
  GITHUB_APP_ID: "github.appId",
  GITHUB_APP_PRIVATE_KEY: "github.privateKey",
  GITHUB_API_URL: "github.apiUrl",
  SWITCHYARD_DRY_RUN: "github.dryRun",
  RATE_LIMIT_MAX: "security.failedAuth.max",
  RATE_LIMIT_WINDOW: "security.failedAuth.windowMs",
  RETRY_MAX_ATTEMPTS: "retry.maxRetries",
  RETRY_INITIAL_DELAY: "retry.initialDelayMs",
  RETRY_MAX_DELAY: "retry.maxDelayMs",
  RETRY_MULTIPLIER: "retry.multiplier",
} as const;

type EnvName = keyof typeof ENV_KEYS;
type Env = Record<string, string | undefined>;

/** `1/true/yes` and `0/false/no`, any case; anything else is a usage error naming the variable. */
export function parseBoolean(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes"].includes(v)) return true;
  if (["0", "false", "no"].includes(v)) return false;
  throw new UsageError(`${name}="${value}" is not a boolean: use 1/true/yes or 0/false/no`);
}

// Plain decimal digits only: Number() would also take "3e3", "0x10" or "1_000".
const INTEGER = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

function parseNumber(name: string, value: string, integer: boolean): number {
  const text = value.trim();
  if (!(integer ? INTEGER : DECIMAL).test(text)) {
    throw new UsageError(`${name}="${value}" is not ${integer ? "a whole number (digits only)" : "a number (digits, optionally with a decimal point)"}`);
  }
  return Number(text);
}


/**
 * The variables set in `env`, by the config key each overrides, as `NAME="value"`: how a
 * config error names the variable the user actually set.
 *
 * @example envSources({ PORT: "70000" }).get("server.port") // 'PORT="70000"'
 */
export function envSources(env: Env): Map<string, string> {
  const sources = new Map<string, string>();
  for (const name of Object.keys(ENV_KEYS) as EnvName[]) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== "") sources.set(ENV_KEYS[name], `${name}="${name.includes("TOKEN") || name.includes("SECRET") || name.includes("KEY") ? "…" : redactUrl(raw)}"`);
  }
  return sources;
}

/** all, ingest or worker, any case; anything else is a usage error naming the variable. */
function parseRole(name: string, value: string): string {
  const role = value.trim().toLowerCase();
  if ((SERVER_ROLES as readonly string[]).includes(role)) return role;
  throw new UsageError(`${name}="${value}" is not a role: use ${SERVER_ROLES.join(", ")} (all: webhook + admin + worker; ingest: no worker; worker: no webhook listener)`);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/**
 * The configuration overrides the environment asks for, as a partial raw config to lay
 * over the file. The only place switchyard reads environment variables, and pure: the
 * environment is a parameter. An empty variable counts as unset.
 */
export function readEnv(env: Env): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const name of Object.keys(ENV_KEYS) as EnvName[]) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") continue;
    setPath(overrides, ENV_KEYS[name], convert(name, raw));
  }
  return overrides;
}

function convert(name: EnvName, raw: string): unknown {
  switch (name) {
    case "PORT":
    case "ADMIN_PORT":
    case "RATE_LIMIT_MAX":
    case "RETRY_MAX_ATTEMPTS":
      return parseNumber(name, raw, true);
    case "RATE_LIMIT_WINDOW":
    case "RETRY_INITIAL_DELAY":
    case "RETRY_MAX_DELAY":
      // Durations, as their keys take them: milliseconds, or a number with a unit (1s, 10m).
      return raw.trim();
    case "RETRY_MULTIPLIER":
      return parseNumber(name, raw, false);
    case "WEBHOOK_SECRET":
      // A comma list, so a new secret can be added before the old one is retired.
      return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    case "SWITCHYARD_ROLE":
      return parseRole(name, raw);
    case "SWITCHYARD_HOST":
      return raw.trim();
    case "SWITCHYARD_DRY_RUN":
      return raw.trim().toLowerCase() === "auto" ? "auto" : parseBoolean(name, raw);
    case "GITHUB_APP_PRIVATE_KEY":
      // Keys pasted into one-line variables often carry literal \n.
      return raw.includes("\\n") ? raw.replace(/\\n/g, "\n") : raw;
    default:
      return raw;
  }
}

/** What a GitHub Actions job tells switchyard about the event it runs for. */
export interface ActionsEnv {
  eventName: string | null;
  eventPath: string | null;
  runId: string | null;
}

/** Reads the Actions variables `route` defaults to (empty counts as unset). */
export function readActionsEnv(env: Env): ActionsEnv {
  const get = (name: string) => (env[name]?.trim() ? env[name]!.trim() : null);
  return { eventName: get("GITHUB_EVENT_NAME"), eventPath: get("GITHUB_EVENT_PATH"), runId: get("GITHUB_RUN_ID") };
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL: pino's level names; default info. Payloads and tokens are only logged below info. */
export function readLogLevel(env: Env): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return "info";
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new UsageError(`LOG_LEVEL="${env.LOG_LEVEL}" is not a level: use one of ${LOG_LEVELS.join(", ")}`);
}
