import { describe, expect, it } from "vitest";
import { clientIp } from "../../src/security/client-ip.js";

describe("clientIp", () => {
  it.each<[string, string | undefined, string | string[] | undefined, string]>([
    ["no header", "192.30.252.1", undefined, "192.30.252.1"],
    ["header ignored", "10.0.0.2", "140.82.115.9", "10.0.0.2"],
    ["IPv4-mapped socket address unmapped", "::ffff:192.30.252.1", undefined, "192.30.252.1"],
    ["IPv6 socket address kept", "2606:50c0::1", undefined, "2606:50c0::1"],
    ["closed socket", undefined, "140.82.115.9", ""],
  ])("without trustProxy, the socket address: %s", (_name, remote, xff, expected) => {
    expect(clientIp(remote, xff, false)).toBe(expected);
  });

  it.each<[string, string | string[] | undefined, string]>([
    ["single entry", "140.82.115.9", "140.82.115.9"],
    ["client-written entries to the left are ignored", "192.30.252.1, 6.6.6.6", "6.6.6.6"],
    ["spoofed GitHub address on the left does not count", "140.82.115.9,203.0.113.50", "203.0.113.50"],
    ["spaces around entries", "  1.1.1.1 ,   203.0.113.50  ", "203.0.113.50"],
    ["IPv6 entry", "1.1.1.1, 2606:50c0::1", "2606:50c0::1"],
    ["IPv4 with port", "1.1.1.1, 203.0.113.50:51234", "203.0.113.50"],
    ["bracketed IPv6 with port", "[2606:50c0::1]:443", "2606:50c0::1"],
    ["IPv4-mapped entry unmapped", "::ffff:203.0.113.50", "203.0.113.50"],
    ["array (headersDistinct): last entry of the last header", ["6.6.6.6", "7.7.7.7, 203.0.113.50"], "203.0.113.50"],
    ["header absent: socket", undefined, "10.0.0.2"],
    ["header empty: socket", "", "10.0.0.2"],
    ["right-most entry empty: socket, not the client's entry", "140.82.115.9, ", "10.0.0.2"],
    ["right-most entry garbage: socket", "140.82.115.9, unknown", "10.0.0.2"],
    ["unclosed bracket: socket", "[2606:50c0::1", "10.0.0.2"],
    ["empty array: socket", [], "10.0.0.2"],
  ])("with trustProxy, the right-most X-Forwarded-For entry: %s", (_name, xff, expected) => {
    expect(clientIp("10.0.0.2", xff, true)).toBe(expected);
  });
});
