import { describe, expect, it } from "vitest";
import { hostnameOf, isLoopbackHost, originAllowed } from "../../src/security/request-host.js";

describe("isLoopbackHost", () => {
  it.each([
    "localhost",
    "localhost:9090",
    "LocalHost:9090",
    "localhost.",
    "dash.localhost",
    "a.b.localhost:1",
    "127.0.0.1",
    "127.0.0.1:9090",
    "127.255.0.9:80",
    "[::1]",
    "[::1]:9090",
    "[0:0:0:0:0:0:0:1]:9090",
    "[::ffff:127.0.0.1]:9090",
  ])("takes %j", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    undefined,
    "",
    "evil.example",
    "evil.example:9090",
    "127.0.0.1.evil.example",
    "localhost.evil.example",
    "evillocalhost",
    "0.0.0.0",
    "10.0.0.7:9090",
    "128.0.0.1",
    "[::2]",
    "[::ffff:10.0.0.1]",
    "::1",
    "evil.example@127.0.0.1",
    "127.0.0.1/evil",
    "127.0.0.1:9090:1",
    "127.0.0.1:",
    "127.0.0.1 evil",
    "127%2e0.0.1",
  ])("refuses %j", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it("names hosts as a browser writes them", () => {
    expect(hostnameOf("LOCALHOST:9090")).toBe("localhost");
    expect(hostnameOf("[0:0:0:0:0:0:0:1]")).toBe("[::1]");
    expect(hostnameOf("a b")).toBeNull();
  });
});

describe("originAllowed", () => {
  it.each([
    ["http://127.0.0.1:9090", "127.0.0.1:9090"],
    ["http://localhost:8080", "127.0.0.1:9090"],
    ["http://[::1]:9090", "[::1]:9090"],
    ["https://admin.example", "admin.example"],
    ["https://admin.example", "admin.example:443"],
    ["http://admin.example:9090", "ADMIN.example:9090"],
  ])("takes a page at %j sending to Host %j", (origin, host) => {
    expect(originAllowed(origin, host)).toBe(true);
  });

  it.each([
    ["https://evil.example", "127.0.0.1:9090"],
    ["https://evil.example", "evil.example.admin.example"],
    ["https://admin.example:8443", "admin.example"],
    ["http://admin.example", "admin.example:443"],
    ["null", "127.0.0.1:9090"],
    ["file://", "127.0.0.1:9090"],
    ["chrome-extension://abc", "127.0.0.1:9090"],
    ["https://evil.example", undefined],
    ["https://admin.example", "admin.example@evil"],
    ["not a url", "127.0.0.1:9090"],
    // No browser sends these: a user, a path, a default port written out.
    ["http://evil.example@127.0.0.1", "127.0.0.1:9090"],
    ["http://127.0.0.1:9090/", "127.0.0.1:9090"],
    ["https://admin.example:443", "admin.example"],
  ])("refuses a page at %j sending to Host %j", (origin, host) => {
    expect(originAllowed(origin, host)).toBe(false);
  });
});
