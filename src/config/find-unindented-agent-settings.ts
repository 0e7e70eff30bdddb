import { AGENT_SETTING_KEYS } from "./schema.js";

/** An agent left empty with its settings written beside it, at its own indentation. */
export interface UnindentedAgentSettings {
  /** The empty agent: `MyAgent:` with nothing under it. */
  agent: string;
  /** The `agents` keys after it that are settings of an agent (`exec`, `timeout`…), in the file's order. */
  settings: string[];
  /** What to write: that the agent is empty and that its settings go under it. */
  message: string;
}

/**
 * Agents whose settings were not indented under them:
 *
 * ```yaml
 * agents:
 *   MyAgent:
 *   exec: [./a.js]
 * ```
 *
 * reads as an empty (null) agent `MyAgent` and an agent called `exec`, each refused for its
 * shape, which tells the user nothing of the indentation. A setting belongs to the empty
 * agent it follows (the parsed mapping keeps the file's order).
 *
 * @example findUnindentedAgentSettings({ agents: { MyAgent: null, exec: ["./a.js"] } })
 * // [{ agent: "MyAgent", settings: ["exec"], message: '"MyAgent" is empty (null), and exec: beside it looks like its settings: …' }]
 */
export function findUnindentedAgentSettings(raw: unknown): UnindentedAgentSettings[] {
  const agents = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>).agents : undefined;
  if (typeof agents !== "object" || agents === null || Array.isArray(agents)) return [];
  const found: { agent: string; settings: string[] }[] = [];
  let empty: { agent: string; settings: string[] } | null = null;
  for (const [key, value] of Object.entries(agents)) {
    if (value === null) {
      empty = { agent: key, settings: [] };
      found.push(empty);
    } else if (empty !== null && AGENT_SETTING_KEYS.includes(key)) {
      empty.settings.push(key);
    } else {
      empty = null;
    }
  }
  return found
    .filter(({ settings }) => settings.length > 0)
    .map(({ agent, settings }) => {
      const them = settings.length === 1 ? "it" : "them";
      const look = settings.length === 1 ? "looks" : "look";
      const message = `"${agent}" is empty (null), and ${settings.map((key) => `${key}:`).join(", ")} beside it ${look} like its settings: indent ${them} under ${agent}: (deeper than it)`;
      return { agent, settings, message };
    });
}
