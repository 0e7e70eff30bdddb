import { createHmac, randomUUID } from "node:crypto";
import type { World } from "./state.js";

/**
 * Webhooks and their delivery logs, as GitHub keeps them: every delivery (and redelivery)
 * is an entry with its own id, the event's guid (the X-GitHub-Delivery, kept by every
 * redelivery), when it was delivered and what the receiver answered. A redelivery re-sends
 * the stored request — same headers, same bytes, so the same signature — to the hook's URL.
 * https://docs.github.com/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks
 */

/** Which hook: a repository's or an organization's (by id), or the App's own. */
export type HookKey = { repository: string; id: number } | { organization: string; id: number } | { app: true };

export interface FakeHookDelivery {
  id: number;
  guid: string;
  /** Epoch ms. */
  deliveredAt: number;
  redelivery: boolean;
  /** What the receiver answered; 0 when it could not be reached. */
  statusCode: number;
  status: string;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  /** The request as sent: headers (lower case) and the exact body. */
  request: { headers: Record<string, string>; body: string };
  response: { headers: Record<string, string>; body: string };
}

export interface HookSendOptions {
  /** The guid (X-GitHub-Delivery); default a fresh UUID. */
  guid?: string;
  /** When it is delivered, epoch ms (a past instant seeds an old entry); default now. */
  at?: number;
}

export interface HookRecordOptions extends HookSendOptions {
  /** What the receiver answered, without anything being sent. */
  statusCode: number;
}

/** A hook as tests drive and inspect it. */
export interface HookHandle {
  /** Where deliveries go and the secret they are signed with. */
  setTarget(url: string | null, secret: string): void;
  /** Sends a delivery to the target now and logs it with the receiver's answer (0: unreachable). */
  send(event: string, payload: object, options?: HookSendOptions): Promise<FakeHookDelivery>;
  /** Logs a delivery with the given answer without sending it: seeds a log. */
  record(event: string, payload: object, options: HookRecordOptions): FakeHookDelivery;
  /** Every log entry, oldest first. */
  readonly deliveries: readonly FakeHookDelivery[];
  /** The log entry ids redeliveries were asked for (POST …/attempts), in order. */
  readonly attempts: readonly number[];
  /** Waits for the redeliveries under way to be sent and logged. */
  settled(): Promise<void>;
}

export class HookState {
  url: string | null = null;
  secret = "";
  readonly deliveries: FakeHookDelivery[] = [];
  readonly attempts: number[] = [];
  readonly inflight = new Set<Promise<unknown>>();

  constructor(
    readonly world: World,
    readonly hookId: number,
  ) {}

  /** The entry with this id, or undefined. */
  entry(id: number): FakeHookDelivery | undefined {
    return this.deliveries.find((d) => d.id === id);
  }

  build(event: string, payload: object, options: HookSendOptions): FakeHookDelivery {
    const body = JSON.stringify(payload);
    const guid = options.guid ?? randomUUID();
    const p = payload as { action?: unknown; installation?: { id?: unknown }; repository?: { id?: unknown } };
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": event,
      "x-github-delivery": guid,
      "x-github-hook-id": String(this.hookId),
      "x-hub-signature-256": `sha256=${createHmac("sha256", this.secret).update(body).digest("hex")}`,
    };
    return {
      id: this.world.nextId(),
      guid,
      deliveredAt: options.at ?? Date.now(),
      redelivery: false,
      statusCode: 0,
      status: "pending",
      event,
      action: typeof p.action === "string" ? p.action : null,
      installationId: typeof p.installation?.id === "number" ? p.installation.id : null,
      repositoryId: typeof p.repository?.id === "number" ? p.repository.id : null,
      request: { headers, body },
      response: { headers: {}, body: "" },
    };
  }

  /** POSTs an entry's request to the hook's URL and logs the answer, as GitHub does (10 s limit). */
  async deliver(entry: FakeHookDelivery): Promise<FakeHookDelivery> {
    this.deliveries.push(entry);
    if (this.url === null) return Object.assign(entry, { statusCode: 0, status: "No URL configured" });
    try {
      const response = await fetch(this.url, { method: "POST", headers: entry.request.headers, body: entry.request.body, signal: AbortSignal.timeout(10_000) });
      const text = await response.text();
      Object.assign(entry, {
        statusCode: response.status,
        status: response.ok ? "OK" : `Invalid HTTP Response: ${response.status}`,
        response: { headers: Object.fromEntries(response.headers), body: text },
      });
    } catch (error) {
      Object.assign(entry, { statusCode: 0, status: `failed to connect to host (${(error as Error).message})` });
    }
    return entry;
  }

  /** A redelivery of `original`: a new entry, same guid, same request, sent now in the background. */
  redeliver(original: FakeHookDelivery): void {
    this.attempts.push(original.id);
    const entry: FakeHookDelivery = {
      ...original,
      id: this.world.nextId(),
      deliveredAt: Date.now(),
      redelivery: true,
      statusCode: 0,
      status: "pending",
      request: { headers: { ...original.request.headers }, body: original.request.body },
      response: { headers: {}, body: "" },
    };
    const sending = this.deliver(entry);
    this.inflight.add(sending);
    void sending.finally(() => this.inflight.delete(sending));
  }
}

const hooksByWorld = new WeakMap<World, Map<string, HookState>>();

/** The name a hook is kept under. */
export function hookName(key: HookKey): string {
  if ("repository" in key) return `repo:${key.repository.toLowerCase()}#${key.id}`;
  if ("organization" in key) return `org:${key.organization.toLowerCase()}#${key.id}`;
  return "app";
}

/** The hook under `name`, created when `create`. */
export function hookState(world: World, name: string, create = false): HookState | undefined {
  let hooks = hooksByWorld.get(world);
  if (!hooks) hooksByWorld.set(world, (hooks = new Map()));
  let hook = hooks.get(name);
  if (!hook && create) {
    const id = Number(/#(\d+)$/.exec(name)?.[1] ?? 1);
    hook = new HookState(world, id);
    hooks.set(name, hook);
  }
  return hook;
}

export function createHookHandle(hook: HookState): HookHandle {
  return {
    setTarget(url, secret) {
      hook.url = url;
      hook.secret = secret;
    },
    send: (event, payload, options = {}) => hook.deliver(hook.build(event, payload, options)),
    record(event, payload, options) {
      const entry = hook.build(event, payload, options);
      const ok = options.statusCode >= 200 && options.statusCode < 300;
      Object.assign(entry, { statusCode: options.statusCode, status: ok ? "OK" : options.statusCode === 0 ? "failed to connect to host" : `Invalid HTTP Response: ${options.statusCode}` });
      hook.deliveries.push(entry);
      return entry;
    },
    get deliveries() {
      return hook.deliveries;
    },
    get attempts() {
      return hook.attempts;
    },
    async settled() {
      while (hook.inflight.size > 0) await Promise.all([...hook.inflight]);
    },
  };
}
