import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import type { WebhookEventMap, WebhookEventName } from "@octokit/webhooks-types";

/**
 * GitHub's example webhook payloads (@octokit/webhooks-examples), typed by event and
 * action. Every accessor returns deep clones, so a test may mutate what it gets.
 *
 * @example
 * const labeled = exampleOf("issues", "labeled");
 * labeled.label!.name = "agent-execute";
 */

// The package's main is a JSON file: require it rather than import it (no import attributes needed).
const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

/** The `action` values an event's payloads can carry (never for events without one, like push). */
export type ActionOf<E extends WebhookEventName> = WebhookEventMap[E] extends infer P ? (P extends { action: infer A extends string } ? A : never) : never;

/** The payload type of one action of an event. */
export type PayloadOf<E extends WebhookEventName, A extends string> = Extract<WebhookEventMap[E], { action: A }>;

/** One example: the event name as in X-GitHub-Event, and its payload. */
export interface Example {
  event: WebhookEventName;
  action: string | null;
  /** Position among the examples of this event, to name a test case. */
  index: number;
  payload: Record<string, unknown>;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The names of every event that has examples (58 in 7.6). */
export function eventNames(): WebhookEventName[] {
  return definitions.map((d) => d.name);
}

/** Every example payload of an event, optionally only those of one action. */
export function examplesOf<E extends WebhookEventName>(event: E): WebhookEventMap[E][];
export function examplesOf<E extends WebhookEventName, const A extends ActionOf<E>>(event: E, action: A): PayloadOf<E, A>[];
export function examplesOf(event: WebhookEventName, action?: string): unknown[] {
  const definition = definitions.find((d) => d.name === event);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no examples of ${event}`);
  const payloads = definition.examples as unknown as Record<string, unknown>[];
  return clone(action === undefined ? payloads : payloads.filter((p) => p.action === action));
}

/** The first example payload of an event (and action); throws when there is none. */
export function exampleOf<E extends WebhookEventName>(event: E): WebhookEventMap[E];
export function exampleOf<E extends WebhookEventName, const A extends ActionOf<E>>(event: E, action: A): PayloadOf<E, A>;
export function exampleOf(event: WebhookEventName, action?: string): unknown {
  const [first] = action === undefined ? examplesOf(event) : examplesOf(event, action as never);
  if (first === undefined) throw new Error(`@octokit/webhooks-examples has no ${event}${action ? `.${action}` : ""} example`);
  return first;
}

/** Every example of every event (or of the events named), flat, in the package's order. */
export function allExamples(events?: readonly WebhookEventName[]): Example[] {
  return definitions
    .filter((d) => events === undefined || events.includes(d.name))
    .flatMap((d) =>
      (d.examples as unknown as Record<string, unknown>[]).map((payload, index) => ({
        event: d.name,
        action: typeof payload.action === "string" ? payload.action : null,
        index,
        payload: clone(payload),
      })),
    );
}

/** A typed payload as the plain JSON object normalizeEvent and the CLI take. */
export function asJson(payload: object): Record<string, unknown> {
  return payload as Record<string, unknown>;
}
