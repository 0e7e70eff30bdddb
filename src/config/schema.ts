import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { KNOWN_COMMANDS } from "../commands/parse-commands.js";
import { NEVER_PASSED_ENV } from "../security/agent-env.js";
import { MAX_LOOKBACK_MS, MIN_LOOKBACK_MS } from "../recovery/parse-lookback.js";
import { isBadPort } from "./is-bad-port.js";
import { referenceProblem, shortSecretProblem, variableReference } from "./agent-secret-length.js";
import { argvKey, listKey, requiredKey } from "./key-messages.js";
import { didYouMean, suggestName } from "./suggest-name.js";

/**
 * The one schema of switchyard's configuration: types, defaults, validation, and what
 * `check` prints all come from here (docs/configuration.md). Every object is strict, so a
 * misspelt key is an error that names it instead of a setting silently ignored.
 */

const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "25mb" | "512kb" | 1048576 → bytes. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = UNITS[(match[2] || "b").toLowerCase()];
  const bytes = unit === undefined ? undefined : Math.floor(Number(match[1]) * unit);
  // "0" or "0.0001kb" is no size to accept a body of.
  return bytes !== undefined && bytes > 0 ? bytes : undefined;
}

/** "10m" | "30s" | "500ms" | "30d" | 1500 → milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (DURATION_UNITS[(match[2] ?? "ms").toLowerCase()] ?? 1));
}

const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseByteSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a size: write a positive number of bytes, or one with kb, mb or gb, like 25mb` });
    return z.NEVER;
  }
  return bytes;
});

/** A value written below zero (`-5`, `"-5s"`), which is no duration: said so, rather than "not a duration". */
function isNegative(value: string | number): boolean {
  return typeof value === "number" ? value < 0 : /^\s*-/.test(value) && parseDuration(value.replace("-", "")) !== undefined;
}

/**
 * A duration: milliseconds, or a number with a unit. `negative` says what a value below zero
 * is told (an agent's timeout has its own words); any other bad value is "not a duration".
 */
function durationSchema(negative: (value: string | number) => string) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms !== undefined) return ms;
    const message = isNegative(value) ? negative(value) : `"${value}" is not a duration: write milliseconds or a number with ms, s, m, h or d, like 10m`;
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  });
}

const duration = durationSchema((value) => `${value} is below zero: write a number of milliseconds, or a duration with ms, s, m, h or d, like 10m`);

/** An agent's `timeout`, where 0 turns the limit off. */
const agentTimeout = durationSchema((value) => `${value} is below zero: a timeout is positive, a number of milliseconds or a duration like 5m (0 turns the limit off)`);

/**
 * A key named in milliseconds (`leaseMs`, `retry.maxDelayMs`…): a number still counts
 * milliseconds, and a duration (`10s`) is taken as `timeout:` takes it, rather than refused
 * with "expected number" beside keys that accept it.
 */
const milliseconds = duration;

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

export const PRIORITIES = ["critical", "high", "medium", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * A condition value: a string, or a list of them (any may match). A string written as
 * /pattern/flags is a regular expression.
 */
const matcher = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** What each key of a rule is, for the errors that would otherwise only say "expected string". */
const RULE_KEYS = {
  id: "the rule's id, lower-case words joined by dashes like pr-opened (check and route --explain name the rule by it, routing.disable takes it, and a default rule's id replaces that rule)",
  when: "the rule's when, the event it routes and its conditions, like {event: issues, action: opened}",
  event: "the GitHub webhook event the rule routes, like issues or pull_request (or a /pattern/)",
  agent: "the agent the rule's task goes to: a built-in one (IssueAgent, ReviewAgent, DeploymentAgent, CoordinatorAgent, Guardian, log) or one under agents",
  priority: "the rule's priority, critical, high, medium or low (of the rules an event matches, the highest-priority one runs)",
  action: 'the rule\'s action, a short description of what the task does, shown in the routing comment and by `tasks`, like "Label the issue"',
} as const;

export const ruleWhenSchema = z.strictObject({
  /** One event name (or a /pattern/): the action and the other conditions are read as that event's. */
  event: z
    .string({
      error: (issue) =>
        Array.isArray(issue.input) ? "event takes one event name, not a list: write one rule per event (each with its own id), or a /pattern/ like /^(issues|push)$/" : requiredKey(RULE_KEYS.event).error(issue),
    })
    .min(1, `empty: write ${RULE_KEYS.event}`),
  action: matcher.optional(),
  /** The label this `labeled` event just added. */
  labelAdded: matcher.optional(),
  /** Any label the issue or pull request carries. */
  label: matcher.optional(),
  /** true: the comment holds an `/agent` command; a string or list: one of these commands. */
  commentCommand: z.union([z.boolean(), matcher]).optional(),
  draft: z.boolean().optional(),
  merged: z.boolean().optional(),
  /** The branch: a push's branch, a pull request's base, a workflow run's head branch. */
  branch: matcher.optional(),
  /** The branch is one of routing.deployBranches (default: the repository's default branch). */
  deployBranch: z.boolean().optional(),
  /** The branch is the repository's default branch. */
  defaultBranch: z.boolean().optional(),
  tag: z.boolean().optional(),
  deleted: z.boolean().optional(),
  conclusion: matcher.optional(),
  workflow: matcher.optional(),
  repository: matcher.optional(),
  sender: matcher.optional(),
  senderType: matcher.optional(),
}, requiredKey(RULE_KEYS.when));

export const ruleSchema = z.strictObject({
  id: z.string(requiredKey(RULE_KEYS.id)).regex(/^[a-z0-9][a-z0-9-]*$/, "rule ids are lower-case words joined by dashes, like pr-opened"),
  when: ruleWhenSchema,
  agent: z.string(requiredKey(RULE_KEYS.agent)).min(1, `empty: write ${RULE_KEYS.agent}`),
  priority: z.enum(PRIORITIES, requiredKey(RULE_KEYS.priority)),
  action: z.string(requiredKey(RULE_KEYS.action)).min(1, `empty: write ${RULE_KEYS.action}`),
  continue: z.boolean().optional(),
});

export type RuleWhen = z.infer<typeof ruleWhenSchema>;
export type Rule = z.infer<typeof ruleSchema>;

/** The variables an agent is given from switchyard's environment: never one of its own secrets. */
const agentEnv = z
  .array(
    z
      .string()
      .min(1)
      .refine((name) => !NEVER_PASSED_ENV.includes(name), {
        error: (issue) => `${String(issue.input)} is never passed to an agent (it would let the agent forge deliveries, use the admin API or mint GitHub tokens): remove it`,
      }),
    listKey("env", "variable names", "[OPENAI_API_KEY]"),
  )
  .default([]);

const execExecutor = z.strictObject({
  exec: z.array(z.string().min(1), argvKey("exec", "[./agents/review.sh, --fast]")).min(1, "exec is an argv list, like [./agents/review.sh, --fast]"),
  timeout: agentTimeout.default(600_000),
  env: agentEnv,
});
/**
 * An http agent's endpoint: http(s) only, and no user:password in it — fetch refuses such a
 * URL, and the password would end up in every error message and log line.
 */
const agentUrl = z.url({ error: "not a URL: write a whole http:// or https:// URL, like https://agents.example.com/run" }).superRefine((url, ctx) => {
  // z.url() has already said what is wrong with a URL that does not parse.
  if (!URL.canParse(url)) return;
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: `${parsed.protocol} URLs cannot be called: use an http:// or https:// URL` });
  }
  if (parsed.username !== "" || parsed.password !== "") {
    ctx.addIssue({ code: "custom", message: "remove the user:password from the URL: requests are authenticated by the Standard Webhooks signature made with `secret`" });
  }
  // Every request would fail with "bad port", retried as if the agent were down.
  if (isBadPort(parsed.port)) ctx.addIssue({ code: "custom", message: badPortMessage(parsed.port) });
});

/** Why a URL on a port fetch refuses cannot be used. */
function badPortMessage(port: string): string {
  return `port ${port} is one fetch refuses to connect to (a bad port in the Fetch standard, like 25 or 6665-6669): use another port`;
}

/**
 * github.dryRun takes YAML's booleans, as every boolean key does; `yes`/`no` are strings in
 * YAML 1.2, though SWITCHYARD_DRY_RUN takes them (a variable is text either way): say so.
 */
function dryRunError(input: unknown): string {
  const shown = typeof input === "string" ? `"${input}"` : JSON.stringify(input) ?? String(input);
  const meant = typeof input === "string" ? ({ yes: "true", on: "true", no: "false", off: "false" } as Record<string, string>)[input.trim().toLowerCase()] : undefined;
  if (meant !== undefined) return `${shown} is a string in YAML, not ${meant}: write ${meant} (or auto); only the SWITCHYARD_DRY_RUN variable also takes 1/yes or 0/no`;
  return `${shown} is not auto, true or false: write auto (dry-run exactly when no credentials are set), true (record GitHub writes, send none) or false (send them)`;
}

const API_URL_EXAMPLE = "like https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server";

/**
 * The GitHub API base: http(s) only. Any other scheme passed the URL check, then failed
 * every call with a made-up HTTP 500 that was retried as if GitHub were down.
 */
const githubApiUrl = z.url({ error: `not a URL: write the API's whole http:// or https:// address, ${API_URL_EXAMPLE}` }).superRefine((url, ctx) => {
  if (!URL.canParse(url)) return;
  const { protocol, username, password } = new URL(url);
  if (protocol !== "http:" && protocol !== "https:") ctx.addIssue({ code: "custom", message: `${protocol} URLs cannot be called: write an https:// (or http://) URL, ${API_URL_EXAMPLE}` });
  // fetch refuses a URL with credentials, so every call would fail, each error quoting the
  // URL (password included) into the logs. The token goes in GITHUB_TOKEN or the App's key.
  else if (username !== "" || password !== "") {
    ctx.addIssue({ code: "custom", message: `a user:password in the URL is never sent (HTTP clients refuse it): remove it and give the credentials as GITHUB_TOKEN or the App's id and key` });
  }
  // Octokit calls GitHub through fetch: every call would fail with "bad port".
  const { port } = new URL(url);
  if (isBadPort(port)) ctx.addIssue({ code: "custom", message: badPortMessage(port) });
});

/** GitHub's `author_association` values: who wrote a comment, relative to the repository. */
export const AUTHOR_ASSOCIATIONS = ["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN", "NONE"] as const;

/** A `whsec_` secret is base64 after its prefix (Standard Webhooks); any other string is the raw key. */
const WHSEC = /^whsec_(?=.)(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const SECRET_FORMS = "secret: a string, or {env: NAME}";

/**
 * What an http agent's secret that is neither form needs, instead of zod's "Invalid input":
 * missing (and why it is required), a misspelt `env`, or a value of another type.
 */
function secretError(input: unknown): string {
  if (input === undefined) {
    return `a secret is required: every request to the agent is signed with it (Standard Webhooks), so the agent can refuse what switchyard did not send: write ${SECRET_FORMS} to read it from that environment variable`;
  }
  if (input === null) return `${SECRET_FORMS}, not empty (null)`;
  if (Array.isArray(input)) return `${SECRET_FORMS}, not a list`;
  if (typeof input === "object" && input !== null) {
    const unknown = Object.keys(input).filter((key) => key !== "env");
    if (unknown.length === 0) return SECRET_FORMS;
    const hint = unknown.length === 1 ? didYouMean(unknown[0]!, ["env"]) : "";
    return `${SECRET_FORMS}: unknown key ${unknown.map((key) => `"${key}"`).join(", ")}${hint === "" ? "" : ` (${hint.trim()})`}`;
  }
  // An unquoted number or boolean: YAML reads it as one, not as the text of a key.
  if (typeof input === "number" || typeof input === "boolean") return `${SECRET_FORMS}, not a ${typeof input}: quote it (secret: "${String(input)}")`;
  return SECRET_FORMS;
}

/** Why a secret written in the file is too short to sign with, or null (docs/agents.md). */
function literalSecretProblem(secret: string): string | null {
  // An empty or broken whsec_ secret has been told what is wrong with it already.
  if (secret === "" || (secret.startsWith("whsec_") && !WHSEC.test(secret))) return null;
  const short = shortSecretProblem(secret);
  // `${AGENT_SECRET}` is too short, but the fix is {env: AGENT_SECRET}, not a longer key.
  const variable = short === null ? null : variableReference(secret);
  return variable === null ? short : referenceProblem(secret, variable);
}

/**
 * An http agent's signing key: written in the file, or `{env: NAME}` to read it from the
 * environment where switchyard runs (a config committed to a repository holds no secret).
 */
const agentSecret = z.union(
  [
    z
      .string()
      .min(1, `an empty secret signs nothing: write ${SECRET_FORMS}`)
      .refine((secret) => !secret.startsWith("whsec_") || WHSEC.test(secret), "a whsec_ secret is base64 after the prefix, as the Standard Webhooks spec says: copy it whole, or use a plain string")
      .superRefine((secret, ctx) => {
        const problem = literalSecretProblem(secret);
        if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
      }),
    z.strictObject({ env: z.string({ error: "env names the environment variable that holds the secret, like AGENT_SECRET" }).regex(ENV_NAME, "env names an environment variable, like AGENT_SECRET") }),
  ],
  { error: (issue) => secretError(issue.input) },
);

const httpExecutor = z.strictObject({
  http: z.strictObject({ url: agentUrl, secret: agentSecret }, requiredKey("http as {url, secret}: the agent's URL, and the key each request to it is signed with")),
  timeout: agentTimeout.default(30_000),
});
const workflowExecutor = z.strictObject({
  workflow: z.strictObject(
    {
      id: z.union([z.string().min(1), z.number().int()], requiredKey("the workflow to dispatch: its file name, like agent.yml, or its numeric id")),
      ref: z.string().min(1).default("main"),
    },
    requiredKey("workflow as {id, ref}: the workflow to dispatch and the branch or tag it runs on (default main)"),
  ),
});
const builtinExecutor = z.strictObject({ builtin: z.string(requiredKey("the built-in agent to run: IssueAgent, ReviewAgent, DeploymentAgent, CoordinatorAgent, Guardian or log")).min(1) });
/**
 * A coding-agent CLI run in a git worktree of the issue's repository; switchyard commits,
 * pushes a branch of its own and opens one pull request (docs/agents.md#workspace-agents).
 */
const workspaceExecutor = z.strictObject({
  workspace: z.strictObject({
    /** argv, never a shell string; `{promptFile}` is replaced by the prompt file's path. */
    run: z.array(z.string().min(1), argvKey("run", '[my-coding-agent, --prompt-file, "{promptFile}"]')).min(1, "workspace.run is an argv list, like [my-coding-agent, --prompt-file, \"{promptFile}\"]"),
    timeout: agentTimeout.default(1_800_000),
    env: agentEnv,
    /** Author and committer of switchyard's commits: `Name <email>`. */
    author: z.string().regex(/^[^<>]+ <[^<>\s]+>$/, "author is `Name <email>`").default("switchyard <switchyard@users.noreply.github.com>"),
    /** Every branch switchyard pushes starts with it; it never pushes any other. */
    branchPrefix: z.string().min(1).regex(/^[A-Za-z0-9._/-]+$/, "branchPrefix is letters, digits, . _ / and -").default("switchyard/"),
    /** Clone URL template ({owner}, {repo}); default `$GITHUB_SERVER_URL` or https://github.com, then /{owner}/{repo}.git. */
    remote: z
      .string()
      .min(1)
      .refine((url) => !/^https?:\/\/[^/]*@/i.test(url), "remove the user:password from remote: switchyard hands git the token itself, for fetch and push only")
      .nullable()
      .default(null),
    /** Mirrors and worktrees live here (relative to the working directory). */
    dir: z.string().min(1).default(".switchyard/workspaces"),
    /** Above this, mirrors not in use are removed, least recently used first, before a run. */
    diskBudget: byteSize.default(10 * 1024 ** 3),
    /** Labels put on the pull request. */
    labels: z.array(z.string().min(1), listKey("labels", "label names", "[switchyard]")).default(["switchyard"]),
  }),
});

const EXECUTOR_SHAPES = "an agent is builtin, {exec: [argv…]}, {http: {url, secret}}, {workflow: {id, ref}} or {workspace: {run: [argv…]}}";
const EXECUTOR_KINDS = ["builtin", "exec", "http", "workflow", "workspace"];

/** The executor's shapes, led by the kind a misspelt key was meant to be (`exe:` → exec) when one is near. */
function executorError(input: unknown): string {
  // `MyAgent:` with nothing after it, as when its settings lost their indentation.
  if (input === null) return `empty (null): ${EXECUTOR_SHAPES}`;
  if (typeof input !== "object" || Array.isArray(input)) return EXECUTOR_SHAPES;
  const keys = Object.keys(input);
  if (keys.some((key) => EXECUTOR_KINDS.includes(key))) return EXECUTOR_SHAPES;
  for (const key of keys) {
    const kind = suggestName(key, EXECUTOR_KINDS);
    if (kind !== null) return `unknown key "${key}" (did you mean ${kind}?): ${EXECUTOR_SHAPES}`;
  }
  return EXECUTOR_SHAPES;
}

/** Every key an agent's mapping may hold, of any executor: how a setting written beside its agent is recognised. */
export const AGENT_SETTING_KEYS: readonly string[] = [
  ...new Set([builtinExecutor, execExecutor, httpExecutor, workflowExecutor, workspaceExecutor].flatMap((executor) => Object.keys(executor.shape))),
];

export const executorSchema = z.union([z.literal("builtin"), builtinExecutor, execExecutor, httpExecutor, workflowExecutor, workspaceExecutor], {
  error: (issue) => executorError(issue.input),
});
export type WorkspaceExecutorConfig = z.infer<typeof workspaceExecutor>["workspace"];
export type ExecutorConfig = z.infer<typeof executorSchema>;

/**
 * A webhook whose deliveries the sweep reads: a repository's (`owner/name` and the hook's
 * id), an organization's, or the GitHub App's own (read with the App's JWT).
 */
export const recoveryHookSchema = z.union(
  [
    z.strictObject({ repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "a repository is owner/name"), id: positiveInt }),
    z.strictObject({ organization: z.string().min(1), id: positiveInt }),
    z.strictObject({ app: z.literal(true) }),
  ],
  { error: "a recovery hook is {repository: owner/name, id: 123}, {organization: my-org, id: 456} or {app: true}" },
);
export type RecoveryHookConfig = z.infer<typeof recoveryHookSchema>;

const PRIVATE_KEY_FORMS = 'a PEM RSA key as GitHub downloads it ("-----BEGIN RSA PRIVATE KEY-----" …) or in PKCS#8 ("-----BEGIN PRIVATE KEY-----" …), whole, with its line breaks (or \\n in a one-line variable)';

/**
 * Why a GitHub App private key cannot sign the App's JWT, or null when it can. Checked
 * when a command that calls GitHub loads the config (load-config.ts, with the other
 * credential checks): otherwise every task would die on its first GitHub call with
 * "DataError: Invalid keyData". Never says anything of the key itself.
 */
export function privateKeyProblem(key: string): string | null {
  // The JWT library turns literal \n into newlines itself, from the file as from the variable.
  const pem = key.replace(/\\n/g, "\n");
  if (pem.includes("-----BEGIN OPENSSH PRIVATE KEY-----")) return `an OpenSSH key cannot sign GitHub App tokens: use the App's key, ${PRIVATE_KEY_FORMS}`;
  if (pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) return `the key is encrypted with a passphrase, which switchyard cannot give: use ${PRIVATE_KEY_FORMS}`;
  // The JWT library reads what lies between the first BEGIN line and the last END line as
  // one key, where OpenSSL skips what surrounds a block: text before or after it ("Bag
  // Attributes" from openssl pkcs12, a certificate appended) would pass here and fail there.
  const trimmed = pem.trim();
  const outside = trimmed.indexOf("-----BEGIN ") > 0 || trimmed.split("-----BEGIN ").length > 2 || (trimmed.includes("-----END ") && !/-----END [A-Z ]+-----$/.test(trimmed));
  if (outside) {
    return `the value must be the key's PEM block alone, from its BEGIN line to its END line: ${PRIVATE_KEY_FORMS}`;
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    return `not a private key switchyard can read: write ${PRIVATE_KEY_FORMS}`;
  }
  // GitHub signs App tokens with RS256 only.
  if (type !== "rsa") return `the key is ${type ?? "of an unknown type"}, and GitHub App tokens are signed with RSA (RS256): use ${PRIVATE_KEY_FORMS}`;
  return null;
}

/**
 * `sqlite://data.db` written as a URL: everything after `sqlite:` is the path, so it names
 * /data.db at the filesystem's root, surely not what was meant. Checked here, where the
 * error can name the key or the variable the value came from (open-store.ts checks again).
 */
function sqliteRootSlip(url: string): string | null {
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : "";
  if (!/^\/\/[^/]/.test(file)) return null;
  return `${url} names the file ${file.slice(1)}, at the filesystem's root (everything after sqlite: is the path): write sqlite:${file.slice(2)} for a file in the working directory, or sqlite:${file.slice(1)} if the root is meant`;
}

/** What one `serve` process runs: all (webhook + admin + worker), ingest (no worker), worker (no webhook listener). */
export const SERVER_ROLES = ["all", "ingest", "worker"] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

export const DEFAULT_AGENTS = ["IssueAgent", "ReviewAgent", "DeploymentAgent", "CoordinatorAgent", "Guardian"] as const;
/** The agents `{builtin: name}` may name: the five above and the log agent. */
export const BUILTIN_AGENT_NAMES: readonly string[] = [...DEFAULT_AGENTS, "log"];

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: port.default(3000),
      host: z.string().min(1).default("0.0.0.0"),
      path: z.string().startsWith("/", "server.path starts with /").default("/webhooks/github"),
      bodyLimit: byteSize.default(25 * 1024 ** 2),
      trustProxy: z.boolean().default(false),
      /** all: webhook + admin + worker; ingest: no worker; worker: no webhook listener. */
      role: z.enum(SERVER_ROLES).default("all"),
    })
    .prefault({}),
  admin: z
    .strictObject({
      port: port.default(9090),
      host: z.string().min(1).default("127.0.0.1"),
      token: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  secrets: z.array(z.string().min(1, "an empty secret verifies nothing")).default([]),
  store: z
    .strictObject({
      url: z
        .string()
        // The error names the key or the variable (formatIssue): the message does not repeat either.
        .refine((url) => /^sqlite:.+/.test(url) || /^postgres(ql)?:\/\//.test(url), "must be sqlite:PATH (e.g. sqlite:.switchyard/switchyard.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        .superRefine((url, ctx) => {
          const slip = sqliteRootSlip(url);
          if (slip !== null) ctx.addIssue({ code: "custom", message: slip });
        })
        .default("sqlite:.switchyard/switchyard.db"),
      /** PostgreSQL: connections this process keeps open (webhook commits, worker, reads). */
      poolSize: z.number().int().min(2).max(1000).default(10),
      /** PostgreSQL: a statement running longer is cancelled, so a stuck database fails requests instead of holding them. */
      statementTimeoutMs: milliseconds.pipe(z.number().int().min(100)).default(10_000),
      /**
       * How long deliveries are kept: their raw bodies (`bodies`), then their rows with their
       * tasks, attempts and GitHub writes (`rows`). Never less than the replay window.
       */
      retention: z
        .strictObject({
          bodies: duration.default(30 * 86_400_000),
          rows: duration.default(90 * 86_400_000),
        })
        .prefault({}),
    })
    .prefault({}),
  github: z
    .strictObject({
      token: z.string().min(1).nullable().default(null),
      appId: z.union([z.string().min(1), z.number().int()]).nullable().default(null),
      privateKey: z
        .string()
        .min(1)
        .nullable()
        .default(null),
      apiUrl: githubApiUrl.default("https://api.github.com"),
      dryRun: z.union([z.literal("auto"), z.boolean()], { error: (issue) => dryRunError(issue.input) }).default("auto"),
      /** Pause between writes per token or installation (GitHub's secondary-rate-limit guidance: 1 s). */
      writeIntervalMs: milliseconds.pipe(z.number().int().min(0)).default(1000),
    })
    .prefault({}),
  security: z
    .strictObject({
      ipAllowlist: z
        .strictObject({ enabled: z.boolean().default(false), cidrs: z.array(z.string().min(1)).default([]) })
        .prefault({}),
      failedAuth: z.strictObject({ max: positiveInt.default(100), windowMs: milliseconds.pipe(positiveInt).default(60_000) }).prefault({}),
      replayWindowHours: z.number().positive().default(72),
      /**
       * Off (null) by default. Failed verifications (bad signature, outside the allowlist,
       * failed-auth limit) above `threshold` within `window` open one issue in `repository`;
       * closed after `quiet` without failures (docs/security.md#security-incidents).
       */
      incidents: z
        .strictObject({
          repository: z.string(requiredKey("the repository the incident issue is opened in, owner/name")).regex(/^[^/\s]+\/[^/\s]+$/, "security.incidents.repository is owner/name, the repository the incident issue is opened in"),
          threshold: positiveInt.default(20),
          window: duration.pipe(z.number().min(1000, "security.incidents.window is at least 1s")).default(600_000),
          quiet: duration.pipe(z.number().min(1000, "security.incidents.quiet is at least 1s")).default(3_600_000),
        })
        .nullable()
        .default(null),
    })
    .prefault({}),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(100).default(3),
      initialDelayMs: milliseconds.pipe(z.number().int().min(0)).default(1000),
      maxDelayMs: milliseconds.pipe(z.number().int().min(0)).default(10_000),
      multiplier: z.number().min(1).default(2),
    })
    .prefault({}),
  worker: z
    .strictObject({
      concurrency: positiveInt.default(4),
      leaseMs: milliseconds.pipe(z.number().int().min(1000)).default(30_000),
      perAgent: z.record(z.string(), positiveInt).default({}),
      perRepository: z.strictObject({ limit: z.number(requiredKey("the most task starts per repository within windowMs, a whole number like 10")).int().positive(), windowMs: milliseconds.pipe(positiveInt).default(60_000) }).nullable().default(null),
    })
    .prefault({}),
  routing: z
    .strictObject({
      deployBranches: z.array(z.string().min(1)).default([]),
      executeLabel: z.string().min(1).default("agent-execute"),
      rules: z.array(ruleSchema).default([]),
      disable: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  commands: z
    .strictObject({
      associations: z.array(z.enum(AUTHOR_ASSOCIATIONS, { error: `an author association is one of GitHub's: ${AUTHOR_ASSOCIATIONS.join(", ")} (upper case)` })).default(["OWNER", "MEMBER", "COLLABORATOR"]),
      writeRequired: z.array(z.enum(KNOWN_COMMANDS, { error: `a command is one of ${KNOWN_COMMANDS.join(", ")}` })).default(["execute", "deploy", "rollback"]),
    })
    .prefault({}),
  agents: z
    .record(z.string(), executorSchema)
    .default({})
    .transform((agents) => ({
      ...Object.fromEntries(DEFAULT_AGENTS.map((name) => [name, "builtin" as ExecutorConfig])),
      ...agents,
    })),
  comments: z.enum(["sticky", "every", "off"]).default("sticky"),
  /** ReviewAgent: who `ready_for_review` asks for a review (logins). */
  review: z.strictObject({ reviewers: z.array(z.string().min(1)).default([]) }).prefault({}),
  /** DeploymentAgent: the environment it deploys to, and an optional workflow to dispatch per deployment. */
  deploy: z
    .strictObject({
      environment: z.string().min(1).default("production"),
      workflow: z.union([z.string().min(1), z.number().int()]).nullable().default(null),
    })
    .prefault({}),
  guardian: z.strictObject({ workflows: z.array(z.string().min(1)).default([]) }).prefault({}),
  /** The missed-delivery sweep: which webhooks point here, how often and how far back to look. */
  recovery: z
    .strictObject({
      hooks: z.array(recoveryHookSchema).default([]),
      /** serve sweeps this often; 0: only on demand (switchyard redeliver). */
      interval: duration.default(600_000),
      /** How far back a sweep reads: github.com keeps deliveries 3 days, GitHub Enterprise Server 7. */
      lookback: duration.pipe(z.number().min(MIN_LOOKBACK_MS, "recovery.lookback is at least 1m").max(MAX_LOOKBACK_MS, "recovery.lookback is at most 168h: GitHub keeps no older deliveries")).default(72 * 3_600_000),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
