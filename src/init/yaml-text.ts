/** Words YAML 1.1 parsers (GitHub's among them) read as booleans or null when left bare. */
const YAML_11_WORDS = new Set(["y", "yes", "n", "no", "on", "off", "true", "false", "null", "~"]);
const BARE = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

/**
 * A string as a YAML scalar: bare when that cannot be misread, else double-quoted (JSON's
 * escaping is valid YAML), so a branch or workflow name never changes the file's structure.
 *
 * @example yamlString("main") // main
 * @example yamlString("CI: nightly # full") // "CI: nightly # full"
 */
export function yamlString(value: string): string {
  return BARE.test(value) && !YAML_11_WORDS.has(value.toLowerCase()) ? value : JSON.stringify(value);
}

/**
 * A flow sequence of strings, each quoted as yamlString decides.
 *
 * @example yamlList(["opened", "closed"]) // [opened, closed]
 */
export function yamlList(values: readonly string[]): string {
  return `[${values.map(yamlString).join(", ")}]`;
}
