import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireStoreLock, lockHolder } from "../../src/store/sqlite/lock-file.js";

const dir = mkdtempSync(path.join(tmpdir(), "switchyard-lock-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("acquireStoreLock", () => {
  it("writes our pid, refuses a second holder, and frees the file on release", () => {
    const db = path.join(dir, "a.db");
    const lock = acquireStoreLock(db);
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(process.pid));
    expect(() => acquireStoreLock(db)).toThrow(/already holds/);
    lock.release();
    expect(existsSync(`${db}.lock`)).toBe(false);
    lock.release(); // idempotent
    const again = acquireStoreLock(db);
    again.release();
  });

  it("refuses a database with a second name (a hard link), which the lock beside one name cannot guard", () => {
    mkdirSync(path.join(dir, "linked"));
    const db = path.join(dir, "linked", "h.db");
    writeFileSync(db, "");
    const lock = acquireStoreLock(db);
    lock.release();
    const other = path.join(dir, "h-other-name.db");
    linkSync(db, other);
    for (const name of [db, other]) expect(() => acquireStoreLock(name)).toThrow(/has 2 names \(hard links\).*find \/ -xdev -samefile/);
    expect(existsSync(`${db}.lock`) || existsSync(`${other}.lock`)).toBe(false);
    // Its WAL as well.
    rmSync(other);
    writeFileSync(`${db}-wal`, "");
    linkSync(`${db}-wal`, `${other}-wal`);
    expect(() => acquireStoreLock(db)).toThrow(/h\.db-wal has 2 names/);
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
    const lock = acquireStoreLock(db);
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });

  it("takes over a lock naming our own pid that this process never took (pid reuse after a restart)", () => {
    const db = path.join(dir, "d.db");
    writeFileSync(`${db}.lock`, `${process.pid}\n`);
    const lock = acquireStoreLock(db);
    lock.release();
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it("takes over an empty or garbled lock file left from earlier, but not one being created right now", () => {
    const db = path.join(dir, "e.db");
    const longAgo = new Date(Date.now() - 60_000);
    writeFileSync(`${db}.lock`, "");
    // Fresh and empty: another process (without hard links) is writing its pid into it.
    expect(() => acquireStoreLock(db)).toThrow(/is creating .*\.lock right now: retry in a moment/);
    expect(lockHolder(db)).toEqual({ pid: 0, adminUrl: null });
    utimesSync(`${db}.lock`, longAgo, longAgo);
    const lock = acquireStoreLock(db);
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(process.pid));
    lock.release();
    writeFileSync(`${db}.lock`, "not a pid");
    utimesSync(`${db}.lock`, longAgo, longAgo);
    acquireStoreLock(db).release();
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it("creates the database's directory, which a first run does not have yet", () => {
    const db = path.join(dir, "new", "dir", "f.db");
    const lock = acquireStoreLock(db);
    expect(existsSync(`${db}.lock`)).toBe(true);
    lock.release();
  });

  it("publishes the holder's admin API for CLIs of the same database, and names no holder once it is gone", async () => {
    const db = path.join(dir, "g.db");
    const lock = acquireStoreLock(db);
    lock.publishAdminUrl("http://127.0.0.1:9191");
    expect(readFileSync(`${db}.lock`, "utf8")).toBe(`${process.pid}\nadmin http://127.0.0.1:9191\n`);
    // Another process sees the holder: pretend to be one by writing a live child's pid.
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    children.push(child);
    await new Promise((resolve) => child.once("spawn", resolve));
    lock.release();
    writeFileSync(`${db}.lock`, `${child.pid}\nadmin http://127.0.0.1:9191\n`);
    expect(lockHolder(db)).toEqual({ pid: child.pid, adminUrl: "http://127.0.0.1:9191" });
    writeFileSync(`${db}.lock`, `${child.pid}\n`);
    expect(lockHolder(db)).toEqual({ pid: child.pid, adminUrl: null });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(lockHolder(db)).toBeNull();
    expect(lockHolder(path.join(dir, "never.db"))).toBeNull();
  });

  it("takes over a lock whose holder is a zombie (killed, not yet reaped)", async () => {
    const db = path.join(dir, "h.db");
    // A child that exits at once under a parent that never waits for it: the shell starts it,
    // prints its pid, then becomes `sleep`, which does not reap.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(parent);
    const zombie = Number((await new Promise<Buffer>((resolve) => parent.stdout!.once("data", resolve))).toString().trim());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readFileSync(`/proc/${zombie}/stat`, "utf8")).toMatch(/\) Z /);
    writeFileSync(`${db}.lock`, `${zombie}\n`);
    const lock = acquireStoreLock(db);
    expect(readFileSync(`${db}.lock`, "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });
});
