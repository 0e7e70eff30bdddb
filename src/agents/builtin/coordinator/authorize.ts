import type { Config } from "../../../config/schema.js";

/** Write access in GitHub's collaborator permission API (admin, maintain or write). */
const WRITE_PERMISSIONS = new Set(["admin", "maintain", "write"]);

export type Verdict = { allowed: true } | { allowed: false; needs: string };

/**
 * Who may run a command (docs/security.md#commands): the configured author associations (OWNER,
 * MEMBER, COLLABORATOR) for every command; commands in `writeRequired` also need write
 * permission from the API, because MEMBER and COLLABORATOR include read-only people.
 * `association` is null for a label (its event carries none): only the permission counts.
 * `permission` is null when it could not be read: never assume write access.
 *
 * @example authorize("execute", "COLLABORATOR", "read", commands) // {allowed: false, needs: "write access …"}
 */
export function authorize(command: string, association: string | null, permission: string | null, commands: Config["commands"]): Verdict {
  if (association !== null && !(commands.associations as readonly string[]).includes(association)) {
    const allowed = commands.associations.map((a) => a.toLowerCase().replaceAll("_", " ")).join(", ");
    return { allowed: false, needs: `an author association of ${allowed} with this repository (GitHub says: ${association.toLowerCase().replaceAll("_", " ")})` };
  }
  if (!(commands.writeRequired as readonly string[]).includes(command) && association !== null) return { allowed: true };
  if (permission === null) return { allowed: false, needs: "write access, which switchyard could not verify (no GitHub credentials to ask with)" };
  if (!WRITE_PERMISSIONS.has(permission)) return { allowed: false, needs: `write access to this repository (you have ${permission})` };
  return { allowed: true };
}
