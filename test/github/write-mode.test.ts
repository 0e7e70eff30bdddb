import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { describeGithubWrites } from "../../src/github/write-mode.js";

describe("describeGithubWrites", () => {
  it("names a GitHub Enterprise API URL without its query values (a user:password the config refuses)", () => {
    const { config } = parseConfig({ github: { token: "ghp_example", apiUrl: "https://ghe.example/api/v3?key=abc" } });
    const { line } = describeGithubWrites(config.github);
    expect(line).toBe("GitHub: writes sent with a token to https://ghe.example/api/v3?key=…");
    expect(line).not.toContain("abc");
  });

  it("leaves GitHub's own API unnamed", () => {
    const { config } = parseConfig({ github: { token: "ghp_example" } });
    expect(describeGithubWrites(config.github).line).toBe("GitHub: writes sent with a token");
  });
});
