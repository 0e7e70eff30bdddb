import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireStoreLock } from "../../src/store/sqlite/lock-file.js";

const dir = mkdtempSync(path.join(tmpdir(), "switchyard-lock-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("acquireStoreLock", () => {
  it("writes our pid, refuses a second holder, and frees the file on release", () => {
    const db = path.join(dir, "a.db");
    const release = acquireStoreLock(db);
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(process.pid));
    expect(() => acquireStoreLock(db)).toThrow(/already holds/);
    release();
    expect(existsSync(`${db}.lock`)).toBe(false);
    release(); // idempotent
    const again = acquireStoreLock(db);
    again();
  });

  it("refuses while another live process holds the lock, naming its pid", async () => {
    const db = path.join(dir, "b.db");
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    children.push(child);
    await new Promise((resolve) => child.once("spawn", resolve));
    writeFileSync(`${db}.lock`, `${child.pid}\n`);
    expect(() => acquireStoreLock(db)).toThrow(new RegExp(`another switchyard serve \\(pid ${child.pid}\\)`));
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(child.pid));
  });

  it("takes over a lock whose process is gone", () => {
    const db = path.join(dir, "c.db");
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(`${db}.lock`, `${gone.stdout}\n`);
    const release = acquireStoreLock(db);
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(process.pid));
    release();
  });

  it("takes over a lock naming our own pid that this process never took (pid reuse after a restart)", () => {
    const db = path.join(dir, "d.db");
    writeFileSync(`${db}.lock`, `${process.pid}\n`);
    const release = acquireStoreLock(db);
    release();
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it("takes over an empty or garbled lock file", () => {
    const db = path.join(dir, "e.db");
    writeFileSync(`${db}.lock`, "");
    const release = acquireStoreLock(db);
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(process.pid));
    release();
    writeFileSync(`${db}.lock`, "not a pid");
    acquireStoreLock(db)();
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it("creates the database's directory, which a first run does not have yet", () => {
    const db = path.join(dir, "new", "dir", "f.db");
    const release = acquireStoreLock(db);
    expect(existsSync(`${db}.lock`)).toBe(true);
    release();
  });
});
