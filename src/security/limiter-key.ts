import { isIPv6 } from "node:net";

/**
 * The address the failed-verification limiter counts by: an IPv4 address as it is, an IPv6
 * address by its /64 network. One subscriber usually holds a whole /64, so counting single
 * IPv6 addresses would let one sender rotate through billions of them and never be limited.
 *
 * @example limiterKey("2001:db8:1:2:aaaa::1") // "2001:db8:1:2::/64"
 */
export function limiterKey(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = ip.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = ip.includes("::") ? [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right] : left;
  const prefix = groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16));
  return `${prefix.join(":")}::/64`;
}
