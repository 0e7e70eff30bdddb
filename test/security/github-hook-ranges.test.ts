import { describe, expect, it } from "vitest";
import { GITHUB_HOOK_RANGES } from "../../src/security/github-hook-ranges.js";
import { createIpAllowlist } from "../../src/security/ip-allowlist.js";

describe("GITHUB_HOOK_RANGES", () => {
  it("is a dated snapshot of the meta API's hooks field", () => {
    expect(GITHUB_HOOK_RANGES.fetchedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(GITHUB_HOOK_RANGES.fetchedAt))).toBe(false);
    expect(GITHUB_HOOK_RANGES.source).toBe("https://api.github.com/meta (hooks)");
    expect(new Set(GITHUB_HOOK_RANGES.cidrs).size).toBe(GITHUB_HOOK_RANGES.cidrs.length);
  });

  it("holds GitHub's long-standing IPv4 and IPv6 hook ranges", () => {
    expect(GITHUB_HOOK_RANGES.cidrs).toEqual(
      expect.arrayContaining(["192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20", "143.55.64.0/20", "2a0a:a440::/29", "2606:50c0::/32"]),
    );
  });

  it("parses as an allowlist that admits GitHub and refuses others", () => {
    const allowed = createIpAllowlist(GITHUB_HOOK_RANGES.cidrs);
    expect(allowed("140.82.115.250")).toBe(true);
    expect(allowed("::ffff:143.55.64.1")).toBe(true);
    expect(allowed("2606:50c0:8001::154")).toBe(true);
    expect(allowed("127.0.0.1")).toBe(false);
    expect(allowed("2001:db8::1")).toBe(false);
  });
});
