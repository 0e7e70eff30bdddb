import { describe, expect, it } from "vitest";
import { limiterKey } from "../../src/security/limiter-key.js";

describe("limiterKey", () => {
  it.each([
    ["192.30.252.1", "192.30.252.1"],
    ["2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::", "fe80:0:0:0::/64"],
    ["", ""],
  ])("%j → %j", (ip, key) => {
    expect(limiterKey(ip)).toBe(key);
  });

  it("puts every address of one /64 under one key, and another /64 under another", () => {
    expect(limiterKey("2001:db8:1:2::a")).toBe(limiterKey("2001:db8:1:2:ffff:1:2:3"));
    expect(limiterKey("2001:db8:1:3::a")).not.toBe(limiterKey("2001:db8:1:2::a"));
  });
});
