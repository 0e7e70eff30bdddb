import { isIP } from "node:net";

/**
 * The address a request's security checks (IP allowlist, failed-auth limiter) key on.
 *
 * Without `trustProxy` it is the socket's peer address, full stop: X-Forwarded-For is a
 * header any client can write.
 *
 * With `trustProxy` (switchyard sits behind ONE reverse proxy that appends the address it
 * saw, as nginx's `$proxy_add_x_forwarded_for` and most load balancers do) it is the
 * RIGHT-most X-Forwarded-For entry. Everything to the left of that entry was sent by the
 * client and is whatever the client chose to write: taking the left-most address would
 * let anyone pass the allowlist with `X-Forwarded-For: 192.30.252.1` and dodge the
 * failed-auth limiter by inventing a new address per request. The right-most entry is the
 * one the trusted proxy wrote, i.e. the client as the proxy saw it. (Behind a chain of
 * several proxies the right-most entry is the previous proxy; that setup needs a hop count,
 * which this function does not offer.)
 *
 * If that entry is missing or not an IP address the proxy did not append one, and the
 * socket address (the proxy's) is used: the allowlist then refuses, i.e. fails closed.
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are returned as plain IPv4, so logs and
 * limiter keys name one client one way. An absent socket address (already closed) is "".
 *
 * @example
 * clientIp("10.0.0.2", "6.6.6.6, 140.82.115.9", true); // "140.82.115.9" (6.6.6.6 was client-written)
 * clientIp("10.0.0.2", "140.82.115.9", false); // "10.0.0.2"
 */
export function clientIp(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustProxy: boolean,
): string {
  const socket = unmapV4(remoteAddress ?? "");
  if (!trustProxy || forwardedFor === undefined) return socket;
  // Node joins repeated X-Forwarded-For headers with ", "; an array (headersDistinct) is the
  // same list split up, and the proxy's entry is at the end of the last header.
  const list = typeof forwardedFor === "string" ? forwardedFor : forwardedFor.join(",");
  const last = parseEntry(list.slice(list.lastIndexOf(",") + 1));
  return last === undefined ? socket : unmapV4(last);
}

/** One X-Forwarded-For entry as an address, tolerating `a.b.c.d:port` and `[v6]:port`. */
function parseEntry(raw: string): string | undefined {
  let entry = raw.trim();
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    entry = close === -1 ? "" : entry.slice(1, close);
  } else if (entry.indexOf(":") !== -1 && entry.indexOf(":") === entry.lastIndexOf(":")) {
    // Exactly one colon cannot be IPv6: it is IPv4 with a port.
    entry = entry.slice(0, entry.indexOf(":"));
  }
  return isIP(entry) === 0 ? undefined : entry;
}

function unmapV4(ip: string): string {
  if (ip.length > 7 && ip.slice(0, 7).toLowerCase() === "::ffff:" && isIP(ip.slice(7)) === 4) return ip.slice(7);
  return ip;
}
