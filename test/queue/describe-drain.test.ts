import { describe, expect, it } from "vitest";
import { describeDrain } from "../../src/queue/describe-drain.js";

const task = (id: string, agent: string, startedAt: number) => ({ id, agent, startedAt });

describe("describeDrain", () => {
  it.each([
    {
      phase: "draining",
      tasks: [task("12", "ExecAgent", 0)],
      now: 8_000,
      deadline: 25_000,
      line: "draining: 1 task still running (ExecAgent task 12, 8 s); 17 s left",
    },
    {
      phase: "draining",
      tasks: [task("12", "ExecAgent", 0), task("14", "ReviewAgent", 7_400)],
      now: 8_000,
      deadline: 8_001,
      line: "draining: 2 tasks still running (ExecAgent task 12, 8 s; ReviewAgent task 14, 0 s); 1 s left",
    },
    {
      phase: "aborting",
      tasks: [task("3", "IssueAgent", 1_000)],
      now: 30_000,
      deadline: 29_000,
      line: "aborted: 1 task still stopping (IssueAgent task 3, 29 s); handed back in 0 s",
    },
    {
      phase: "draining",
      tasks: Array.from({ length: 7 }, (_, i) => task(String(i + 1), "A", 0)),
      now: 1_000,
      deadline: 10_000,
      line: "draining: 7 tasks still running (A task 1, 1 s; A task 2, 1 s; A task 3, 1 s; A task 4, 1 s; A task 5, 1 s; and 2 more); 9 s left",
    },
  ] as const)("$line", ({ phase, tasks, now, deadline, line }) => {
    expect(describeDrain(phase, tasks, now, deadline)).toBe(line);
  });
});
