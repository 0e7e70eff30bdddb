import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { readEventFile } from "../events/read-event-file.js";
import { terminalText } from "../present/terminal-text.js";
import { signPayload } from "../security/verify-signature.js";
import { ExitCode, printJson, type CliIo } from "./io.js";
import { readSample } from "./samples.js";
import { assertWebhookEvent } from "./route.js";
import { STATE_DIR } from "./serve.js";

interface SendOptions {
  unique?: boolean;
  url?: string;
  payload?: string;
  form?: boolean;
  delivery?: string;
  json?: boolean;
  config?: string;
}

/** The secret `send` signs with: the first configured one, else the one `serve` generated. */
function signingSecret(secrets: readonly string[], cwd: string): string {
  if (secrets[0]) return secrets[0];
  const file = path.resolve(cwd, STATE_DIR, "webhook-secret");
  if (existsSync(file)) {
    const secret = readFileSync(file, "utf8").trim();
    if (secret) return secret;
  }
  throw new UsageError(`no webhook secret: set WEBHOOK_SECRET, or run switchyard serve here once (it generates ${path.join(STATE_DIR, "webhook-secret")})`);
}

export function registerSend(program: Command, io: CliIo): void {
  program
    .command("send")
    .argument("<event>", "EVENT[.ACTION] of a bundled sample (issues.opened, pull_request.opened, push, …), or the event name for --payload")
    .description("sign a sample delivery and POST it to a running server: the local development loop")
    .option("--url <url>", "webhook URL (default: the local server, http://127.0.0.1:PORT/webhooks/github)")
    .option("--payload <file>", "send this JSON payload instead of a bundled sample")
    .option("--form", "send as application/x-www-form-urlencoded (payload=…), as GitHub can")
    .option("--delivery <id>", "X-GitHub-Delivery to use (default: a fresh UUID)")
    .option("--unique", "add a unique field to the payload, so sending the same sample again is a new event, not a replay")
    .option("--json", "print {status, delivery, body} as one line of JSON")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (key: string, options: SendOptions) => {
      const { config } = loadConfig({ file: options.config, cwd: io.cwd, env: io.env });
      let event: string;
      let json: Buffer;
      if (options.payload) {
        event = key.split(".")[0]!;
        assertWebhookEvent(event);
        json = Buffer.from(JSON.stringify(readEventFile(options.payload)));
      } else {
        ({ event, body: json } = readSample(key));
      }
      if (options.unique) json = Buffer.from(JSON.stringify({ ...JSON.parse(json.toString("utf8")), switchyard_send: randomUUID() }));
      const body = options.form ? Buffer.from(new URLSearchParams({ payload: json.toString("utf8") }).toString()) : json;
      const url = options.url ?? `http://127.0.0.1:${config.server.port}${config.server.path}`;
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--url ${url} is not an http(s) URL`);
      const delivery = options.delivery ?? randomUUID();
      const signature = signPayload(signingSecret(config.secrets, io.cwd), body);
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": options.form ? "application/x-www-form-urlencoded" : "application/json",
            "user-agent": "switchyard-send",
            "x-github-event": event,
            "x-github-delivery": delivery,
            "x-hub-signature-256": signature,
          },
          body: new Uint8Array(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        throw new Error(`could not reach ${url}${cause ? ` (${cause})` : ""}: is switchyard serve running? (--url to point elsewhere)`);
      }
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: print as text
      }
      if (options.json) printJson(io, { status: response.status, delivery, body: parsed });
      else io.stdout(terminalText(`${response.status} ${response.statusText}  delivery ${delivery}\n${typeof parsed === "string" ? parsed : JSON.stringify(parsed, null, 2)}`) + "\n");
      if ((parsed as { duplicate?: unknown }).duplicate === true && !options.json) {
        io.stderr("switchyard: a duplicate: this exact body was accepted before (replay protection, security.replayWindowHours). Pass --unique to send a fresh copy.\n");
      }
      if (!response.ok) throw new ExitCode(1);
    });
}
