import type { RecoveryHookConfig } from "../config/schema.js";

/**
 * Where one configured webhook's deliveries are read and redelivered, and which
 * credentials may do it. GitHub's routes:
 * https://docs.github.com/rest/repos/webhooks#list-deliveries-for-a-repository-webhook
 * https://docs.github.com/rest/orgs/webhooks#list-deliveries-for-an-organization-webhook
 * https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook
 */
export type HookTarget =
  | { kind: "repository"; name: string; owner: string; repo: string; id: number }
  | { kind: "organization"; name: string; org: string; id: number }
  | { kind: "app"; name: string };

/**
 * The hook a config entry names, with the name sweeps report it by.
 *
 * @example hookTarget({ repository: "octo/hello", id: 12 }).name // "octo/hello#12"
 * @example hookTarget({ organization: "octo", id: 7 }).name // "org:octo#7"
 * @example hookTarget({ app: true }).name // "app"
 */
export function hookTarget(hook: RecoveryHookConfig): HookTarget {
  if ("repository" in hook) {
    const [owner = "", repo = ""] = hook.repository.split("/");
    return { kind: "repository", name: `${hook.repository}#${hook.id}`, owner, repo, id: hook.id };
  }
  if ("organization" in hook) return { kind: "organization", name: `org:${hook.organization}#${hook.id}`, org: hook.organization, id: hook.id };
  return { kind: "app", name: "app" };
}

/**
 * What a token needs to read and redeliver this hook's deliveries, for the message that
 * says which permission is missing.
 */
export function requiredPermission(target: HookTarget): string {
  switch (target.kind) {
    case "repository":
      return `a token with admin rights on ${target.owner}/${target.repo}'s webhooks (classic: repo or admin:repo_hook; fine-grained or App: "Webhooks" repository permission, read and write)`;
    case "organization":
      return `a token of an owner of ${target.org} with admin:org_hook (fine-grained or App: "Webhooks" organization permission, read and write)`;
    case "app":
      return "the GitHub App's own credentials (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY: the App's JWT reads its hook)";
  }
}
