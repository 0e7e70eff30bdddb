/**
 * The payloads of recently accepted deliveries, already parsed by the webhook route, so the
 * worker that claims their tasks moments later does not parse the same bytes again (a
 * JSON.parse of a typical 12 KB payload was ~7 % of the server's CPU under load). Bounded:
 * the oldest entry goes when it is full; a miss just means parsing from the store.
 *
 * @example const cache = createPayloadCache(256); cache.set("d1", payload); cache.get("d1");
 */
export function createPayloadCache(capacity = 256) {
  const entries = new Map<string, Record<string, unknown>>();
  return {
    set(delivery: string, payload: Record<string, unknown>): void {
      if (capacity <= 0) return;
      entries.delete(delivery);
      entries.set(delivery, payload);
      if (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
    get(delivery: string): Record<string, unknown> | undefined {
      return entries.get(delivery);
    },
    get size(): number {
      return entries.size;
    },
  };
}

export type PayloadCache = ReturnType<typeof createPayloadCache>;
