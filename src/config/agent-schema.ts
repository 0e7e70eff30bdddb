import { z } from "zod";
import { NEVER_PASSED_ENV } from "../security/agent-env.js";
import { referenceProblem, shortSecretProblem, variableReference } from "./agent-secret-length.js";
import { agentTimeout, badPortMessage, byteSize } from "./config-values.js";
import { isBadPort } from "./is-bad-port.js";
import { argvKey, listKey, requiredKey } from "./key-messages.js";
import { didYouMean, suggestName } from "./suggest-name.js";

/** How an agent runs (`agents.NAME`, docs/agents.md): built in, or an exec, http, workflow or workspace executor. */

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

export const DEFAULT_AGENTS = ["IssueAgent", "ReviewAgent", "DeploymentAgent", "CoordinatorAgent", "Guardian"] as const;
/** The agents `{builtin: name}` may name: the five above and the log agent. */
export const BUILTIN_AGENT_NAMES: readonly string[] = [...DEFAULT_AGENTS, "log"];
