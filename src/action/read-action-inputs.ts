import path from "node:path";
import { parseBoolean } from "../config/read-env.js";
import { UsageError } from "../errors.js";

type Env = Record<string, string | undefined>;

/** The inputs of switchyard's action.yml, as the runner passes them. */
export interface ActionInputs {
  /** The event name; null: `GITHUB_EVENT_NAME`. */
  event: string | null;
  /** The config file; null: `./switchyard.config.yaml` when present, else the defaults. */
  config: string | null;
  /** true: GitHub writes recorded, not sent; false: sent; auto: as `github.dryRun` says. */
  dryRun: boolean | "auto";
}

/**
 * Reads the action's inputs from the environment the way the runner passes them:
 * `INPUT_<NAME>` with the name upper-cased and its hyphen kept (`INPUT_DRY-RUN`). An
 * empty input counts as unset. Pure: the environment is a parameter.
 *
 * @example readActionInputs({ "INPUT_DRY-RUN": "true" }) // { event: null, config: null, dryRun: true }
 */
export function readActionInputs(env: Env): ActionInputs {
  const input = (name: string): string | null => {
    const value = env[`INPUT_${name.toUpperCase()}`]?.trim();
    return value ? value : null;
  };
  const dryRun = input("dry-run");
  let parsed: boolean | "auto" = "auto";
  if (dryRun !== null && dryRun.toLowerCase() !== "auto") {
    try {
      parsed = parseBoolean("dry-run", dryRun);
    } catch {
      throw new UsageError(`input dry-run="${dryRun}" is not true, false or auto: set \`dry-run: true\` to record GitHub writes without sending them`);
    }
  }
  return { event: input("event"), config: input("config"), dryRun: parsed };
}

/**
 * The file the `config` input names, as action.yml says: relative to the workspace
 * (`GITHUB_WORKSPACE`), whatever directory the process runs in; the working directory when
 * the variable is unset (outside Actions). Null when the input is empty. Pure.
 *
 * @example configInputPath({ GITHUB_WORKSPACE: "/home/runner/work/app/app" }, "/tmp", "ci/switchyard.yaml") // "/home/runner/work/app/app/ci/switchyard.yaml"
 */
export function configInputPath(env: Env, cwd: string, config: string | null): string | null {
  if (config === null) return null;
  return path.resolve(env.GITHUB_WORKSPACE?.trim() || cwd, config);
}

/**
 * The environment `route` runs with: `dry-run` becomes `SWITCHYARD_DRY_RUN` (which overrides
 * `github.dryRun` in the config); auto leaves whatever the job set.
 *
 * @example routeEnv({ GITHUB_TOKEN: "t" }, { event: null, config: null, dryRun: true }).SWITCHYARD_DRY_RUN // "true"
 */
export function routeEnv(env: Env, inputs: ActionInputs): Env {
  return inputs.dryRun === "auto" ? env : { ...env, SWITCHYARD_DRY_RUN: String(inputs.dryRun) };
}
