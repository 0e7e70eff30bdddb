import { BlockList, isIP } from "node:net";

const MAPPED_V4_PREFIX = "::ffff:";

/**
 * Build a predicate that says whether a client address lies in one of `cidrs` (IPv4 and
 * IPv6 subnets, e.g. GitHub's `hooks` ranges). A bare address counts as a single host
 * (/32 or /128). Matching uses `node:net`'s `BlockList`, so no address maths lives here.
 *
 * An invalid entry throws an Error naming it, so a typo in the config fails at startup
 * instead of silently refusing (or admitting) everyone. An address the predicate cannot
 * parse is outside the list: fail closed.
 *
 * @example
 * const allowed = createIpAllowlist(GITHUB_HOOK_RANGES.cidrs);
 * allowed("140.82.115.9"); // true
 * allowed("::ffff:192.30.252.1"); // true: an IPv4-mapped IPv6 address is its IPv4 address
 * allowed("203.0.113.7"); // false
 */
export function createIpAllowlist(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const entry of cidrs) addEntry(list, entry);

  return (ip: string): boolean => {
    const version = isIP(ip);
    if (version === 4) return list.check(ip, "ipv4");
    if (version !== 6) return false;
    // A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d; check it against the
    // IPv4 subnets it really belongs to. (BlockList also maps these itself; being explicit
    // keeps the behaviour independent of the Node version.)
    if (ip.length > MAPPED_V4_PREFIX.length && ip.slice(0, MAPPED_V4_PREFIX.length).toLowerCase() === MAPPED_V4_PREFIX) {
      const v4 = ip.slice(MAPPED_V4_PREFIX.length);
      if (isIP(v4) === 4) return list.check(v4, "ipv4");
    }
    return list.check(ip, "ipv6");
  };
}

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf("/");
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const prefixText = slash === -1 ? undefined : entry.slice(slash + 1);
  const version = isIP(address);
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (version === 0 || !(prefix >= 0 && prefix <= bits)) throw invalid(entry);
  try {
    list.addSubnet(address, prefix, version === 4 ? "ipv4" : "ipv6");
  } catch {
    // BlockList validates again; report a refusal in the same words as ours.
    throw invalid(entry);
  }
}

function invalid(entry: string): Error {
  return new Error(`invalid CIDR in IP allowlist: ${JSON.stringify(entry)} (expected e.g. 192.30.252.0/22 or 2606:50c0::/32)`);
}
