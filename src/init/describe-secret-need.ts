import type { SecretNeed } from "./plan-agent-setup.js";

/**
 * The `secret:` line for one secret: who needs it, how to create it, and what happens until
 * it exists. An `env:` name unset only leaves its agent without the variable; an http agent
 * whose `http.secret` reads it cannot sign, so each of its tasks fails at once, unsent.
 *
 * @example
 * describeSecretNeed({ name: "AGENT_SECRET", agents: ["HttpAgent"], signing: ["HttpAgent"] })
 * // "secret: create the repository secret AGENT_SECRET (read as http.secret by HttpAgent, which signs requests with it): gh secret set AGENT_SECRET, …; until then every task of HttpAgent fails at once, sending nothing (dead, and the run exits 1)"
 */
export function describeSecretNeed({ name, agents, signing }: SecretNeed): string {
  const listing = agents.filter((agent) => !signing.includes(agent));
  const who = [
    ...(listing.length > 0 ? [`listed under env: by ${listing.join(", ")}`] : []),
    ...(signing.length > 0 ? [`read as http.secret by ${signing.join(", ")}, which sign${signing.length === 1 ? "s" : ""} requests with it`] : []),
  ].join("; ");
  const until = [
    ...(listing.length > 0 ? [`${listing.join(", ")} run${listing.length === 1 ? "s" : ""} without it`] : []),
    ...(signing.length > 0 ? [`every task of ${signing.join(", ")} fails at once, sending nothing (dead, and the run exits 1)`] : []),
  ].join(", and ");
  return `secret: create the repository secret ${name} (${who}): gh secret set ${name}, or Settings → Secrets and variables → Actions; until then ${until}`;
}
