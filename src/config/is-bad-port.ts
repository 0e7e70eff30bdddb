/**
 * The ports fetch refuses to connect to, whatever the URL: the "bad ports" of the Fetch
 * standard (https://fetch.spec.whatwg.org/#port-blocking), ports of other protocols (SMTP,
 * SSH, IRC, X11…) that a browser must not be made to talk HTTP to. Node's fetch (undici)
 * applies the list and fails with "bad port" before connecting; it does not export it.
 */
export const BAD_PORTS: readonly number[] = [
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427,
  465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665,
  6666, 6667, 6668, 6669, 6679, 6697, 10080,
];

const BAD = new Set(BAD_PORTS);

/**
 * Whether fetch refuses a URL's port: an http(s) URL on such a port fails every request.
 * A URL on its scheme's default port has no port (`URL.port` is "") and is never refused.
 *
 * @example isBadPort(new URL("http://127.0.0.1:6000/").port) // true
 * @example isBadPort(new URL("https://h.example/").port) // false
 */
export function isBadPort(port: string | number): boolean {
  return port !== "" && BAD.has(Number(port));
}
