import type { Config } from "../config/schema.js";
import type { CompiledRule } from "./compile-rules.js";

/**
 * Warnings for rules from the config file that take a command of `commands.writeRequired`
 * (execute, deploy, rollback) by name to an agent of their own. Routing checks the
 * commenter's author association for it, as for any command; write access needs the
 * GitHub API, which only CoordinatorAgent asks (docs/security.md#commands). So the rule's
 * agent gets the command from a read-only MEMBER or COLLABORATOR too.
 *
 * @example findUncheckedCommands(compileRules(config), config.commands) // ['routing rule my-deploy routes /agent deploy to Deployer …']
 */
export function findUncheckedCommands(rules: readonly CompiledRule[], commands: Config["commands"]): string[] {
  const warnings: string[] = [];
  for (const rule of rules) {
    const words = rule.commandWords;
    // "any" (commentCommand: true) takes every command a rule naming it leaves, write commands among them.
    if (rule.origin === "default" || rule.commandAuthors === null || words === null) continue;
    const unchecked = commands.writeRequired.filter((name) => words === "any" || words(name));
    if (unchecked.length === 0) continue;
    const list = unchecked.map((name) => `/agent ${name}`).join(", ");
    warnings.push(
      `routing rule ${rule.id} routes ${list} to ${rule.agent} checking only the commenter's author association (commands.associations): ` +
        `the write access commands.writeRequired asks for is checked by CoordinatorAgent alone. Leave ${unchecked.join(", ")} to CoordinatorAgent, or have ${rule.agent} check write access itself`,
    );
  }
  return warnings;
}
