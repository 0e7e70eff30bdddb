import { isIPv4, isIPv6 } from "node:net";

// A Host header is a host name, an IPv4 address or a bracketed IPv6 address, then an
// optional port: nothing else (no user, path or space) is taken, so the URL parser below
// cannot be steered to read another host out of it.
const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]\\%]+)(?::\d{1,5})?$/;

/**
 * The host a Host header (or an Origin's host) names, as a browser would write it: lower
 * case, IPv4 in dotted form, IPv6 in brackets and compressed, one trailing dot dropped, no
 * port. Null when the value is missing or is not a host.
 *
 * @example hostnameOf("LocalHost:9090") // "localhost"
 * @example hostnameOf("[0:0:0:0:0:0:0:1]:9090") // "[::1]"
 */
export function hostnameOf(host: string | undefined): string | null {
  if (host === undefined || !HOST_HEADER.test(host)) return null;
  try {
    return new URL(`http://${host}`).hostname.replace(/\.$/, "");
  } catch {
    return null;
  }
}

/**
 * Whether a host name (as hostnameOf gives it) is this machine's loopback: `localhost` and
 * any `*.localhost` (browsers resolve those to loopback themselves, never through DNS),
 * 127.0.0.0/8, `[::1]` and IPv4-mapped 127.x. What a DNS-rebinding page cannot send: its
 * requests carry the attacker's own name, whatever address that name resolved to.
 *
 * @example isLoopbackName("app.localhost") // true
 * @example isLoopbackName("127.0.0.1.evil.example") // false
 */
export function isLoopbackName(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  if (isIPv4(hostname)) return hostname.startsWith("127.");
  if (!hostname.startsWith("[") || !hostname.endsWith("]")) return false;
  const address = hostname.slice(1, -1);
  // The URL parser has compressed it: ::1, or ::ffff:7fXX:XXXX for 127.x.x.x.
  return isIPv6(address) && (address === "::1" || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(address));
}

/** Whether a Host header names this machine's loopback, with any port. A missing or malformed one does not. */
export function isLoopbackHost(host: string | undefined): boolean {
  const hostname = hostnameOf(host);
  return hostname !== null && isLoopbackName(hostname);
}

/**
 * Whether a browser request with this `Origin` may change something: the page that sent it
 * was served from loopback, or from the very host (and port) the request was sent to (a
 * dashboard reached by its own name, behind TLS with the admin token). Anything else — another
 * site, `null` (a sandboxed frame, a file), a malformed value — is a cross-site request.
 *
 * @example originAllowed("http://127.0.0.1:9090", "127.0.0.1:9090") // true
 * @example originAllowed("https://evil.example", "127.0.0.1:9090") // false
 * @example originAllowed("https://admin.example", "admin.example") // true
 */
export function originAllowed(origin: string, host: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin === "null" || (url.protocol !== "http:" && url.protocol !== "https:")) return false;
  // An Origin is scheme://host[:port] and nothing else, as browsers send it: one with a user,
  // a path or a default port written out is no browser's, and is refused as malformed.
  if (url.origin !== origin) return false;
  if (isLoopbackName(url.hostname.replace(/\.$/, ""))) return true;
  if (host === undefined || hostnameOf(host) === null) return false;
  // Parsed with the origin's scheme, so a default port written out (admin.example:443) compares equal.
  return new URL(`${url.protocol}//${host}`).host === url.host;
}
