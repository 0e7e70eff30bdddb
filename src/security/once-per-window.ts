/**
 * Says yes to a key at most once per `windowMs`: what lets a flood be logged once per
 * source instead of once per request. At most `maxTracked` keys are remembered (default
 * 10 000), the one said longest ago forgotten first; keys whose window has passed are
 * dropped as they are met, so memory stays bounded whatever the number of sources.
 *
 * @example
 * const firstTime = createOncePerWindow(60_000);
 * if (firstTime(ip, Date.now())) logger.warn({ source: ip }, "…");
 */
export function createOncePerWindow(windowMs: number, maxTracked = 10_000): (key: string, now: number) => boolean {
  // Insertion order is "said longest ago first": a key said again is re-inserted.
  const saidAt = new Map<string, number>();
  return (key, now) => {
    const at = saidAt.get(key);
    if (at !== undefined && now - at < windowMs) return false;
    saidAt.delete(key);
    // Room for the key: the front was said longest ago; drop it while stale or over the cap.
    for (const [front, frontAt] of saidAt) {
      if (saidAt.size < maxTracked && now - frontAt < windowMs) break;
      saidAt.delete(front);
    }
    saidAt.set(key, now);
    return true;
  };
}
