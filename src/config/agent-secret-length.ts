import { UsageError } from "../errors.js";
import type { Config } from "./schema.js";

/**
 * The fewest characters of key an http agent's signing secret may have. A shorter key is
 * guessed by brute force against the agent's endpoint, and one under 4 characters is never
 * masked in stored output (masking every 2-letter word would garble it), so it would leak.
 */
export const MIN_AGENT_SECRET_LENGTH = 16;

const WHSEC_PREFIX = "whsec_";

/** How to make a secret of a real length, said by every refusal. */
const MAKE_ONE = "make one with `openssl rand -hex 32` (or `whsec_` and the base64 of 32 random bytes)";

/**
 * The variable a secret written as `${NAME}` (or `$NAME`) names, or null: switchyard expands
 * no variables, so such a secret is the text itself, surely a slip for `{env: NAME}`.
 *
 * @example variableReference("${AGENT_SECRET}") // "AGENT_SECRET"
 */
export function variableReference(secret: string): string | null {
  return /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(secret)?.[1] ?? null;
}

/** What a `${NAME}` secret is told: by `check` as a warning, or at load when it is too short to sign with anyway. */
export function referenceProblem(secret: string, variable: string): string {
  return `"${secret}" is used as the key itself (switchyard does not expand variables): write secret: { env: ${variable} } to read it from the environment`;
}

/**
 * Why an http agent's signing secret is too short to use, or null. A `whsec_` secret's key is
 * the base64 after the prefix; any other string is the key itself. Never quotes the secret.
 *
 * @example shortSecretProblem("ab") // "a secret of 2 characters is too short (at least 16): …"
 */
export function shortSecretProblem(secret: string): string | null {
  const key = secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret;
  if (key.length >= MIN_AGENT_SECRET_LENGTH) return null;
  const what = key === secret ? "a secret" : "a whsec_ secret's key (after the prefix)";
  return `${what} of ${key.length} characters is too short (at least ${MIN_AGENT_SECRET_LENGTH}): a short key is easily guessed, and one under 4 characters is not even masked in stored output; ${MAKE_ONE}`;
}

/**
 * The http agents whose `{env: NAME}` secret is set, but too short, in `env`: what `check`
 * and `serve` refuse at start, where the variable is read (an unset one is only a warning,
 * since check may run in a shell without the service's environment).
 *
 * @example envSecretProblems(config, { AGENT_SECRET: "ab" }) // ["AGENT_SECRET (agents.Notifier.http.secret): a secret of 2 characters …"]
 */
export function envSecretProblems(config: Config, env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(config.agents)) {
    if (typeof spec !== "object" || !("http" in spec) || typeof spec.http.secret === "string") continue;
    const variable = spec.http.secret.env;
    // Read as createExecutor reads it: trimmed, and unset when empty.
    const value = env[variable]?.trim();
    const problem = value ? shortSecretProblem(value) : null;
    if (problem !== null) problems.push(`${variable} (agents.${name}.http.secret): ${problem}`);
  }
  return problems;
}

/**
 * Refuses (exit 2) a start whose http agents would sign with a too-short key from the
 * environment: `check`, and `serve` where it runs agents. Named by "environment:", as a
 * value a variable set is, since the file never held it.
 *
 * @example assertEnvSecretsLong(config, process.env) // throws UsageError when AGENT_SECRET is "ab"
 */
export function assertEnvSecretsLong(config: Config, env: Record<string, string | undefined>): void {
  const problems = envSecretProblems(config, env);
  if (problems.length > 0) throw new UsageError(`environment: ${problems.join("; ")}`);
}
