import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { UsageError } from "../../src/errors.js";

// Section and setting names the schema knows, names it does not, and names that attack objects.
const key = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "server", "admin", "store", "security", "routing", "rules", "agents", "worker", "retry", "github", "deploy", "commands", "port", "host", "path", "bodyLimit", "trustProxy", "url", "ipAllowlist", "cidrs", "enabled", "failedAuth", "max", "windowMs", "replayWindowHours", "when", "event", "agent", "priority", "concurrency", "exec", "builtin", "dryRun"),
  fc.string({ maxLength: 6 }),
);
const { value, object } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.constantFrom("10.0.0.0/8", "300.1.1.1/8", "25mb", "1e9", "-1", "(a+)+$"), fc.array(tie("value"), { maxLength: 3 }), tie("object")),
  object: fc.dictionary(key, tie("value"), { maxKeys: 6 }),
}));

describe("parseConfig (property)", () => {
  it("any value parsed from YAML or JSON is a frozen config or a UsageError, never another exception, and pollutes nothing", () => {
    fc.assert(
      // Mostly mappings of sections, as a config file is; sometimes anything at all.
      fc.property(fc.oneof({ arbitrary: object, weight: 4 }, { arbitrary: value, weight: 1 }), (raw) => {
        const input = JSON.parse(JSON.stringify(raw ?? null)) as unknown;
        try {
          const loaded = parseConfig(input);
          expect(Object.isFrozen(loaded.config)).toBe(true);
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(UsageError);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty("server");
      }),
      { numRuns: 1500 },
    );
  });
});
