/**
 * Never passed to an agent, even when its config lists them (docs/security.md): with the webhook
 * secret an agent could forge deliveries, with the admin token replay or read every event,
 * with the App key mint tokens for every installation. GITHUB_TOKEN is not here: a coding
 * agent needs it to push, so it passes when the config names it explicitly, never by default.
 */
export const NEVER_PASSED_ENV: readonly string[] = ["WEBHOOK_SECRET", "ADMIN_TOKEN", "GITHUB_APP_PRIVATE_KEY"];
