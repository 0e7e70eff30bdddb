import { describe, expect, it } from "vitest";
import { createIpAllowlist } from "../../src/security/ip-allowlist.js";

describe("createIpAllowlist", () => {
  const allowed = createIpAllowlist(["192.30.252.0/22", "140.82.112.0/20", "2606:50c0::/32", "2a0a:a440::/29", "203.0.113.9"]);

  it.each([
    ["IPv4 first address of a subnet", "192.30.252.0", true],
    ["IPv4 last address of a subnet", "192.30.255.255", true],
    ["IPv4 inside the /20", "140.82.115.9", true],
    ["IPv4 just below a subnet", "192.30.251.255", false],
    ["IPv4 just above a subnet", "192.31.0.0", false],
    ["IPv4 elsewhere", "8.8.8.8", false],
    ["IPv4 bare host entry", "203.0.113.9", true],
    ["IPv4 next to the bare host", "203.0.113.10", false],
    ["IPv6 inside the /32", "2606:50c0:8000::153", true],
    ["IPv6 at the far end of the /29", "2a0a:a447:ffff::1", true],
    ["IPv6 just past the /29", "2a0a:a448::1", false],
    ["IPv6 elsewhere", "2001:db8::1", false],
    ["IPv6 loopback", "::1", false],
    ["IPv4-mapped IPv6, dotted", "::ffff:192.30.252.1", true],
    ["IPv4-mapped IPv6, upper case", "::FFFF:140.82.112.1", true],
    ["IPv4-mapped IPv6, hex", "::ffff:c01e:fc01", true],
    ["IPv4-mapped IPv6 outside", "::ffff:8.8.8.8", false],
    ["empty string", "", false],
    ["garbage", "not-an-ip", false],
    ["CIDR instead of an address", "192.30.252.1/32", false],
    ["IPv4 with port", "192.30.252.1:443", false],
    ["leading zero octet", "192.030.252.1", false],
    ["surrounding space", " 192.30.252.1", false],
  ])("%s: %s → %s", (_name, ip, expected) => {
    expect(allowed(ip)).toBe(expected);
  });

  it("allows nothing when the list is empty", () => {
    const none = createIpAllowlist([]);
    expect(none("192.30.252.1")).toBe(false);
    expect(none("::1")).toBe(false);
  });

  it("does not let an IPv4 subnet match IPv6 addresses or the reverse", () => {
    const v4all = createIpAllowlist(["0.0.0.0/0"]);
    expect(v4all("198.51.100.1")).toBe(true);
    expect(v4all("2001:db8::1")).toBe(false);
    const v6all = createIpAllowlist(["::/0"]);
    expect(v6all("2001:db8::1")).toBe(true);
  });

  it.each([
    "192.30.252.0/33",
    "2606:50c0::/129",
    "192.30.252.0/",
    "192.30.252.0/-1",
    "192.30.252.0/2x",
    "192.30.252/22",
    "300.1.1.1/8",
    "github.com",
    "",
    "192.30.252.0/22/1",
    " 192.30.252.0/22",
  ])("throws an Error naming the invalid entry %j", (bad) => {
    expect(() => createIpAllowlist(["140.82.112.0/20", bad])).toThrow(`invalid CIDR in IP allowlist: ${JSON.stringify(bad)}`);
  });
});
