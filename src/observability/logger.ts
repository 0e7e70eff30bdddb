import { pino, type Logger } from "pino";
import type { LogLevel } from "../config/read-env.js";

/**
 * JSON logs on stderr (stdout belongs to --json output). Tokens and secrets are redacted
 * wherever they appear in a logged object; payloads are never logged at info.
 */
export function createLogger(level: LogLevel, destination: NodeJS.WritableStream | number = 2): Logger {
  return pino(
    {
      level,
      base: { service: "switchyard" },
      redact: {
        paths: ["token", "secret", "secrets", "privateKey", "*.token", "*.secret", "*.privateKey", "headers.authorization", "req.headers.authorization"],
        censor: "[redacted]",
      },
    },
    typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}
