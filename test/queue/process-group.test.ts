import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { describeGroup, killGroup, readProcessStart, recordedGroupState } from "../../src/queue/process-group.js";

// The group's start is read from /proc: elsewhere a recorded group is never recognised (and never killed).
const linux = process.platform === "linux";

const started: number[] = [];
afterEach(() => {
  for (const pgid of started.splice(0)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/** A process leading its own group, with a child in it, as an exec agent runs. */
async function startGroup(): Promise<number> {
  const child = spawn(process.execPath, ["-e", `require("node:child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" }); setTimeout(() => {}, 60000);`], {
    detached: true,
    stdio: "ignore",
  });
  await new Promise((resolve) => child.once("spawn", resolve));
  started.push(child.pid!);
  return child.pid!;
}

describe.skipIf(!linux)("process groups recorded on an attempt (Linux /proc)", () => {
  it("recognises the recorded group while it runs, kills it with its children, then finds it gone", async () => {
    const pgid = await startGroup();
    const recorded = describeGroup(pgid);
    expect(recorded).toEqual({ host: hostname(), pgid, start: expect.stringMatching(/^.+:\d+$/) });
    expect(await recordedGroupState(recorded)).toBe("running");
    expect(await killGroup(pgid, 2000)).toBe(true);
    expect(await recordedGroupState(recorded)).toBe("gone");
  });

  it("leaves alone a group whose id now belongs to another process (another start, another boot), or that ran on another host", async () => {
    const pgid = await startGroup();
    const start = readProcessStart(pgid)!;
    const [boot, ticks] = [start.slice(0, start.lastIndexOf(":")), start.slice(start.lastIndexOf(":") + 1)];
    expect(await recordedGroupState({ host: hostname(), pgid, start: `${boot}:${Number(ticks) - 1}` })).toBe("reused");
    expect(await recordedGroupState({ host: hostname(), pgid, start: `another-boot:${ticks}` })).toBe("reused");
    expect(await recordedGroupState({ host: `${hostname()}-other`, pgid, start })).toBe("elsewhere");
    // Without a start there is no telling it from a reused id.
    expect(await recordedGroupState({ host: hostname(), pgid, start: null })).toBe("unknown");
    // None of that touched it.
    expect(await recordedGroupState({ host: hostname(), pgid, start })).toBe("running");
  });
});
