import type { Rule } from "../config/schema.js";

/**
 * The default routing table: the seed's ten rows, completed with Guardian's two and the
 * command rule of Discussions, in the order of the README's routing table. Order matters
 * only between rules of equal priority.
 */
export const DEFAULT_RULES: readonly Rule[] = [
  {
    id: "issue-agent-execute",
    when: { event: "issues", action: "labeled", labelAdded: "$executeLabel" },
    agent: "CoordinatorAgent",
    priority: "critical",
    action: "Execute autonomous task",
  },
  {
    id: "comment-command",
    when: { event: "issue_comment", action: "created", commentCommand: true },
    agent: "CoordinatorAgent",
    priority: "critical",
    action: "Parse and execute command",
  },
  {
    id: "workflow-failure",
    when: {
      event: "workflow_run",
      action: "completed",
      conclusion: ["failure", "timed_out", "startup_failure"],
      defaultBranch: true,
    },
    agent: "Guardian",
    priority: "critical",
    action: "Escalate workflow failure",
  },
  { id: "issue-opened", when: { event: "issues", action: "opened" }, agent: "IssueAgent", priority: "high", action: "Analyze and auto-label" },
  { id: "issue-assigned", when: { event: "issues", action: "assigned" }, agent: "IssueAgent", priority: "high", action: "Transition to implementing" },
  {
    id: "pr-opened",
    when: { event: "pull_request", action: "opened", draft: false },
    agent: "ReviewAgent",
    priority: "high",
    action: "Run quality checks",
  },
  { id: "pr-ready", when: { event: "pull_request", action: "ready_for_review" }, agent: "ReviewAgent", priority: "high", action: "Request review" },
  {
    id: "pr-review-requested",
    when: { event: "pull_request", action: "review_requested" },
    agent: "ReviewAgent",
    priority: "high",
    action: "Perform automated review",
  },
  { id: "issue-closed", when: { event: "issues", action: "closed" }, agent: "IssueAgent", priority: "medium", action: "Transition to done" },
  {
    id: "pr-merged",
    when: { event: "pull_request", action: "closed", merged: true, deployBranch: true },
    agent: "DeploymentAgent",
    priority: "medium",
    action: "Trigger deployment",
  },
  {
    id: "push-deploy",
    when: { event: "push", deployBranch: true, tag: false, deleted: false },
    agent: "DeploymentAgent",
    priority: "medium",
    action: "Deploy to production",
  },
  {
    id: "pr-synchronize",
    when: { event: "pull_request", action: "synchronize", draft: false },
    agent: "ReviewAgent",
    priority: "low",
    action: "Re-run quality checks",
  },
  {
    id: "workflow-recovered",
    when: { event: "workflow_run", action: "completed", conclusion: "success", defaultBranch: true },
    agent: "Guardian",
    priority: "low",
    action: "Close escalation if open",
  },
  // Last in the table only so earlier rules keep their places: no other rule matches a
  // discussion comment, so its place decides nothing.
  {
    id: "discussion-command",
    when: { event: "discussion_comment", action: "created", commentCommand: true },
    agent: "CoordinatorAgent",
    priority: "critical",
    action: "Answer command in discussion",
  },
];
