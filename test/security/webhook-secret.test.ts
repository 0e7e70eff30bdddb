import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type * as Fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadOrCreateWebhookSecret } from "../../src/security/webhook-secret.js";

// Lets a test play the other process in a start-up race: `beforeLink` runs just before this
// process links its secret into place, i.e. after it found no file.
const race = vi.hoisted(() => ({ beforeLink: undefined as ((target: string) => void) | undefined }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  return {
    ...fs,
    linkSync: (existing: string, target: string) => {
      const other = race.beforeLink;
      race.beforeLink = undefined;
      other?.(target);
      fs.linkSync(existing, target);
    },
  };
});

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "swy-secret-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("loadOrCreateWebhookSecret", () => {
  it("creates a random 32-byte hex secret in a 0600 file inside a 0700 directory", () => {
    const dir = join(tempDir(), ".switchyard");
    const result = loadOrCreateWebhookSecret(dir);
    expect(result.created).toBe(true);
    expect(result.file).toBe(join(dir, "webhook-secret"));
    expect(result.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(result.file, "utf8").trim()).toBe(result.secret);
    expect(statSync(result.file).mode & 0o777).toBe(0o600);
    // The umask may narrow the directory's mode, never widen it.
    expect(statSync(dir).mode & 0o077).toBe(0);
  });

  it("reuses the secret on the next call and leaves no temporary file behind", () => {
    const dir = tempDir();
    const first = loadOrCreateWebhookSecret(dir);
    const second = loadOrCreateWebhookSecret(dir);
    expect(second).toEqual({ secret: first.secret, file: first.file, created: false });
    expect(readFileSync(first.file, "utf8").trim()).toBe(first.secret);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(readdir(dir)).toEqual(["webhook-secret"]);
  });

  it("generates a different secret in each directory", () => {
    const a = loadOrCreateWebhookSecret(tempDir());
    const b = loadOrCreateWebhookSecret(tempDir());
    expect(a.created && b.created).toBe(true);
    expect(a.secret).not.toBe(b.secret);
  });

  it("loses a creation race gracefully: returns the winner's secret and leaves it intact", () => {
    const dir = tempDir();
    race.beforeLink = (target) => writeFileSync(target, "winner-secret\n", { mode: 0o600, flag: "wx" });
    expect(loadOrCreateWebhookSecret(dir)).toEqual({ secret: "winner-secret", file: join(dir, "webhook-secret"), created: false });
    expect(readFileSync(join(dir, "webhook-secret"), "utf8")).toBe("winner-secret\n");
    expect(readdirSync(dir)).toEqual(["webhook-secret"]);
  });

  it("reads an existing secret trimmed", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "webhook-secret"), "  my-configured-secret \n");
    expect(loadOrCreateWebhookSecret(dir)).toEqual({ secret: "my-configured-secret", file: join(dir, "webhook-secret"), created: false });
  });

  it.each(["", "  \n"])("refuses an empty secret file %j and says how to fix it", (content) => {
    const dir = tempDir();
    writeFileSync(join(dir, "webhook-secret"), content);
    expect(() => loadOrCreateWebhookSecret(dir)).toThrow(/webhook-secret is empty: delete it .*or set WEBHOOK_SECRET/);
  });

  it("surfaces other read errors instead of overwriting", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "webhook-secret"));
    expect(() => loadOrCreateWebhookSecret(dir)).toThrow(/EISDIR/);
  });
});

function readdir(dir: string): string[] {
  return readdirSync(dir).sort();
}
