import { describe, expect, it } from "vitest";
import { redactUrl, redactUrlSecrets } from "../../src/config/redact-url.js";

describe("redactUrlSecrets", () => {
  it.each([
    ["http://127.0.0.1:9521/agent?token=qs-secret-123", "http://127.0.0.1:9521/agent?token=…"],
    ["https://a.example/hook?token=x&v=2&flag&empty=", "https://a.example/hook?token=…&v=…&flag&empty="],
    ["https://user:pw@a.example/hook?k=v#frag", "https://***@a.example/hook?k=…#…"],
    ["https://a.example/hook#", "https://a.example/hook#"],
    ["https://a.example/hook", "https://a.example/hook"],
    ["https://hooks.example/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.example/services/T0000000/B0000000/…"],
    ["https://hooks.example/v1/abcdefghijklmnopqrstuvwxyz/run?k=v", "https://hooks.example/v1/…/run?k=…"],
    ["https://user:pw@averyveryverylonghostname.example/x", "https://***@averyveryverylonghostname.example/x"],
  ])("%s shows as %s", (url, shown) => {
    expect(redactUrlSecrets(url)).toBe(shown);
  });

  it("hides a password the PostgreSQL driver would read from the query", () => {
    expect(redactUrl("postgres://db/sy?password=hunter2&sslmode=require")).toBe("postgres://db/sy?password=***&sslmode=require");
    expect(redactUrl("postgres://app@db/sy?sslmode=verify-full&sslpassword=k3y")).toBe("postgres://***@db/sy?sslmode=verify-full&sslpassword=***");
  });

  it("leaves what redactUrl already did", () => {
    expect(redactUrlSecrets("postgres://app:s3cret@db:5432/switchyard")).toBe(redactUrl("postgres://app:s3cret@db:5432/switchyard"));
  });
});
