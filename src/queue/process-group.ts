import { readFileSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { hostname } from "node:os";
import type { AttemptProcess } from "../store/store.js";

/**
 * Process groups of `exec` agents: signalling them, telling when they are empty, and
 * recognising one again from another process (a restarted switchyard ending the orphan of
 * the one that was killed). The agent leads its own group (spawned detached), so its pid is
 * the group id and a signal to `-pgid` reaches its children too.
 *
 * Recognising a group later is guarded against pid reuse by the leader's start time from
 * Linux's /proc (with the boot id, since start times count from boot). Limits: elsewhere
 * (macOS, no /proc) the start is unknown and a later process never kills the group; a
 * process that left the group (setsid, setpgid) is not reached; and when the leader is gone
 * but members remain, the group is taken as the agent's — wrong only if the group emptied
 * and its id was reused by a new leader that then exited leaving children.
 */

const POLL_MS = 25;

/** Signals every process of the group; false when none is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // EPERM: a member changed identity (setuid); it still exists.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface ProcStat {
  state: string;
  pgrp: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTicks: string;
}

/** "pid (comm) state ppid pgrp … starttime …": comm may hold spaces and parentheses, so split after the last ")". */
function parseStat(stat: string): ProcStat {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", pgrp: Number(fields[2]), startTicks: fields[19] ?? "" };
}

function readStatSync(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

let bootId: string | null | undefined;
function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * When `pid` started, as `<boot id>:<start ticks>`, or null where /proc cannot say (not
 * Linux, or the process is already gone).
 *
 * @example readProcessStart(child.pid) // "3f1c…-…:8723311"
 */
export function readProcessStart(pid: number): string | null {
  const boot = readBootId();
  const stat = boot === null ? null : readStatSync(pid);
  return stat === null || stat.startTicks === "" ? null : `${boot}:${stat.startTicks}`;
}

/**
 * The record of a process group this process just started: what a later process needs to
 * find it again.
 *
 * @example await store.recordAttemptProcess(task.id, token, describeGroup(child.pid));
 */
export function describeGroup(pgid: number): AttemptProcess {
  return { host: hostname(), pgid, start: readProcessStart(pgid) };
}

/** The live (not zombie) members of the group, with their start ticks; null where /proc cannot say. */
async function liveMembers(pgid: number): Promise<ProcStat[] | null> {
  if (process.platform !== "linux") return null;
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return null;
  }
  const members: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: ProcStat;
    try {
      stat = parseStat(await readFile(`/proc/${entry}/stat`, "utf8"));
    } catch {
      continue; // exited while we looked
    }
    if (stat.pgrp === pgid && stat.state !== "Z") members.push(stat);
  }
  return members;
}

/**
 * Whether any process of the group still runs. A killed orphan stays a zombie until init
 * reaps it, and kill(-pgid, 0) counts zombies; some inits reap every few seconds and node
 * as PID 1 in a container never does. So on Linux, /proc decides: zombies run nothing.
 */
export async function groupHasLiveMembers(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  const members = await liveMembers(pgid);
  return members === null || members.length > 0;
}

async function waitForEmptyGroup(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!(await groupHasLiveMembers(pgid))) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return !(await groupHasLiveMembers(pgid));
}

/**
 * SIGTERM to the group, SIGKILL after `graceMs` if anything is left, and wait (bounded)
 * until it is empty. True when the group is empty at the end.
 *
 * @example await killGroup(pgid, 2000)
 */
export async function killGroup(pgid: number, graceMs: number): Promise<boolean> {
  if (!(await groupHasLiveMembers(pgid))) return true;
  signalGroup(pgid, "SIGTERM");
  if (await waitForEmptyGroup(pgid, graceMs)) return true;
  signalGroup(pgid, "SIGKILL");
  return waitForEmptyGroup(pgid, graceMs);
}

/** What a recorded group is now, seen from this process. */
export type GroupState =
  /** Recorded on another host: nothing can be known or done from here. */
  | "elsewhere"
  /** No live process of it is left. */
  | "gone"
  /** Still running, and recognisably the recorded group. */
  | "running"
  /** The id is in use by an unrelated group (pid reuse): leave it alone. */
  | "reused"
  /** Something runs under that id, but without /proc its start cannot be checked. */
  | "unknown";

/**
 * Whether the group an earlier attempt recorded still runs here, telling it from a group
 * that reused its id (see the limits at the top of this file).
 *
 * @example await recordedGroupState({ host: hostname(), pgid: 4242, start: "…:8723311" }) // "running"
 */
export async function recordedGroupState(recorded: AttemptProcess): Promise<GroupState> {
  if (recorded.host !== hostname()) return "elsewhere";
  if (!(await groupHasLiveMembers(recorded.pgid))) return "gone";
  const boot = readBootId();
  if (recorded.start === null || boot === null) return "unknown";
  const split = recorded.start.lastIndexOf(":");
  const [recordedBoot, recordedTicks] = [recorded.start.slice(0, split), recorded.start.slice(split + 1)];
  // Rebooted since: every process of that boot is gone, whatever holds the id now.
  if (recordedBoot !== boot) return "reused";
  const leader = readStatSync(recorded.pgid);
  if (leader !== null) return leader.startTicks === recordedTicks && leader.pgrp === recorded.pgid ? "running" : "reused";
  // The leader is gone but members remain (groupHasLiveMembers said so): the kernel does
  // not hand out an id still in use as a group id, so this is the recorded group, unless
  // it emptied, its id was reused by a new leader and that leader exited leaving children.
  return "running";
}
