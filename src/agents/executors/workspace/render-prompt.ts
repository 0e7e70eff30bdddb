import type { PlanStep } from "../../builtin/coordinator/build-plan.js";

export interface PromptInput {
  repository: string;
  issue: { number: number; title: string; body: string };
  plan: readonly PlanStep[];
  /** Recent comments by people, oldest first. */
  comments: readonly { user: string | null; body: string }[];
  branch: string;
  defaultBranch: string;
}

const MAX_COMMENT = 2000;

/**
 * The prompt file a coding agent is pointed at: the issue, its plan, recent discussion and
 * the ground rules of the workspace (what switchyard does afterwards, so the agent does not).
 *
 * @example renderPrompt({ repository: "octo/app", issue: { number: 12, title: "Fix login", body: "…" }, plan: [], comments: [], branch: "switchyard/issue-12-fix-login", defaultBranch: "main" })
 */
export function renderPrompt(input: PromptInput): string {
  const { issue } = input;
  const plan = input.plan.map((s) => `- [${s.done ? "x" : " "}] ${s.text.replace(/\n/g, " ")}`).join("\n");
  const comments = input.comments.map((c) => {
    const body = c.body.length > MAX_COMMENT ? `${c.body.slice(0, MAX_COMMENT)}…` : c.body;
    return `### @${c.user ?? "ghost"}\n\n${body.trim()}`;
  });
  return [
    `# ${input.repository}#${issue.number}: ${issue.title}`,
    "",
    issue.body.trim() || "_The issue has no description._",
    "",
    "## Plan",
    "",
    plan || "_No task list: do what the title asks._",
    "",
    ...(comments.length > 0 ? ["## Recent comments", "", comments.join("\n\n"), ""] : []),
    "## How this workspace works",
    "",
    `- The current directory is a git worktree of ${input.repository} on branch \`${input.branch}\`, started from \`${input.defaultBranch}\` (or from this branch's earlier work).`,
    "- Change the files the task needs. You may commit; uncommitted changes are committed for you.",
    "- Do not push and do not switch branches: when you exit with status 0, switchyard commits, pushes this branch and opens or updates the pull request.",
    "- Exit with a non-zero status if you cannot do the task; the end of your output is posted on the issue.",
    "",
  ].join("\n");
}
