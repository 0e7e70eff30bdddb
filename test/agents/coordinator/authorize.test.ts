import { describe, expect, it } from "vitest";
import { authorize } from "../../../src/agents/builtin/coordinator/authorize.js";
import { parseConfig } from "../../../src/config/load-config.js";

const { commands } = parseConfig({}).config;

describe("authorize", () => {
  it.each([
    ["analyze", "OWNER", null, true],
    ["status", "MEMBER", null, true],
    ["help", "COLLABORATOR", null, true],
    ["analyze", "CONTRIBUTOR", null, false],
    ["analyze", "NONE", null, false],
    ["execute", "OWNER", "admin", true],
    ["execute", "MEMBER", "maintain", true],
    ["deploy", "COLLABORATOR", "write", true],
    ["execute", "COLLABORATOR", "read", false],
    ["rollback", "MEMBER", "triage", false],
    ["deploy", "OWNER", null, false],
    ["execute", "NONE", "write", false],
    // A label carries no association: only the permission counts.
    ["execute", null, "write", true],
    ["execute", null, "read", false],
  ])("%s by %s with %s permission → %s", (command, association, permission, allowed) => {
    expect(authorize(command, association, permission, commands).allowed).toBe(allowed);
  });

  it("names what is needed", () => {
    const verdict = authorize("execute", "COLLABORATOR", "read", commands);
    expect(verdict).toEqual({ allowed: false, needs: "write access to this repository (you have read)" });
    expect(authorize("analyze", "NONE", null, commands)).toEqual({ allowed: false, needs: "an author association of owner, member, collaborator with this repository (GitHub says: none)" });
  });

  it("names the configured associations, not a fixed list", () => {
    const ownersOnly = { ...commands, associations: ["OWNER"] } as typeof commands;
    expect(authorize("status", "FIRST_TIME_CONTRIBUTOR", null, ownersOnly)).toEqual({
      allowed: false,
      needs: "an author association of owner with this repository (GitHub says: first time contributor)",
    });
    expect(authorize("status", "OWNER", null, ownersOnly)).toEqual({ allowed: true });
  });
});
