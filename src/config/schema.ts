import { z } from "zod";
import { KNOWN_COMMANDS } from "../commands/parse-commands.js";
import { MAX_LOOKBACK_MS, MIN_LOOKBACK_MS } from "../recovery/parse-lookback.js";
import { DEFAULT_AGENTS, executorSchema, type ExecutorConfig } from "./agent-schema.js";
import { byteSize, duration, milliseconds, port, positiveInt } from "./config-values.js";
import { requiredKey } from "./key-messages.js";
import { NOT_IN_BRANCH_NAMES, ruleSchema } from "./rule-schema.js";
import { AUTHOR_ASSOCIATIONS, SERVER_ROLES, dryRunError, githubApiUrl, recoveryHookSchema, sqliteRootSlip } from "./server-schema.js";

/**
 * The one schema of switchyard's configuration: types, defaults, validation, and what
 * `check` prints all come from here (docs/configuration.md). Every object is strict, so a
 * misspelt key is an error that names it instead of a setting silently ignored. Its parts
 * live by section (values, rules, agents, the other sections); their names are exported
 * from here too, so callers import the config's types and schemas from one module.
 */

export { parseByteSize, parseDuration } from "./config-values.js";
export { PRIORITIES, ruleSchema, ruleWhenSchema, type Priority, type Rule, type RuleWhen } from "./rule-schema.js";
export { AGENT_SETTING_KEYS, BUILTIN_AGENT_NAMES, DEFAULT_AGENTS, executorSchema, type ExecutorConfig, type WorkspaceExecutorConfig } from "./agent-schema.js";
export { AUTHOR_ASSOCIATIONS, SERVER_ROLES, privateKeyProblem, recoveryHookSchema, type RecoveryHookConfig, type ServerRole } from "./server-schema.js";

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
          repository: z.string(requiredKey("the repository the incident issue is opened in, owner/name")).regex(/^[^/\s]+\/[^/\s]+$/, "the repository the incident issue is opened in is owner/name, like octo-org/security"),
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
      deployBranches: z
        .array(
          z
            .string()
            .min(1)
            // No branch has these (git refuses them in a name): a glob or /pattern/ here would be taken literally and match nothing.
            .refine((name) => !NOT_IN_BRANCH_NAMES.test(name) && !name.startsWith("/"), {
              message: "deploy branches are exact branch names, and this is not one (no branch holds * ? [ ] \\ ~ ^ : or spaces, or starts with /): list each branch by name, like [main, release-1.2]",
            }),
        )
        .default([]),
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
