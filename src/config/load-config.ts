import { beyondRetention } from "../recovery/parse-lookback.js";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { UsageError } from "../errors.js";
import { compileRules, type CompiledRule } from "../routing/compile-rules.js";
import { envSources, readEnv } from "./read-env.js";
import { createIpAllowlist } from "../security/ip-allowlist.js";
import { checkNames, type CheckNamesOptions } from "./check-names.js";
import { describeYamlError } from "./describe-yaml-error.js";
import { findUnindentedAgentSettings, type UnindentedAgentSettings } from "./find-unindented-agent-settings.js";
import { formatDuration } from "./format-duration.js";
import { didYouMean } from "./suggest-name.js";
import { kindOf } from "./key-messages.js";
import { BUILTIN_AGENT_NAMES, configSchema, privateKeyProblem, type Config } from "./schema.js";

export const DEFAULT_CONFIG_FILE = "switchyard.config.yaml";

export interface LoadedConfig {
  config: Config;
  rules: CompiledRule[];
  /** The file read, or null when none exists and the defaults apply. */
  source: string | null;
}

export interface LoadConfigOptions {
  /** An explicit --config FILE: it must exist. */
  file?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /**
   * false for a command that never calls GitHub (deliveries, tasks, kpi, replay, prune…):
   * the credentials are then not checked, since they are often only in the service's
   * environment (docs/operations.md), not in the shell that reads its store. Default true.
   */
  needsGitHub?: boolean;
}

export interface ParseConfigOptions extends CheckNamesOptions {
  /** As LoadConfigOptions.needsGitHub: false skips the checks of the GitHub credentials. Default true. */
  needsGitHub?: boolean;
  /** How errors name the file: as the user wrote it (`ci/a.yaml`); default its base name. */
  shownAs?: string;
}

/**
 * Reads the config file (when there is one), lays the environment over it, validates the
 * result against the schema and compiles the rules table. Any problem is a UsageError
 * naming the key and the fix, so every command fails the same way on bad config.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ? path.resolve(cwd, options.file) : path.resolve(cwd, DEFAULT_CONFIG_FILE);
  let raw: unknown = {};
  let source: string | null = null;
  // Errors name the file as it was given (`--config ci/a.yaml`), so a name shared by two directories is not ambiguous.
  const shownAs = options.file ?? DEFAULT_CONFIG_FILE;
  if (options.file || existsSync(file)) {
    raw = readConfigFile(file, shownAs);
    source = file;
  }
  const env = options.env ?? process.env;
  const merged = deepMerge(raw, readEnv(env));
  return parseConfig(merged, source, envSources(env), { needsGitHub: options.needsGitHub, shownAs });
}

/**
 * Validates a raw config value (as parsed from YAML, env already applied). `options.extraAgents`
 * names agents the caller's registry adds to the built-in ones, so rules may use them.
 */
export function parseConfig(raw: unknown, source: string | null = null, fromEnv: ReadonlyMap<string, string> = new Map(), options: ParseConfigOptions = {}): LoadedConfig {
  // reportInput: a value that does not have its format is quoted in the message.
  const result = configSchema.safeParse(raw, { reportInput: true });
  const where = source ? `${options.shownAs ?? path.basename(source)}: ` : "config: ";
  if (!result.success) throw new UsageError(formatIssues(result.error, where, fromEnv, findUnindentedAgentSettings(raw)));
  const config = deepFreeze(result.data);
  checkConsistency(config, where, fromEnv, options.needsGitHub !== false);
  const rules = compileRules(config, where);
  // After compileRules, which refuses a bad regular expression with a clearer message.
  const problems = checkNames(config, options);
  if (problems.length > 0) throw new UsageError(where + problems.slice(0, 5).join("; "));
  return { config, rules, source };
}

/**
 * The credential checks a config loaded with `needsGitHub: false` skipped, for a command that
 * learns only later that it calls GitHub itself (redeliver without a running server). `env`:
 * the environment the config was loaded with, so an error names the variable that set a value.
 */
export function checkGithubCredentials(loaded: LoadedConfig, env: Record<string, string | undefined>): void {
  checkCredentials(loaded.config.github, loaded.source ? `${path.basename(loaded.source)}: ` : "config: ", envSources(env));
}

/** How an error names a value that an environment variable set, where a file's name would go. */
const FROM_ENVIRONMENT = "environment: ";

/** What the schema alone cannot see: values that are well-formed but cannot work together. */
function checkConsistency(config: Config, where: string, fromEnv: ReadonlyMap<string, string>, needsGitHub: boolean): void {
  const { cidrs } = config.security.ipAllowlist;
  if (cidrs.length > 0) {
    try {
      createIpAllowlist(cidrs);
    } catch (error) {
      throw new UsageError(`${where}security.ipAllowlist.cidrs: ${(error as Error).message}`);
    }
  }
  if (needsGitHub) checkCredentials(config.github, where, fromEnv);
  const { retry } = config;
  if (retry.initialDelayMs > retry.maxDelayMs) {
    // The cap would apply from the first retry on: initialDelayMs would be silently ignored.
    const named = (key: "initialDelayMs" | "maxDelayMs") => fromEnv.get(`retry.${key}`)?.split("=")[0] ?? `retry.${key}`;
    // Each value named where it was set; a variable that set one of them leads (it is what was just changed), else the file.
    const prefix = fromEnv.has("retry.initialDelayMs") || fromEnv.has("retry.maxDelayMs") ? FROM_ENVIRONMENT : where;
    throw new UsageError(
      `${prefix}${named("initialDelayMs")} (${retry.initialDelayMs} ms) is longer than ${named("maxDelayMs")} (${retry.maxDelayMs} ms), the cap: every retry would wait about ${retry.maxDelayMs} ms. Make the first delay at most the cap`,
    );
  }
  const { retention } = config.store;
  const windowMs = config.security.replayWindowHours * 3_600_000;
  for (const key of ["bodies", "rows"] as const) {
    // A delivery pruned inside the replay window could no longer be recognised as a replay.
    if (retention[key] < windowMs) {
      // Days written as a bare number are milliseconds: say so rather than show 0.0000083 h.
      const bare = retention[key] < 3_600_000 ? "; a bare number counts milliseconds, so write 30d for days" : "";
      throw new UsageError(`${where}store.retention.${key} (${formatDuration(retention[key])}) is shorter than the replay window (security.replayWindowHours, ${config.security.replayWindowHours}h): keep deliveries at least that long${bare}`);
    }
  }
  const beyond = config.recovery.hooks.length > 0 ? beyondRetention(config.recovery.lookback, retention.rows) : null;
  if (beyond !== null) throw new UsageError(`${where}recovery.lookback ${beyond}`);
  for (const [name, spec] of Object.entries(config.agents)) {
    if (typeof spec === "object" && "builtin" in spec && !BUILTIN_AGENT_NAMES.includes(spec.builtin)) {
      const hint = didYouMean(spec.builtin, BUILTIN_AGENT_NAMES);
      throw new UsageError(`${where}agents.${name}.builtin: no built-in agent is called "${spec.builtin}":${hint || ` there are ${BUILTIN_AGENT_NAMES.join(", ")}`}`);
    }
  }
}

/**
 * Credentials that cannot work: dry-run off without any, or half of the App's. Only for a
 * command that calls GitHub; the others run where the credentials may well be unset.
 */
function checkCredentials(github: Config["github"], where: string, fromEnv: ReadonlyMap<string, string>): void {
  const hasCredentials = Boolean(github.token) || (github.appId !== null && Boolean(github.privateKey));
  if (github.dryRun === false && !hasCredentials) {
    // Named where it was set: the variable when the environment set it, else the file's key.
    const setBy = fromEnv.get("github.dryRun");
    throw new UsageError(
      `${setBy === undefined ? where : FROM_ENVIRONMENT}github.dryRun is false${setBy === undefined ? "" : ` (${setBy})`} but no GitHub credentials are set: set GITHUB_TOKEN or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY, or leave dry-run on auto`,
    );
  }
  if ((github.appId === null) !== !github.privateKey) {
    throw new UsageError(`${where}github.appId and github.privateKey go together (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY): set both for GitHub App auth, or neither`);
  }
  const keyProblem = github.privateKey ? privateKeyProblem(github.privateKey) : null;
  if (keyProblem !== null) {
    // Named as a schema error would be: the variable (its value masked) or the file's key.
    const variable = fromEnv.get("github.privateKey");
    throw new UsageError(variable === undefined ? `${where}github.privateKey: ${keyProblem}` : `${FROM_ENVIRONMENT}${variable} (github.privateKey): ${keyProblem}`);
  }
}

function readConfigFile(file: string, shownAs: string = path.basename(file)): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`config file ${file} does not exist: check the --config path`);
    if (code === "EISDIR") throw new UsageError(`config file ${file} is a directory: name the YAML file in it`);
    throw new UsageError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  // The parser's first line ends with ":" before a code frame; the line and column say enough.
  const firstLine = (error: Error) => error.message.split("\n")[0]!.replace(/:\s*$/, "");
  let value: unknown;
  try {
    // parseDocument, not parse: parse hands warnings to process.emitWarning, which printed a
    // raw "(node:…) YAMLWarning" line ahead of switchyard's own message.
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new UsageError(`${shownAs} is not valid YAML: ${describeYamlError(doc.errors[0]!, text)}`);
    // A warning is YAML the parser half understood (an unknown !tag read as a plain string,
    // an unknown %directive): refused like any other config switchyard cannot take as written.
    const warning = doc.warnings[0];
    if (warning !== undefined) {
      const fix = warning.code === "TAG_RESOLVE_FAILED" ? "switchyard's config is plain YAML: remove the tag" : "remove it";
      throw new UsageError(`${shownAs}: ${firstLine(warning)}: ${fix}`);
    }
    value = doc.toJS();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${shownAs} is not valid YAML: ${firstLine(error as Error)}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${shownAs} must be a YAML mapping of sections (server:, routing:, …)`);
  }
  return value;
}

/** `routing.rules[0].when` — the path a user would look for in their file. */
export function formatPath(keys: readonly PropertyKey[]): string {
  let out = "";
  for (const key of keys) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out;
}

/**
 * The schema's complaints, each under its source: the file's after `where` (the file name),
 * a value an environment variable set after "environment:", since the file never held it.
 * The complaints about an empty agent and the settings written beside it (`unindented`) are
 * one: that they belong under it.
 */
function formatIssues(error: z.ZodError, where: string, fromEnv: ReadonlyMap<string, string>, unindented: readonly UnindentedAgentSettings[] = []): string {
  const ownerOf = new Map(unindented.flatMap((found) => [found.agent, ...found.settings].map((key) => [key, found] as const)));
  // Keyed by text, so that an empty agent's several complaints become its one message.
  const messages = new Map<string, { fromVariable: boolean }>();
  for (const issue of error.issues) {
    const owner = issue.path[0] === "agents" ? ownerOf.get(String(issue.path[1])) : undefined;
    if (owner !== undefined) messages.set(`agents.${owner.agent}: ${owner.message}`, { fromVariable: false });
    else if (fromEnv.has(formatPath(issue.path))) messages.set(FROM_ENVIRONMENT + formatIssue(issue, [], fromEnv), { fromVariable: true });
    else messages.set(formatIssue(issue, [], fromEnv), { fromVariable: false });
  }
  const shown = [...messages].slice(0, 5);
  const fromFile = shown.filter(([, { fromVariable }]) => !fromVariable).map(([text]) => text);
  const fromVariables = shown.filter(([, { fromVariable }]) => fromVariable).map(([text]) => text);
  return [...(fromFile.length > 0 ? [where + fromFile.join("; ")] : []), ...fromVariables].join("; ");
}

/**
 * "0 or more" for zod's default refusal of a number out of range (a duration's, its key
 * ending in Ms, as a duration: "1s or more"); null for anything else (a message of our own is kept).
 */
function numberRange(issue: z.core.$ZodIssue, key: string): string | null {
  if ((issue.code !== "too_small" && issue.code !== "too_big") || issue.origin !== "number" || !/^Too (small|big):/.test(issue.message)) return null;
  const limit = Number(issue.code === "too_small" ? issue.minimum : issue.maximum);
  const bound = key.endsWith("Ms") && Number.isFinite(limit) ? formatDuration(limit) : String(limit);
  if (issue.code === "too_small") return issue.inclusive ? `${bound} or more` : `more than ${bound}`;
  return issue.inclusive ? `${bound} or less` : `less than ${bound}`;
}

function formatIssue(issue: z.core.$ZodIssue, base: readonly PropertyKey[], fromEnv: ReadonlyMap<string, string> = new Map()): string {
  const keys = [...base, ...issue.path];
  const key = formatPath(keys);
  // A value set through the environment is named by its variable: the user never wrote the key.
  const variable = fromEnv.get(key);
  const at = variable ? `${variable} (${key})` : key;
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((k) => `"${at ? `${at}.` : ""}${k}"`).join(", ");
    // One unknown key next to a known one it is a typo of: say which.
    const elsewhere = issue.keys.length === 1 ? otherOptionsTaking(String(issue.keys[0]), keys) : "";
    if (elsewhere !== "") return `${names} is not a setting of this agent's executor: ${elsewhere}`;
    const hint = issue.keys.length === 1 ? suggestKey(String(issue.keys[0]), knownKeysAt(keys)) || misplacedKey(String(issue.keys[0]), keys) : "";
    return `unknown key ${names}${hint === "" ? "" : ` (${hint.trim()})`}: remove it or check its spelling (docs/configuration.md lists every key)`;
  }
  if (issue.code === "invalid_union") {
    // A union (an agent's executor) reports every branch's failure. The branch whose shape
    // fits (no failure at its own top level) is the one the user meant: report its issues,
    // e.g. a bad exec timeout, instead of a bare "Invalid input".
    const fitting = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
    if (fitting.length === 1) return fitting[0]!.map((i) => formatIssue(i, keys, fromEnv)).join("; ");
  }
  // zod's own words ("Invalid option: …", "Invalid input: expected number, received string")
  // for a key whose schema has no message of its own: what to write instead.
  const zodWords = issue.message.startsWith("Invalid ");
  // What was written, quoted, when it may be shown (see quotable); else its kind.
  const written = quotable(issue.input, key) ? JSON.stringify(issue.input) : typeof issue.input === "string" ? "a string" : kindOf(issue.input);
  // One of a few words (an enum): say which, and the nearest to what was written.
  if (zodWords && issue.code === "invalid_value" && issue.values.length > 0 && issue.values.every((v) => typeof v === "string")) {
    const words = issue.values as string[];
    const hint = quotable(issue.input, key) ? didYouMean(issue.input, words) : "";
    return `${at}: ${written} is not one of ${words.join(", ")}:${hint === "" ? " write one of them" : hint}`;
  }
  // A number or a list written as something else: how to write it (a quoted "3000" is a string in YAML).
  if (zodWords && issue.code === "invalid_type" && issue.expected === "number" && typeof issue.input === "string") {
    return `${at}: write a number, unquoted (not ${written})`;
  }
  if (zodWords && issue.code === "invalid_type" && issue.expected === "array" && issue.input !== undefined && !Array.isArray(issue.input)) return `${at}: write a list, [a, b] or one "- item" per line, not a single value`;
  // YAML 1.2 reads yes, no, on and off as strings: `trustProxy: yes` is not the boolean it looks like.
  if (issue.code === "invalid_type" && issue.expected === "boolean") return `${at}: ${issue.message}: write true or false, unquoted (yes, no, on and off are strings in YAML)`;
  // zod's own words for a number out of range ("Too small: expected number to be >=0") as what to write.
  const range = numberRange(issue, String(keys.at(-1) ?? ""));
  if (range !== null) return `${at}: out of range: write ${range}`;
  // A value of the wrong form (a pattern): quoted, as the other messages quote what was written;
  // never a secret's, nor a URL (its user, password or query can hold credentials).
  if (issue.code === "invalid_format" && issue.format !== "url" && quotable(issue.input, key)) {
    return `${at}: ${issue.message}, not ${written}`;
  }
  return `${at || "(top level)"}: ${issue.message}`;
}

/**
 * Whether a value written in the config may be quoted back in a message: a short string,
 * never a secret's (by its key's name, or shaped like a GitHub token wherever it was
 * pasted), nor anything like a URL (its user, password or query can hold credentials).
 */
function quotable(value: unknown, key: string): value is string {
  return typeof value === "string" && value.length <= 200 && !value.includes("://") && !/gh[pousr]_|github_pat_/.test(value) && !/secret|token|key|password|url/i.test(key);
}

/** Words written for a key that has another name, and nothing like it in spelling: a rule's event goes under `when`. */
const KEY_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ["event", "when"],
  ["events", "when"],
  ["on", "when"],
]);

/** " did you mean KEY?" for an unknown key: its synonym when that is a key here, else the nearest name. */
function suggestKey(name: string, known: readonly string[]): string {
  const synonym = KEY_SYNONYMS.get(name.toLowerCase());
  if (synonym !== undefined && known.includes(synonym)) return ` did you mean ${synonym}?`;
  return didYouMean(name, known);
}

/**
 * " did you mean PARENT.KEY?" for a key written one level too low (`http: {timeout}` is the
 * agent's `timeout`) or too high: the objects below the same place that take it (`rules:` at
 * the top is `routing.rules`; `port:` is `server.port` or `admin.port`), else "".
 */
function misplacedKey(name: string, path: readonly PropertyKey[]): string {
  // One level too low: `timeout` inside `http:` belongs beside it.
  const parent = path.slice(0, -1);
  if (path.length > 0 && typeof path[path.length - 1] === "string" && knownKeysAt(parent).includes(name)) return ` did you mean ${formatPath([...parent, name])}?`;
  const homes = knownKeysAt(path).filter((parent) => knownKeysAt([...path, parent]).includes(name));
  if (homes.length === 0 || homes.length > 3) return "";
  return ` did you mean ${homes.map((parent) => formatPath([...path, parent, name])).join(" or ")}?`;
}

// The zod wrappers that hold one schema inside (`.optional()`, `.default()`, …).
const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional"]);

/** The keys the config schema allows in the object at `path` (none when it is not an object). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  return [...new Set(objectShapesAt(path).flatMap((shape) => Object.keys(shape)))];
}

/**
 * The shapes the object at `path` may take: one for an object, one per object option of a
 * union (an agent's executor: exec, http, workflow…, each with its own settings), none else.
 */
function objectShapesAt(path: readonly PropertyKey[]): Record<string, unknown>[] {
  let schema: z.core.$ZodType | undefined = configSchema;
  const unwrap = () => {
    for (let def = schema?._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType } | undefined; def; def = schema?._zod.def as typeof def) {
      if (WRAPPERS.has(def.type)) schema = def.innerType;
      else if (def.type === "pipe") schema = def.in;
      else return;
    }
  };
  // A union (an agent's executor) is taken as the object options it has: the one with the key on the way down, all of them at the end.
  const objectOptions = () => ((schema?._zod.def as { type: string; options?: z.core.$ZodType[] } | undefined)?.options ?? []).filter((option) => option._zod.def.type === "object") as z.core.$ZodObject[];
  for (const key of path) {
    unwrap();
    const union = objectOptions().find((option) => typeof key === "string" && key in option._zod.def.shape);
    if (union !== undefined) schema = union;
    const def = schema?._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType } | undefined;
    if (def?.type === "object" && typeof key === "string") schema = def.shape?.[key];
    else if (def?.type === "array" && typeof key === "number") schema = def.element;
    else if (def?.type === "record") schema = def.valueType;
    else return [];
  }
  unwrap();
  const def = schema?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  if (def?.type === "union") return objectOptions().map((option) => option._zod.def.shape);
  return def?.type === "object" ? [def.shape ?? {}] : [];
}

/**
 * For a key that another option of a union takes (`env`, an exec agent's, on an http
 * agent): which options take it, named by their first key (exec, http…); else "".
 */
function otherOptionsTaking(name: string, path: readonly PropertyKey[]): string {
  const shapes = objectShapesAt(path);
  if (shapes.length < 2) return "";
  const owners = shapes.filter((shape) => name in shape).map((shape) => Object.keys(shape)[0]);
  if (owners.length === 0) return "";
  return `${name} goes with ${owners.join(" or ")}; an agent has one executor, and each takes settings of its own (docs/agents.md lists them)`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
