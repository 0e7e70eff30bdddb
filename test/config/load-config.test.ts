import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";
import { ENV_KEYS, readActionsEnv, readEnv } from "../../src/config/read-env.js";
import { BAD_PORTS } from "../../src/config/is-bad-port.js";
import type { Config } from "../../src/config/schema.js";
import { UsageError } from "../../src/errors.js";

/** A real App key, as GitHub downloads it (PKCS#1 PEM): the config refuses one that does not parse. */
const APP_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }) as string;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh working directory, with a switchyard.config.yaml when text is given. */
function workdir(yaml?: string, name = "switchyard.config.yaml"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-config-"));
  dirs.push(dir);
  if (yaml !== undefined) writeFileSync(path.join(dir, name), yaml);
  return dir;
}

/** Loads with nothing from the real process: its own directory and environment only. */
function load(options: { yaml?: string; env?: Record<string, string | undefined>; file?: string } = {}) {
  return loadConfig({ cwd: workdir(options.yaml), env: options.env ?? {}, file: options.file });
}

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a UsageError, nothing was thrown");
}

describe("defaults (docs/configuration.md)", () => {
  it("are exactly the documented ones", () => {
    const { config, source, rules } = load();
    expect(source).toBeNull();
    expect(rules).toHaveLength(14);
    expect(config).toEqual({
      server: { port: 3000, host: "0.0.0.0", path: "/webhooks/github", bodyLimit: 25 * 1024 * 1024, trustProxy: false, role: "all" },
      admin: { port: 9090, host: "127.0.0.1", token: null },
      secrets: [],
      store: { url: "sqlite:.switchyard/switchyard.db", poolSize: 10, statementTimeoutMs: 10_000, retention: { bodies: 30 * 86_400_000, rows: 90 * 86_400_000 } },
      // writeIntervalMs is section 9's write pacing; section 5's block does not list it yet.
      github: { token: null, appId: null, privateKey: null, apiUrl: "https://api.github.com", dryRun: "auto", writeIntervalMs: 1000 },
      security: {
        ipAllowlist: { enabled: false, cidrs: [] },
        failedAuth: { max: 100, windowMs: 60000 },
        replayWindowHours: 72,
        incidents: null,
      },
      retry: { maxRetries: 3, initialDelayMs: 1000, maxDelayMs: 10000, multiplier: 2 },
      worker: { concurrency: 4, leaseMs: 30000, perAgent: {}, perRepository: null },
      routing: { deployBranches: [], executeLabel: "agent-execute", rules: [], disable: [] },
      commands: { associations: ["OWNER", "MEMBER", "COLLABORATOR"], writeRequired: ["execute", "deploy", "rollback"] },
      agents: { IssueAgent: "builtin", ReviewAgent: "builtin", DeploymentAgent: "builtin", CoordinatorAgent: "builtin", Guardian: "builtin" },
      comments: "sticky",
      // Beyond section 5: ReviewAgent's reviewers and DeploymentAgent's environment and workflow.
      review: { reviewers: [] },
      deploy: { environment: "production", workflow: null },
      guardian: { workflows: [] },
      recovery: { hooks: [], interval: 600_000, lookback: 72 * 3_600_000 },
    });
  });

  it("are frozen", () => {
    const { config } = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it("an empty file is the defaults", () => {
    const { config, source } = load({ yaml: "# nothing yet\n" });
    expect(source).toMatch(/switchyard\.config\.yaml$/);
    expect(config.server.port).toBe(3000);
  });
});

describe("environment overrides", () => {
  const cases: [string, string, (c: ReturnType<typeof load>["config"]) => unknown, unknown][] = [
    ["PORT", "8080", (c) => c.server.port, 8080],
    ["SWITCHYARD_ROLE", "Worker", (c) => c.server.role, "worker"],
    ["SWITCHYARD_HOST", " 127.0.0.1 ", (c) => c.server.host, "127.0.0.1"],
    ["ADMIN_PORT", "9191", (c) => c.admin.port, 9191],
    ["ADMIN_TOKEN", "t0ken", (c) => c.admin.token, "t0ken"],
    ["WEBHOOK_SECRET", "new-secret, old-secret,,", (c) => c.secrets, ["new-secret", "old-secret"]],
    ["DATABASE_URL", "postgres://u:p@db:5432/switchyard", (c) => c.store.url, "postgres://u:p@db:5432/switchyard"],
    ["GITHUB_TOKEN", "ghp_abc", (c) => c.github.token, "ghp_abc"],
    ["GITHUB_APP_ID", "12345", (c) => c.github.appId, "12345"],
    [
      "GITHUB_APP_PRIVATE_KEY",
      APP_KEY.replace(/\n/g, "\\n"),
      (c) => c.github.privateKey,
      APP_KEY,
    ],
    ["GITHUB_API_URL", "https://ghe.example.com/api/v3", (c) => c.github.apiUrl, "https://ghe.example.com/api/v3"],
    ["SWITCHYARD_DRY_RUN", "auto", (c) => c.github.dryRun, "auto"],
    ["RATE_LIMIT_MAX", "5", (c) => c.security.failedAuth.max, 5],
    ["RATE_LIMIT_WINDOW", "1000", (c) => c.security.failedAuth.windowMs, 1000],
    ["RETRY_MAX_ATTEMPTS", "0", (c) => c.retry.maxRetries, 0],
    ["RETRY_INITIAL_DELAY", "250", (c) => c.retry.initialDelayMs, 250],
    ["RETRY_MAX_DELAY", "60000", (c) => c.retry.maxDelayMs, 60000],
    ["RETRY_MULTIPLIER", "1.5", (c) => c.retry.multiplier, 1.5],
  ];

  it("every variable of section 5 has a case here", () => {
    expect(cases.map(([name]) => name).sort()).toEqual(Object.keys(ENV_KEYS).sort());
  });

  // App auth needs both halves; each case supplies the other one.
  const companions: Record<string, Record<string, string>> = {
    GITHUB_APP_ID: { GITHUB_APP_PRIVATE_KEY: APP_KEY },
    GITHUB_APP_PRIVATE_KEY: { GITHUB_APP_ID: "1" },
  };

  it.each(cases)("%s=%j", (name, value, pick, expected) => {
    expect(pick(load({ env: { [name]: value, ...companions[name] } }).config)).toEqual(expected);
  });

  it.each([
    ["1", true],
    ["true", true],
    ["YES", true],
    ["0", false],
    ["false", false],
    ["no", false],
  ])("SWITCHYARD_DRY_RUN=%s → %s", (value, expected) => {
    expect(load({ env: { SWITCHYARD_DRY_RUN: value, GITHUB_TOKEN: "t" } }).config.github.dryRun).toBe(expected);
  });

  it("a private key with real newlines is kept as it is", () => {
    expect(load({ env: { GITHUB_APP_PRIVATE_KEY: APP_KEY, GITHUB_APP_ID: "1" } }).config.github.privateKey).toBe(APP_KEY);
  });

  it("refuses a private key that cannot sign the App's JWT, naming where it came from and never showing it", () => {
    const fromEnv = usageError(() => load({ env: { GITHUB_APP_ID: "123", GITHUB_APP_PRIVATE_KEY: "notapem" } })).message;
    expect(fromEnv).toMatch(/^environment: GITHUB_APP_PRIVATE_KEY="…" \(github\.privateKey\): not a private key switchyard can read: write a PEM RSA key .*-----BEGIN RSA PRIVATE KEY-----.*PKCS#8/);
    expect(fromEnv).not.toContain("notapem");
    // A key cut short (the last lines lost in a paste) does not parse either.
    const cut = APP_KEY.split("\n").slice(0, 5).join("\n");
    expect(usageError(() => load({ yaml: `github: { appId: 1, privateKey: ${JSON.stringify(cut)} }` })).message).toMatch(/^switchyard\.config\.yaml: github\.privateKey: not a private key/);
    // An EC key parses, but GitHub App tokens are RS256.
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(usageError(() => load({ env: { GITHUB_APP_ID: "1", GITHUB_APP_PRIVATE_KEY: ec } })).message).toMatch(/the key is ec, and GitHub App tokens are signed with RSA/);
  });

  it("refuses an App key with text around its PEM block, which OpenSSL skips but the JWT library would read as key", () => {
    for (const key of [`Bag Attributes\n    localKeyID: 01 00\n${APP_KEY}`, `${APP_KEY}\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`]) {
      expect(usageError(() => load({ env: { GITHUB_APP_ID: "1", GITHUB_APP_PRIVATE_KEY: key } })).message).toMatch(
        /^environment: GITHUB_APP_PRIVATE_KEY="…" \(github\.privateKey\): the value must be the key's PEM block alone/,
      );
    }
  });

  it("checks the App key only for a command that calls GitHub: a reading command loads a stale one", () => {
    const env = { GITHUB_APP_ID: "1", GITHUB_APP_PRIVATE_KEY: "/etc/switchyard/app.pem" };
    expect(loadConfig({ cwd: workdir(""), env, needsGitHub: false }).config.github.appId).toBe("1");
    expect(usageError(() => loadConfig({ cwd: workdir(""), env })).message).toMatch(/GITHUB_APP_PRIVATE_KEY="…" \(github\.privateKey\): not a private key/);
  });

  it("takes an App key in PKCS#8 too, and one with literal \\n in the file (the JWT library unescapes them)", () => {
    const pkcs8 = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(load({ env: { GITHUB_APP_ID: "1", GITHUB_APP_PRIVATE_KEY: pkcs8 } }).config.github.privateKey).toBe(pkcs8);
    // Single-quoted YAML keeps the backslashes as written.
    expect(load({ yaml: `github: { appId: 1, privateKey: '${APP_KEY.replace(/\n/g, "\\n")}' }` }).config.github.appId).toBe(1);
  });

  it("refuses settings that cannot work together, naming the fix", () => {
    expect(usageError(() => load({ env: { SWITCHYARD_DRY_RUN: "0" } })).message).toMatch(/^environment: github\.dryRun is false \(SWITCHYARD_DRY_RUN="0"\) but no GitHub credentials are set: set GITHUB_TOKEN/);
    // Set in the file, it is the file's key that is named, not a variable nobody set.
    const fromFile = usageError(() => load({ yaml: "github: { dryRun: false }" })).message;
    expect(fromFile).toMatch(/github\.dryRun is false but no GitHub credentials are set/);
    expect(fromFile).not.toContain("SWITCHYARD_DRY_RUN");
    expect(usageError(() => load({ env: { GITHUB_APP_ID: "1" } })).message).toMatch(/github.appId and github.privateKey go together/);
    expect(usageError(() => load({ yaml: "security: { ipAllowlist: { enabled: true, cidrs: [10.0.0.0/33] } }" })).message).toMatch(
      /security\.ipAllowlist\.cidrs: .*10\.0\.0\.0\/33/,
    );
    expect(usageError(() => load({ yaml: "agents: { IssueAgent: { builtin: NoSuchAgent } }" })).message).toMatch(/agents\.IssueAgent\.builtin: no built-in agent is called "NoSuchAgent"/);
  });

  it("leaves the credentials unchecked for a command that never calls GitHub (needsGitHub: false)", () => {
    const cwd = workdir("github: { dryRun: false, appId: 123 }");
    // The service's environment holds GITHUB_APP_PRIVATE_KEY; this shell does not.
    expect(loadConfig({ cwd, env: {}, needsGitHub: false }).config.github.dryRun).toBe(false);
    expect(usageError(() => loadConfig({ cwd, env: {} })).message).toMatch(/github\.dryRun is false but no GitHub credentials are set/);
  });

  it("refuses a GitHub API URL with a user:password, never echoing the password", () => {
    const message = usageError(() => load({ env: { GITHUB_API_URL: "http://apiuser:apipass@127.0.0.1:9701" } })).message;
    expect(message).toMatch(/GITHUB_API_URL=.*\(github\.apiUrl\): a user:password in the URL is never sent/);
    expect(message).not.toContain("apipass");
  });

  it("refuses a GitHub API URL that is not http(s), from the file or the variable", () => {
    expect(usageError(() => load({ yaml: "github: { apiUrl: ftp://127.0.0.1/x }" })).message).toMatch(
      /^switchyard\.config\.yaml: github\.apiUrl: ftp: URLs cannot be called: write an https:\/\/ \(or http:\/\/\) URL, like https:\/\/api\.github\.com/,
    );
    expect(usageError(() => load({ env: { GITHUB_API_URL: "file:///etc/passwd" } })).message).toMatch(/^environment: GITHUB_API_URL="file:\/\/\/etc\/passwd" \(github\.apiUrl\): file: URLs cannot be called/);
    expect(usageError(() => load({ env: { GITHUB_API_URL: "api.github.com" } })).message).toMatch(/github\.apiUrl\): not a URL: write the API's whole http:\/\/ or https:\/\/ address/);
    expect(load({ env: { GITHUB_API_URL: "http://127.0.0.1:8080/api/v3" } }).config.github.apiUrl).toBe("http://127.0.0.1:8080/api/v3");
  });

  it("github.dryRun in the file names its values; yes/no, strings in YAML, are answered with the boolean meant", () => {
    expect(usageError(() => load({ yaml: "github: { dryRun: no }" })).message).toBe(
      'switchyard.config.yaml: github.dryRun: "no" is a string in YAML, not false: write false (or auto); only the SWITCHYARD_DRY_RUN variable also takes 1/yes or 0/no',
    );
    expect(usageError(() => load({ yaml: "github: { dryRun: yes }" })).message).toMatch(/"yes" is a string in YAML, not true: write true/);
    expect(usageError(() => load({ yaml: "github: { dryRun: maybe }" })).message).toMatch(/github\.dryRun: "maybe" is not auto, true or false: write auto \(dry-run exactly when no credentials are set\), true .* or false/);
    // Every other boolean key says the same of yes/no.
    expect(usageError(() => load({ yaml: "server: { trustProxy: yes }" })).message).toMatch(/server\.trustProxy: .*expected boolean.*: write true or false, unquoted \(yes, no, on and off are strings in YAML\)/);
  });

  it("refuses a first retry delay longer than the cap, which would make it meaningless", () => {
    expect(usageError(() => load({ yaml: "retry: { initialDelayMs: 5000, maxDelayMs: 100 }" })).message).toBe(
      "switchyard.config.yaml: retry.initialDelayMs (5000 ms) is longer than retry.maxDelayMs (100 ms), the cap: every retry would wait about 100 ms. Make the first delay at most the cap",
    );
    expect(usageError(() => load({ env: { RETRY_INITIAL_DELAY: "5000", RETRY_MAX_DELAY: "100" } })).message).toMatch(/^environment: RETRY_INITIAL_DELAY \(5000 ms\) is longer than RETRY_MAX_DELAY \(100 ms\)/);
    // One set by a variable, the other by default: the variable is named, and the environment leads.
    expect(usageError(() => load({ env: { RETRY_INITIAL_DELAY: "20s" } })).message).toMatch(/^environment: RETRY_INITIAL_DELAY \(20000 ms\) is longer than retry\.maxDelayMs \(10000 ms\)/);
    expect(load({ yaml: "retry: { initialDelayMs: 100, maxDelayMs: 100 }" }).config.retry.initialDelayMs).toBe(100);
  });

  it("an unknown YAML tag or directive is the config error, never a Node process warning", () => {
    const emitWarning = vi.spyOn(process, "emitWarning");
    try {
      expect(usageError(() => load({ yaml: 'x: !!js/function "f"\n' })).message).toBe(
        "switchyard.config.yaml: Unresolved tag: tag:yaml.org,2002:js/function at line 1, column 4: switchyard's config is plain YAML: remove the tag",
      );
      expect(usageError(() => load({ yaml: "%FOO bar\n---\nserver: { port: 1 }\n" })).message).toBe("switchyard.config.yaml: Unknown directive %FOO at line 1, column 1: remove it");
      expect(emitWarning).not.toHaveBeenCalled();
    } finally {
      emitWarning.mockRestore();
    }
  });

  it("env beats the file", () => {
    const yaml = "server:\n  port: 4000\n  host: 127.0.0.1\nsecrets: [from-file]\nretry:\n  maxRetries: 5\n";
    const { config } = load({ yaml, env: { PORT: "5000", WEBHOOK_SECRET: "from-env" } });
    expect(config.server.port).toBe(5000);
    expect(config.secrets).toEqual(["from-env"]);
    // What the environment does not name still comes from the file.
    expect(config.server.host).toBe("127.0.0.1");
    expect(config.retry.maxRetries).toBe(5);
  });

  it("an empty variable counts as unset", () => {
    const yaml = "server:\n  port: 4000\n";
    const { config } = load({ yaml, env: { PORT: "", ADMIN_TOKEN: "", WEBHOOK_SECRET: " ", SWITCHYARD_DRY_RUN: "", RETRY_MULTIPLIER: "" } });
    expect(config.server.port).toBe(4000);
    expect(config.admin.token).toBeNull();
    expect(config.secrets).toEqual([]);
    expect(config.github.dryRun).toBe("auto");
    expect(config.retry.multiplier).toBe(2);
    expect(readEnv({ PORT: "", GITHUB_TOKEN: "" })).toEqual({});
  });

  it("readEnv is pure: it only reads the environment it is given", () => {
    expect(readEnv({})).toEqual({});
    expect(readEnv({ PORT: "1", UNRELATED: "x" })).toEqual({ server: { port: 1 } });
  });

  it("readActionsEnv reads the Actions variables, empty as unset", () => {
    expect(readActionsEnv({ GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: "/tmp/e.json", GITHUB_RUN_ID: "" })).toEqual({
      eventName: "push",
      eventPath: "/tmp/e.json",
      runId: null,
    });
  });
});

describe("the config file", () => {
  it("switchyard.config.yaml in the working directory is picked up", () => {
    const yaml = [
      "server:",
      "  port: 4000",
      "  bodyLimit: 1mb",
      "routing:",
      "  deployBranches: [release]",
      "  rules:",
      "    - id: vip",
      "      when: { event: issues, action: opened }",
      "      agent: IssueAgent",
      "      priority: critical",
      "      action: Triage",
      "agents:",
      "  ReviewAgent:",
      "    exec: [./agents/review.sh, --fast]",
      "    timeout: 10m",
      "comments: every",
    ].join("\n");
    const { config, rules, source } = load({ yaml });
    expect(source).toMatch(/switchyard\.config\.yaml$/);
    expect(config.server.port).toBe(4000);
    expect(config.server.bodyLimit).toBe(1024 * 1024);
    expect(config.routing.deployBranches).toEqual(["release"]);
    expect(config.agents.ReviewAgent).toEqual({ exec: ["./agents/review.sh", "--fast"], timeout: 600_000, env: [] });
    expect(config.agents.IssueAgent).toBe("builtin");
    expect(config.comments).toBe("every");
    expect(rules.map((r) => r.id)).toContain("vip");
  });

  it("--config FILE is read relative to the working directory", () => {
    const cwd = workdir("server:\n  port: 4100\n", "other.yaml");
    const { config, source } = loadConfig({ cwd, env: {}, file: "other.yaml" });
    expect(config.server.port).toBe(4100);
    expect(source).toBe(path.join(cwd, "other.yaml"));
  });

  it("--config with a missing file is an error", () => {
    const error = usageError(() => load({ file: "missing.yaml" }));
    expect(error.message).toMatch(/^config file .*missing\.yaml does not exist: check the --config path$/);
  });

  it("--config naming a directory says so", () => {
    const error = usageError(() => load({ file: "." }));
    expect(error.message).toMatch(/^config file .* is a directory: name the YAML file in it$/);
  });
});

describe("keys in milliseconds (*Ms) take a number of milliseconds or a duration, as timeout: does", () => {
  it.each([
    ["retry: { initialDelayMs: 1s, maxDelayMs: 10s }", (c: Config) => [c.retry.initialDelayMs, c.retry.maxDelayMs], [1000, 10_000]],
    ["retry: { initialDelayMs: 250, maxDelayMs: 2m }", (c: Config) => [c.retry.initialDelayMs, c.retry.maxDelayMs], [250, 120_000]],
    ["worker: { leaseMs: 1m, perRepository: { limit: 5, windowMs: 1h } }", (c: Config) => [c.worker.leaseMs, c.worker.perRepository?.windowMs], [60_000, 3_600_000]],
    ["security: { failedAuth: { windowMs: 5m } }", (c: Config) => [c.security.failedAuth.windowMs], [300_000]],
    ["store: { statementTimeoutMs: 30s }", (c: Config) => [c.store.statementTimeoutMs], [30_000]],
    ["github: { writeIntervalMs: 500ms }", (c: Config) => [c.github.writeIntervalMs], [500]],
  ])("%s", (yaml, pick, expected) => {
    expect(pick(load({ yaml }).config)).toEqual(expected);
  });

  it("a duration that is not one, or below a key's minimum, is refused naming the key", () => {
    expect(usageError(() => load({ yaml: "retry: { maxDelayMs: soon }" })).message).toBe(
      'switchyard.config.yaml: retry.maxDelayMs: "soon" is not a duration: write milliseconds or a number with ms, s, m, h or d, like 10m',
    );
    expect(usageError(() => load({ yaml: "worker: { leaseMs: 500ms }" })).message).toMatch(/^switchyard\.config\.yaml: worker\.leaseMs: out of range: write 1s or more$/);
    // Durations compare as the milliseconds they are.
    expect(usageError(() => load({ yaml: "retry: { initialDelayMs: 1m, maxDelayMs: 10s }" })).message).toMatch(/^switchyard\.config\.yaml: retry\.initialDelayMs \(60000 ms\) is longer than retry\.maxDelayMs \(10000 ms\)/);
  });
});

describe("ports fetch refuses", () => {
  it("are exactly the Fetch standard's bad ports, as Node's fetch refuses them", async () => {
    expect(BAD_PORTS).toEqual([
      1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389,
      427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
      6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
    ]);
    // fetch refuses these before connecting, so this asks no network: each says "bad port".
    const refused = await Promise.all(BAD_PORTS.map((port) => fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then(() => null, (error: Error) => (error.cause as Error | undefined)?.message)));
    expect(new Set(refused)).toEqual(new Set(["bad port"]));
  });

  it("leave the URL's other ports, and the default ones, alone", () => {
    const agent = (url: string) => load({ yaml: `agents:\n  A: { http: { url: "${url}", secret: s3cret-agent-key-0000 } }\nrouting:\n  rules:\n    - { id: x, when: { event: push }, agent: A, priority: low, action: y }\n` });
    for (const url of ["http://127.0.0.1:6001/run", "https://h.example/run", "http://h.example:80/run", "https://h.example:8443/run"]) expect(() => agent(url), url).not.toThrow();
  });
});

describe("bad input names the problem", () => {
  it.each([
    ["unknown key", "server:\n  prot: 3000\n", /^switchyard\.config\.yaml: unknown key "server\.prot" \(did you mean port\?\): remove it or check its spelling/],
    ["unknown top-level key", "servre: {}\n", /unknown key "servre"/],
    ["unknown key in a rule", "routing:\n  rules:\n    - { id: x, when: { event: push, brnach: main }, agent: A, priority: low, action: y }\n", /unknown key "routing\.rules\[0\]\.when\.brnach"/],
    ["a typo of a known key, named", "retry:\n  initialDelay: 5\n", /unknown key "retry\.initialDelay" \(did you mean initialDelayMs\?\): remove it/],
    ["a typo in a rule, named", "routing:\n  rules:\n    - { id: x, when: { event: push, brnach: main }, agent: A, priority: low, action: y }\n", /"routing\.rules\[0\]\.when\.brnach" \(did you mean branch\?\)/],
    ["no guess for a key like none", "retry:\n  frobnicate: 5\n", /unknown key "retry\.frobnicate": remove it/],
    ["a key typed short, named by the one key that extends it", "retry:\n  initial: 200\n", /unknown key "retry\.initial" \(did you mean initialDelayMs\?\): remove it/],
    ["a short key several keys extend, and near none: no guess", "retry:\n  max: 5\n", /unknown key "retry\.max": remove it/],
    ["a key one level too high, named where it goes", "rules:\n  - { id: x, when: { event: push }, agent: A, priority: low, action: y }\n", /unknown key "rules" \(did you mean routing\.rules\?\): remove it/],
    ["an exec agent's setting on an http agent, named as such (it was 'did you mean env?')", "agents:\n  A: { http: { url: 'https://h.example/run', secret: 0123456789abcdef0123 }, env: [FOO] }\n", /"agents\.A\.env" is not a setting of this agent's executor: env goes with exec; an agent has one executor/],
    ["a setting two executors take, on a third", "agents:\n  A: { workflow: { id: x.yml }, timeout: 5m }\n", /"agents\.A\.timeout" is not a setting of this agent's executor: timeout goes with exec or http;/],
    ["a key one level too high with two homes, both named", "port: 8080\n", /unknown key "port" \(did you mean server\.port or admin\.port\?\)/],
    ["a rule's event under event:, named when", "routing:\n  rules:\n    - { id: x, event: push, agent: A, priority: low, action: y }\n", /unknown key "routing\.rules\[0\]\.event" \(did you mean when\?\)/],
    ["a rule's event under on:, named when", "routing:\n  rules:\n    - { id: x, on: push, agent: A, priority: low, action: y }\n", /unknown key "routing\.rules\[0\]\.on" \(did you mean when\?\)/],
    ["a rule's event under events:, named when", "routing:\n  rules:\n    - { id: x, events: [push], agent: A, priority: low, action: y }\n", /unknown key "routing\.rules\[0\]\.events" \(did you mean when\?\)/],
    ["events: inside when is a typo of event, not when", "routing:\n  rules:\n    - { id: x, when: { events: push }, agent: A, priority: low, action: y }\n", /unknown key "routing\.rules\[0\]\.when\.events" \(did you mean event\?\)/],
    ["wrong type", "server:\n  port: '3000'\n", /server\.port: write a number, unquoted \(not "3000"\)$/],
    ["a single value for a list", "secrets: short\n", /secrets: write a list, \[a, b\] or one "- item" per line, not a single value$/],
    ["out of range", "server:\n  port: 70000\n", /server\.port: /],
    ["a zero body limit", 'server:\n  bodyLimit: "0"\n', /server\.bodyLimit: "0" is not a size: write a positive number/],
    ["a body limit that rounds to zero", "server:\n  bodyLimit: 0.0001kb\n", /server\.bodyLimit: "0\.0001kb" is not a size/],
    ["an http agent URL with a password", 'agents:\n  A: { http: { url: "http://u:pw@127.0.0.1:1/x", secret: s3cret-agent-key-0000 } }\n', /agents\.A\.http\.url: remove the user:password from the URL/],
    ["an http agent URL on a port fetch refuses", 'agents:\n  A: { http: { url: "http://127.0.0.1:6000/run", secret: s3cret-agent-key-0000 } }\n', /^switchyard\.config\.yaml: agents\.A\.http\.url: port 6000 is one fetch refuses to connect to \(a bad port in the Fetch standard, like 25 or 6665-6669\): use another port$/],
    ["an https agent URL on a port fetch refuses", 'agents:\n  A: { http: { url: "https://h.example:10080/run", secret: s3cret-agent-key-0000 } }\n', /agents\.A\.http\.url: port 10080 is one fetch refuses/],
    ["a GitHub API URL on a port fetch refuses", 'github:\n  apiUrl: "http://127.0.0.1:22/api/v3"\n', /^switchyard\.config\.yaml: github\.apiUrl: port 22 is one fetch refuses to connect to/],
    ["an http agent URL that is not http", 'agents:\n  A: { http: { url: "ftp://h/x", secret: s3cret-agent-key-0000 } }\n', /agents\.A\.http\.url: ftp: URLs cannot be called/],
    ["a lower-case author association", "commands:\n  associations: [owner]\n", /commands\.associations\[0\]: an author association is one of GitHub's: OWNER, MEMBER/],
    ["an unknown write-required command", "commands:\n  writeRequired: [fly]\n", /commands\.writeRequired\[0\]: a command is one of analyze, execute/],
    ["bad enum", "comments: loud\n", /comments: "loud" is not one of sticky, every, off: write one of them$/],
    ["a misspelt enum, its nearest named", "comments: stickyy\n", /comments: "stickyy" is not one of sticky, every, off: did you mean sticky\?$/],
    ["a list for an enum, named as a list", "comments: [sticky]\n", /comments: a list is not one of sticky, every, off: write one of them$/],
    ["a token pasted into an enum, not echoed", "server:\n  role: ghp_abcdefabcdefabcdefabcdefabcdefabcdef12\n", /server\.role: a string is not one of all, ingest, worker: write one of them$/],
    ["a URL in a number, not echoed", "server:\n  port: 'postgres://admin:hunter2@db/x'\n", /server\.port: write a number, unquoted \(not a string\)$/],
    ["bad priority", "routing:\n  rules:\n    - { id: x, when: { event: push }, agent: A, priority: urgent, action: y }\n", /routing\.rules\[0\]\.priority: is "urgent": write the rule's priority, critical, high, medium or low/],
    // A required key missing or of another type says what it is, never "expected string, received undefined".
    [
      "a rule without action",
      "routing:\n  rules:\n    - { id: x, when: { event: push }, agent: A, priority: low }\n",
      /^switchyard\.config\.yaml: routing\.rules\[0\]\.action: missing: write the rule's action, a short description of what the task does, shown in the routing comment and by `tasks`, like "Label the issue"$/,
    ],
    ["a rule with an empty action", "routing:\n  rules:\n    - { id: x, when: { event: push }, agent: A, priority: low, action: '' }\n", /routing\.rules\[0\]\.action: empty: write the rule's action, a short description/],
    ["a rule without agent", "routing:\n  rules:\n    - { id: x, when: { event: push }, priority: low, action: y }\n", /routing\.rules\[0\]\.agent: missing: write the agent the rule's task goes to: a built-in one/],
    ["a rule without priority", "routing:\n  rules:\n    - { id: x, when: { event: push }, agent: A, action: y }\n", /routing\.rules\[0\]\.priority: missing: write the rule's priority, critical, high, medium or low/],
    ["a rule without id", "routing:\n  rules:\n    - { when: { event: push }, agent: A, priority: low, action: y }\n", /routing\.rules\[0\]\.id: missing: write the rule's id, lower-case words joined by dashes/],
    ["a rule without an event", "routing:\n  rules:\n    - { id: x, when: { action: opened }, agent: A, priority: low, action: y }\n", /routing\.rules\[0\]\.when\.event: missing: write the GitHub webhook event the rule routes/],
    ["an action that is a number", "routing:\n  rules:\n    - { id: x, when: { event: push }, agent: A, priority: low, action: 5 }\n", /routing\.rules\[0\]\.action: is a number \(5\): write the rule's action/],
    ["exec as a shell string", 'agents:\n  A: { exec: "./x.sh --fast" }\n', /^switchyard\.config\.yaml: agents\.A\.exec: exec is an argv list, not a shell string \(no shell reads it\): write exec: \["\.\/x\.sh", "--fast"\]$/],
    ["a workspace run as a shell string", 'agents:\n  A: { workspace: { run: "claude -p" } }\n', /agents\.A\.workspace\.run: run is an argv list, not a shell string \(no shell reads it\): write run: \["claude", "-p"\]/],
    ["an agent's env as one string", 'agents:\n  A: { exec: [./x.sh], env: "A_KEY, B_KEY" }\n', /agents\.A\.env: env is a list of variable names, not "A_KEY, B_KEY": write env: \["A_KEY", "B_KEY"\]/],
    ["a negative timeout", "agents:\n  A: { exec: [./x.sh], timeout: -5 }\n", /^switchyard\.config\.yaml: agents\.A\.timeout: -5 is below zero: a timeout is positive, a number of milliseconds or a duration like 5m \(0 turns the limit off\)$/],
    ["a negative duration with a unit", "agents:\n  A: { http: { url: 'https://a.example/', secret: 0123456789abcdef }, timeout: -5s }\n", /agents\.A\.timeout: -5s is below zero: a timeout is positive/],
    ["a negative duration elsewhere", "worker:\n  leaseMs: -5\n", /worker\.leaseMs: -5 is below zero: write a number of milliseconds, or a duration/],
    ["a workflow agent without id", "agents:\n  A: { workflow: { ref: main } }\n", /agents\.A\.workflow\.id: missing: write the workflow to dispatch: its file name, like agent\.yml, or its numeric id/],
    ["an http agent written empty", "agents:\n  A: { http: null }\n", /agents\.A\.http: is empty \(null\): write http as \{url, secret\}/],
    ["a builtin agent written empty", "agents:\n  A: { builtin: null }\n", /agents\.A\.builtin: is empty \(null\): write the built-in agent to run/],
    ["a per-repository limit missing", "worker:\n  perRepository: { windowMs: 1m }\n", /worker\.perRepository\.limit: missing: write the most task starts per repository/],
    ["bad bodyLimit", "server:\n  bodyLimit: 25 parsecs\n", /server\.bodyLimit: "25 parsecs" is not a size: write a positive number of bytes, or one with kb, mb or gb, like 25mb/],
    ["bad duration", "agents:\n  ReviewAgent:\n    exec: [./review.sh]\n    timeout: soon\n", /agents\.ReviewAgent\.timeout: "soon" is not a duration: write milliseconds or a number with ms, s, m, h or d, like 10m/],
    ["bad agent executor", "agents:\n  ReviewAgent: magic\n", /agents\.ReviewAgent: an agent is builtin, \{exec: \[argv…\]\}/],
    ["bad store url", "store:\n  url: mysql://db\n", /store\.url: must be sqlite:PATH \(e\.g\. sqlite:\.switchyard\/switchyard\.db\) or postgres:\/\//],
    ["bad rule id", "routing:\n  rules:\n    - { id: Bad_Id, when: { event: push }, agent: A, priority: low, action: y }\n", /routing\.rules\[0\]\.id: rule ids are lower-case words joined by dashes, like pr-opened, not "Bad_Id"$/],
    ["a URL that is not one, never quoted (it may hold credentials)", "agents:\n  A: { http: { url: 'https://bot:hunter2@agents example.com/run', secret: 0123456789abcdef } }\n", /^(?![\s\S]*hunter2)[\s\S]*agents\.A\.http\.url: /],
    ["an incidents repository without its owner", "security:\n  incidents: { repository: octo }\n", /security\.incidents\.repository: the repository the incident issue is opened in is owner\/name, like octo-org\/security, not "octo"$/],
    ["bad regex in a rule condition", "routing:\n  rules:\n    - { id: x, when: { event: push, branch: '/[/' }, agent: A, priority: low, action: y }\n", /routing\.rules\[0\]\.when\.branch: \/\[\/ is not a valid regular expression/],
    [
      "duplicate rule id",
      "routing:\n  rules:\n    - { id: x, when: { event: push }, agent: A, priority: low, action: y }\n    - { id: x, when: { event: push }, agent: B, priority: low, action: z }\n",
      /routing\.rules\[1\]\.id: "x" appears twice/,
    ],
    ["unknown id in routing.disable", "routing:\n  disable: [pr-opend]\n", /routing\.disable\[0\]: no rule has id "pr-opend": did you mean pr-opened\? \(ids: issue-agent-execute, /],
    ["a typo in an agent's executor kind, named", "agents:\n  IssueAgent: { exe: [./x.sh] }\n", /agents\.IssueAgent: unknown key "exe" \(did you mean exec\?\): an agent is builtin, /],
    ["a typo inside an agent's executor, named", "agents:\n  IssueAgent: { exec: [./x.sh], timout: 5s }\n", /unknown key "agents\.IssueAgent\.timout" \(did you mean timeout\?\)/],
    ["a key one level too low, named where it goes", "agents:\n  IssueAgent: { http: { url: 'https://a.example/', secret: s3cret-agent-key-0000, timeout: 5s } }\n", /unknown key "agents\.IssueAgent\.http\.timeout" \(did you mean agents\.IssueAgent\.timeout\?\)/],
    ["bad YAML", "server:\n  port: [3000\n", /^switchyard\.config\.yaml is not valid YAML: .*line \d+, column \d+$/],
    ["a top-level YAML list", "- server\n- routing\n", /^switchyard\.config\.yaml must be a YAML mapping of sections/],
    ["a top-level scalar", "just words\n", /must be a YAML mapping/],
  ])("%s", (_, yaml, message) => {
    const error = usageError(() => load({ yaml }));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("\n");
  });

  it("an agent whose settings are not indented under it is named empty, and its settings told to move under it", () => {
    const yaml = "agents:\n  MyAgent:\n  exec: [./a.js]\n  timeout: 10s\nrouting:\n  rules:\n    - { id: x, when: { event: push }, agent: MyAgent, priority: low, action: y }\n";
    expect(usageError(() => load({ yaml })).message).toBe(
      'switchyard.config.yaml: agents.MyAgent: "MyAgent" is empty (null), and exec:, timeout: beside it look like its settings: indent them under MyAgent: (deeper than it)',
    );
  });

  it("settings under-indented after two empty agents go to the agent each follows; other errors stay", () => {
    const yaml = "agents:\n  A:\n  exec: [./a.js]\n  B:\n  http: { url: 'https://b.example/', secret: s3cret-agent-key-0000 }\n  timeout: 5s\nserver:\n  prot: 1\n";
    expect(usageError(() => load({ yaml })).message).toBe(
      'switchyard.config.yaml: unknown key "server.prot" (did you mean port?): remove it or check its spelling (docs/configuration.md lists every key); ' +
        'agents.A: "A" is empty (null), and exec: beside it looks like its settings: indent it under A: (deeper than it); ' +
        'agents.B: "B" is empty (null), and http:, timeout: beside it look like its settings: indent them under B: (deeper than it)',
    );
  });

  it.each([
    [
      "missing",
      "{ url: 'https://h.example/run' }",
      "a secret is required: every request to the agent is signed with it (Standard Webhooks), so the agent can refuse what switchyard did not send: write secret: a string, or {env: NAME} to read it from that environment variable",
    ],
    ["with ENV for env", "{ url: 'https://h.example/run', secret: { ENV: X } }", 'secret: a string, or {env: NAME}: unknown key "ENV" (did you mean env?)'],
    ["a list", "{ url: 'https://h.example/run', secret: [a, b] }", "secret: a string, or {env: NAME}, not a list"],
    ["empty", "{ url: 'https://h.example/run', secret: }", "secret: a string, or {env: NAME}, not empty (null)"],
    ["an empty string", "{ url: 'https://h.example/run', secret: '' }", "an empty secret signs nothing: write secret: a string, or {env: NAME}"],
    ["a number", "{ url: 'https://h.example/run', secret: 42 }", "secret: a string, or {env: NAME}, not a number: quote it (secret: \"42\")"],
  ])("an http agent's secret %s says what it takes", (_, http, message) => {
    expect(usageError(() => load({ yaml: `agents:\n  IssueAgent: { http: ${http} }\n` })).message).toBe(`switchyard.config.yaml: agents.IssueAgent.http.secret: ${message}`);
  });

  it("an http agent's secret keeps its own errors: a bad whsec_ value, a bad variable name", () => {
    const load1 = (secret: string) => usageError(() => load({ yaml: `agents:\n  IssueAgent: { http: { url: 'https://h.example/run', secret: ${secret} } }\n` })).message;
    expect(load1("'whsec_!!'")).toBe("switchyard.config.yaml: agents.IssueAgent.http.secret: a whsec_ secret is base64 after the prefix, as the Standard Webhooks spec says: copy it whole, or use a plain string");
    expect(load1("{ env: 'NOT-A-NAME' }")).toBe("switchyard.config.yaml: agents.IssueAgent.http.secret.env: env names an environment variable, like AGENT_SECRET");
    expect(load1("{}")).toBe("switchyard.config.yaml: agents.IssueAgent.http.secret.env: env names the environment variable that holds the secret, like AGENT_SECRET");
  });

  it("an empty agent with no settings beside it is named empty", () => {
    expect(usageError(() => load({ yaml: "agents:\n  IssueAgent:\n" })).message).toMatch(/^switchyard\.config\.yaml: agents\.IssueAgent: empty \(null\): an agent is builtin, \{exec: \[argv…\]\}/);
  });

  it.each([
    [
      "a key indented past the keys beside it: at the key, not at column 1",
      "server:\n  port: 3000\nagents:\n  IssueAgent: { exec: [./a.js] }\n       ReviewAgent: builtin\n",
      "All mapping items must start at the same column at line 5, column 8 (line 4 above it starts at column 3)",
    ],
    ["a key indented short of the keys beside it", "agents:\n  MyAgent:\n    exec: [./a.js]\n   timeout: 10s\n", "All mapping items must start at the same column at line 4, column 4 (line 3 above it starts at column 5)"],
    [
      "a key indented under a key that has a value: at the deeper line, not at the value",
      "server:\n  port: 3000\n\n       host: 127.0.0.1\n",
      "indented deeper than line 2, whose key already has a value, at line 4, column 8: line it up with the keys it belongs with (or, to put it under line 2's key, remove that key's value)",
    ],
    ["a sequence item out of line, where the parser points", "routing:\n  rules:\n    - id: x\n      agent: A\n     - id: y\n", "All sequence items must start at the same column at line 5, column 6"],
    ["an unclosed flow sequence, where the parser points", "server:\n  port: [3000\n", "Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1"],
  ])("a YAML error's position is the line and column to fix: %s", (_, yaml, message) => {
    expect(usageError(() => load({ yaml })).message).toBe(`switchyard.config.yaml is not valid YAML: ${message}`);
  });

  it.each([
    ["PORT", "80a"],
    ["PORT", "80.5"],
    ["ADMIN_PORT", "nine"],
    ["RATE_LIMIT_MAX", "1e999"],
    ["RETRY_MAX_ATTEMPTS", "three"],
    ["PORT", "3e3"],
    ["PORT", "0x10"],
    ["PORT", "-1"],
  ])("non-integer %s=%s names the variable", (name, value) => {
    expect(usageError(() => load({ env: { [name]: value } })).message).toBe(`${name}="${value}" is not a whole number (digits only)`);
  });

  it("duration variables take a unit as their keys do, and a bare number is milliseconds", () => {
    expect(load({ env: { RETRY_INITIAL_DELAY: "1s", RETRY_MAX_DELAY: "2m", RATE_LIMIT_WINDOW: "90s" } }).config).toMatchObject({
      retry: { initialDelayMs: 1000, maxDelayMs: 120_000 },
      security: { failedAuth: { windowMs: 90_000 } },
    });
    expect(usageError(() => load({ env: { RETRY_INITIAL_DELAY: "soon" } })).message).toBe(
      'environment: RETRY_INITIAL_DELAY="soon" (retry.initialDelayMs): "soon" is not a duration: write milliseconds or a number with ms, s, m, h or d, like 10m',
    );
  });

  it("a bad SWITCHYARD_ROLE names the variable and the roles", () => {
    expect(usageError(() => load({ env: { SWITCHYARD_ROLE: "webhooks" } })).message).toMatch(/^SWITCHYARD_ROLE="webhooks" is not a role: use all, ingest, worker \(/);
  });

  it("a non-number RETRY_MULTIPLIER names the variable", () => {
    expect(usageError(() => load({ env: { RETRY_MULTIPLIER: "double" } })).message).toBe('RETRY_MULTIPLIER="double" is not a number (digits, optionally with a decimal point)');
  });

  it("a value out of range names the variable that set it, never a secret's value", () => {
    expect(usageError(() => load({ env: { PORT: "70000" } })).message).toMatch(/^environment: PORT="70000" \(server\.port\): out of range: write 65535 or less$/);
    expect(usageError(() => load({ env: { RETRY_MAX_ATTEMPTS: "101" } })).message).toMatch(/RETRY_MAX_ATTEMPTS="101" \(retry\.maxRetries\): out of range: write 100 or less$/);
    expect(usageError(() => load({ env: { DATABASE_URL: "/x.db" } })).message).toMatch(/DATABASE_URL="\/x\.db" \(store\.url\)/);
    expect(usageError(() => load({ env: { GITHUB_API_URL: "not a url" } })).message).toMatch(/GITHUB_API_URL="not a url" \(github\.apiUrl\)/);
    const withPassword = usageError(() => load({ env: { DATABASE_URL: "mysql://app:S3cretPassw0rd@db.internal/sy" } })).message;
    expect(withPassword).toContain('DATABASE_URL="mysql://***@db.internal/sy"');
    expect(withPassword).not.toContain("S3cretPassw0rd");
    const withAt = usageError(() => load({ env: { DATABASE_URL: "mysql://app:p@ss@db/sy" } })).message;
    expect(withAt).toContain('DATABASE_URL="mysql://***@db/sy"');
    const withSlash = usageError(() => load({ env: { DATABASE_URL: "mysql://app:Zx9/Qe+w1@db:5432/sy" } })).message;
    expect(withSlash).not.toContain("Zx9");
  });

  it("a bad boolean in SWITCHYARD_DRY_RUN names the variable and the accepted values", () => {
    expect(usageError(() => load({ env: { SWITCHYARD_DRY_RUN: "maybe" } })).message).toBe(
      'SWITCHYARD_DRY_RUN="maybe" is not a boolean: use 1/true/yes or 0/false/no',
    );
  });

  it("an env value the schema rejects names its variable and its config key", () => {
    expect(usageError(() => load({ env: { DATABASE_URL: "mysql://db" } })).message).toMatch(/^environment: DATABASE_URL="mysql:\/\/db" \(store\.url\): /);
    expect(usageError(() => load({ env: { PORT: "99999" } })).message).toMatch(/^environment: PORT="99999" \(server\.port\): /);
  });

  it("a value from the environment is not blamed on the config file", () => {
    expect(usageError(() => load({ yaml: "server:\n  host: 127.0.0.1\n", env: { PORT: "70000" } })).message).toMatch(/^environment: PORT="70000" \(server\.port\): out of range/);
    // Both at once: the file's problem under the file's name, the variable's under environment.
    expect(usageError(() => load({ yaml: "server:\n  prot: 1\n", env: { PORT: "70000" } })).message).toMatch(
      /^switchyard\.config\.yaml: unknown key "server\.prot" \(did you mean port\?\): [^;]*; environment: PORT="70000" \(server\.port\): out of range/,
    );
  });

  it("parseConfig reports without a file name", () => {
    expect(usageError(() => parseConfig({ server: { prot: 1 } })).message).toMatch(/^config: unknown key "server\.prot"/);
  });
});
