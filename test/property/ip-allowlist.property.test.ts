import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createIpAllowlist } from "../../src/security/ip-allowlist.js";

const toInt = (octets: readonly number[]) => octets.reduce((n, o) => n * 256 + o, 0);
/** The reference: whether an IPv4 address lies in a subnet, by arithmetic. */
function inSubnet(address: readonly number[], network: readonly number[], prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(toInt(address) / size) === Math.floor(toInt(network) / size);
}
const octets = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const dotted = (o: readonly number[]) => o.join(".");

describe("createIpAllowlist (property)", () => {
  it("an entry either builds a matcher or throws the refusal naming it; the matcher never throws", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(octets, fc.integer({ min: -2, max: 40 })).map(([o, p]) => `${dotted(o)}/${p}`), fc.ipV6().map((a) => `${a}/${(a.length % 130) - 1}`)), fc.oneof(fc.string({ unit: "binary" }), fc.ipV4(), fc.ipV6(), fc.ipV4().map((a) => `::ffff:${a}`)), (entry, probe) => {
        let allowed: ((ip: string) => boolean) | null = null;
        try {
          allowed = createIpAllowlist([entry]);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toContain("invalid CIDR in IP allowlist");
          return;
        }
        expect(typeof allowed(probe)).toBe("boolean");
      }),
      { numRuns: 3000 },
    );
  });

  it("matches an IPv4 address exactly when it is in the subnet, also written IPv4-mapped", () => {
    fc.assert(
      fc.property(octets, fc.integer({ min: 0, max: 32 }), octets, (network, prefix, address) => {
        const allowed = createIpAllowlist([`${dotted(network)}/${prefix}`]);
        const expected = inSubnet(address, network, prefix);
        expect(allowed(dotted(address))).toBe(expected);
        expect(allowed(`::ffff:${dotted(address)}`)).toBe(expected);
        expect(allowed(`::FFFF:${dotted(address)}`)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it("anything that is not an address is outside every list (fail closed)", () => {
    const everything = createIpAllowlist(["0.0.0.0/0", "::/0"]);
    fc.assert(
      fc.property(fc.string({ unit: "binary" }).filter((s) => !/^[0-9a-fA-F:.]+$/.test(s)), (probe) => {
        expect(everything(probe)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
