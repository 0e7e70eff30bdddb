import { describe, expect, it } from "vitest";
import { redactUrl, redactUrlQuery } from "../../src/config/redact-url.js";

describe("redactUrlQuery", () => {
  it.each([
    ["http://127.0.0.1:9521/agent?token=qs-secret-123", "http://127.0.0.1:9521/agent?token=…"],
    ["https://a.example/hook?token=x&v=2&flag&empty=", "https://a.example/hook?token=…&v=…&flag&empty="],
    ["https://user:pw@a.example/hook?k=v#frag", "https://***@a.example/hook?k=…#…"],
    ["https://a.example/hook#", "https://a.example/hook#"],
    ["https://a.example/hook", "https://a.example/hook"],
  ])("%s shows as %s", (url, shown) => {
    expect(redactUrlQuery(url)).toBe(shown);
  });

  it("leaves what redactUrl already did", () => {
    expect(redactUrlQuery("postgres://app:s3cret@db:5432/switchyard")).toBe(redactUrl("postgres://app:s3cret@db:5432/switchyard"));
  });
});
