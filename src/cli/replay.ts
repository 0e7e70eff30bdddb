import { existsSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig, type LoadedConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { readLogLevel } from "../config/read-env.js";
import { createGithubRuntime } from "../github/github-runtime.js";
import { createLogger } from "../observability/logger.js";
import { replayDelivery } from "../queue/replay.js";
import { terminalText } from "../present/terminal-text.js";
import { openMigratedStore, sqliteFile } from "../store/open-store.js";
import { lockHolder } from "../store/sqlite/lock-file.js";
import type { Store } from "../store/store.js";
import { createAdminClient, findRunningServer, refusal, serverAt, type AdminClient } from "./admin-client.js";
import { printJson, type CliIo } from "./io.js";

interface ReplayOptions {
  task?: string[];
  dead?: boolean;
  json?: boolean;
  config?: string;
}

interface Replayed {
  delivery?: string;
  task: string;
  agent?: string;
}

type Request = { kind: "deliveries"; ids: string[] } | { kind: "tasks"; ids: string[] } | { kind: "dead" };

function parseRequest(deliveries: string[], options: ReplayOptions): Request {
  const modes = [deliveries.length > 0, (options.task?.length ?? 0) > 0, options.dead === true].filter(Boolean).length;
  if (modes !== 1) throw new UsageError("say what to replay: DELIVERY_ID…, or --task ID…, or --dead (one of them)");
  if (options.dead) return { kind: "dead" };
  if (options.task?.length) return { kind: "tasks", ids: options.task };
  return { kind: "deliveries", ids: deliveries };
}

export function unauthorized(api: AdminClient, token: string | null | undefined): UsageError {
  return new UsageError(
    token
      ? `the server at ${api.baseUrl} rejected the admin token: set ADMIN_TOKEN to the token that server runs with`
      : `the server at ${api.baseUrl} wants its admin token: set ADMIN_TOKEN for this command too`,
  );
}

async function throughApi(api: AdminClient, token: string | null | undefined, request: Request): Promise<Replayed[]> {
  if (request.kind === "dead") {
    const { status, body } = await api.request("POST", "/api/tasks/replay-dead");
    if (status === 401) throw unauthorized(api, token);
    if (status !== 200) throw refusal(api, status, body, "replay the dead tasks");
    return ((body as { tasks: string[] }).tasks ?? []).map((task) => ({ task }));
  }
  const base = request.kind === "deliveries" ? "/api/deliveries/" : "/api/tasks/";
  const missing: string[] = [];
  for (const id of request.ids) {
    const { status } = await api.request("GET", base + encodeURIComponent(id));
    if (status === 401) throw unauthorized(api, token);
    if (status === 404) missing.push(id);
  }
  if (missing.length > 0) throw new UsageError(`no such ${request.kind === "deliveries" ? "delivery" : "task"}: ${missing.join(", ")} (nothing was replayed)`);
  const replayed: Replayed[] = [];
  for (const id of request.ids) {
    const { status, body } = await api.request("POST", `${base}${encodeURIComponent(id)}/replay`);
    if (status === 401) throw unauthorized(api, token);
    if (status !== 200) throw refusal(api, status, body, `replay ${id}`);
    if (request.kind === "deliveries") {
      for (const t of (body as { tasks: { id: string; agent: string }[] }).tasks) replayed.push({ delivery: id, task: t.id, agent: t.agent });
    } else {
      replayed.push({ task: id });
    }
  }
  return replayed;
}

async function onStore(store: Store, loaded: LoadedConfig, io: CliIo, request: Request): Promise<Replayed[]> {
  const now = Date.now();
  if (request.kind === "dead") return (await store.replayDead(now)).map((task) => ({ task }));
  const missing: string[] = [];
  for (const id of request.ids) {
    const found = request.kind === "deliveries" ? await store.getDelivery(id) : await store.getTask(id);
    if (!found) missing.push(id);
  }
  if (missing.length > 0) throw new UsageError(`no such ${request.kind === "deliveries" ? "delivery" : "task"}: ${missing.join(", ")} (nothing was replayed)`);
  const replayed: Replayed[] = [];
  const ownLogins = request.kind === "deliveries" ? await ownLoginsOf(loaded, io) : [];
  for (const id of request.ids) {
    if (request.kind === "deliveries") {
      for (const t of (await replayDelivery(store, loaded, id, now, ownLogins)) ?? []) replayed.push({ delivery: id, task: t.id, agent: t.agent });
    } else {
      await store.replayTask(id, now);
      replayed.push({ task: id });
    }
  }
  return replayed;
}

/**
 * switchyard's own GitHub logins, as `serve` learns them (GET /user or GET /app), so a
 * replayed event that switchyard caused itself routes nowhere; just the Actions identity
 * without credentials or when GitHub cannot be asked (then warned about).
 */
async function ownLoginsOf(loaded: LoadedConfig, io: CliIo): Promise<readonly string[]> {
  const github = createGithubRuntime(loaded.config, createLogger(readLogLevel(io.env)));
  await github.resolveIdentity();
  return github.ownLogins();
}

async function directly(loaded: LoadedConfig, io: CliIo, request: Request): Promise<Replayed[]> {
  const url = loaded.config.store.url;
  const file = sqliteFile(url, io.cwd);
  if (file && !existsSync(file)) throw new UsageError(`the database ${file} does not exist yet: switchyard serve creates it`);
  const store = await openMigratedStore(url, { cwd: io.cwd, exclusive: true });
  try {
    return await onStore(store, loaded, io, request);
  } finally {
    await store.close();
  }
}

/**
 * The running server of the configured database, if any: used only when its /healthz names
 * this very store (X-Switchyard-Store), so a server of another project is never sent a
 * replay or the token. For SQLite the lock file says where the holder's admin API is (a
 * server there that serves another file is passed over, and the lock, held by a live
 * process, then refuses the direct write); otherwise the configured admin port is probed.
 */
export async function serverOf(loaded: LoadedConfig, io: CliIo): Promise<AdminClient | null> {
  const { config } = loaded;
  const lookup = { config, cwd: io.cwd, warn: io.stderr };
  const file = sqliteFile(config.store.url, io.cwd);
  if (file === null) return findRunningServer(lookup);
  const holder = lockHolder(file);
  if (holder === null) return null;
  if (holder.adminUrl === null) {
    const who = holder.pid > 0 ? `pid ${holder.pid}` : "another process";
    throw new UsageError(`${who} holds ${file} (a switchyard serve still starting, or another switchyard command): retry in a moment`);
  }
  // Silent, yet holding the file: a server shutting down. The request then says to retry.
  return serverAt(holder.adminUrl, lookup, createAdminClient(holder.adminUrl, config.admin.token));
}

export function registerReplay(program: Command, io: CliIo): void {
  program
    .command("replay")
    .argument("[deliveries...]", "delivery ids to route again and re-run")
    .description("re-run deliveries or tasks: through the admin API when a server runs, else directly on the store")
    .option("--task <ids...>", "re-queue these tasks (same rows; attempts keep counting, retries start over)")
    .option("--dead", "re-queue every dead task")
    .option("--json", "print what was replayed as one line of JSON")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (deliveries: string[], options: ReplayOptions) => {
      const request = parseRequest(deliveries, options);
      const loaded = loadConfig({ file: options.config, cwd: io.cwd, env: io.env });
      const api = await serverOf(loaded, io);
      const replayed = api ? await throughApi(api, loaded.config.admin.token, request) : await directly(loaded, io, request);
      const via = api ? "api" : "store";
      if (options.json) return printJson(io, { via, replayed });
      if (replayed.length === 0) return io.stdout("nothing to replay\n");
      // Delivery ids are what the X-GitHub-Delivery header said.
      for (const r of replayed) io.stdout(`${terminalText(`re-queued task ${r.task}${r.agent ? ` (${r.agent})` : ""}${r.delivery ? ` of delivery ${r.delivery}` : ""}`, { oneLine: true })}\n`);
      const shared = sqliteFile(loaded.config.store.url, io.cwd) === null;
      io.stderr(
        api
          ? `switchyard: replayed through the running server at ${api.baseUrl}\n`
          : shared
            ? "switchyard: re-queued in the store; the workers on this database are told at once (LISTEN/NOTIFY)\n"
            : "switchyard: no server running: re-queued in the store; the tasks run when switchyard serve next starts\n",
      );
    });
}
