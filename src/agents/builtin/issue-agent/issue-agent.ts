import { PermanentError } from "../../../queue/agent-errors.js";
import type { Agent, AgentContext } from "../../agent.js";
import { classifyIssue, LABEL_STYLES, type IssueClassification } from "./classify-issue.js";

interface Subject {
  repo: string;
  number: number;
  title: string;
  body: string;
  labels: string[];
}

/** The issue as GitHub has it now when it can be read, else as the payload described it. */
async function readSubject(ctx: AgentContext): Promise<Subject> {
  const { event, github } = ctx;
  if (!event.repository || event.number === null) throw new PermanentError(`${event.type} names no issue or pull request`);
  const fresh = github.canRead ? await github.getIssue(event.repository, event.number) : null;
  return {
    repo: event.repository,
    number: event.number,
    title: fresh?.title ?? event.title ?? "",
    body: fresh?.body ?? event.body ?? "",
    labels: fresh?.labels ?? event.labels,
  };
}

/** Creates the labels a repository lacks, with switchyard's colours. */
async function ensureLabels(ctx: AgentContext, repo: string, names: string[]): Promise<void> {
  const existing = new Set(ctx.github.canRead ? ((await ctx.github.listRepoLabels(repo)) ?? []) : []);
  for (const name of names) {
    if (existing.has(name)) continue;
    const style = LABEL_STYLES[name] ?? { color: "ededed", description: "" };
    await ctx.github.createLabel(repo, { name, ...style });
  }
}

export interface Analysis {
  classification: IssueClassification;
  added: string[];
  /** Suggestions not applied because a human already chose a label of that kind. */
  kept: string[];
}

/**
 * Classifies the issue and adds its `type:*` and `priority:*` labels. A kind a human has
 * already labelled (any `type:*`, any `priority:*`) is left as it is: switchyard adds, it
 * never overrides or removes a human's label.
 */
export async function analyzeIssue(ctx: AgentContext): Promise<Analysis> {
  const subject = await readSubject(ctx);
  const classification = classifyIssue(subject.title, subject.body);
  const added: string[] = [];
  const kept: string[] = [];
  for (const suggestion of [classification.type, classification.priority]) {
    if (!suggestion) continue;
    const kind = suggestion.label.split(":")[0]!;
    const present = subject.labels.filter((l) => l.startsWith(`${kind}:`));
    if (present.length > 0) kept.push(...present.filter((l) => l !== suggestion.label));
    else added.push(suggestion.label);
  }
  await ensureLabels(ctx, subject.repo, added);
  await ctx.github.addLabels(subject.repo, subject.number, added);
  return { classification, added, kept };
}

/** Moves the issue to `state:<state>`: removes the other `state:*` labels only, adds this one. */
export async function setState(ctx: AgentContext, state: "implementing" | "done"): Promise<{ added: string | null; removed: string[] }> {
  const subject = await readSubject(ctx);
  const label = `state:${state}`;
  const removed = subject.labels.filter((l) => l.startsWith("state:") && l !== label);
  for (const old of removed) await ctx.github.removeLabel(subject.repo, subject.number, old);
  if (subject.labels.includes(label)) return { added: null, removed };
  await ensureLabels(ctx, subject.repo, [label]);
  await ctx.github.addLabels(subject.repo, subject.number, [label]);
  return { added: label, removed };
}

export function describeAnalysis(a: Analysis): string {
  const lines = [a.classification.type, a.classification.priority]
    .filter((s) => s !== null)
    .map((s) => `- \`${s.label}\`: ${s.reason}${a.added.includes(s.label) ? "" : " (not applied: a label of this kind is already set)"}`);
  if (!a.classification.type) lines.unshift("- no `type:*` label: no keyword or template matched");
  return lines.join("\n");
}

/**
 * IssueAgent: `opened` → analyze and label; `assigned` → `state:implementing`; `closed` →
 * `state:done`. Idempotent: re-running adds nothing twice.
 */
export const issueAgent: Agent = {
  name: "IssueAgent",
  help: "Labels new issues by type and priority (explainable keyword rules) and tracks their state: implementing on assign, done on close.",
  handle: async (ctx) => {
    switch (ctx.event.action) {
      case "assigned": {
        const { added, removed } = await setState(ctx, "implementing");
        return { output: `state:implementing${added ? " added" : " already set"}${removed.length ? `; removed ${removed.join(", ")}` : ""}` };
      }
      case "closed": {
        const { added, removed } = await setState(ctx, "done");
        return { output: `state:done${added ? " added" : " already set"}${removed.length ? `; removed ${removed.join(", ")}` : ""}` };
      }
      default: {
        const analysis = await analyzeIssue(ctx);
        return { output: `added ${analysis.added.join(", ") || "nothing"}\n${describeAnalysis(analysis)}` };
      }
    }
  },
};
