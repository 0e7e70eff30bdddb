// Bundles a few small sample deliveries from @octokit/webhooks-examples (a 9 MB dev
// dependency) into samples/, so `switchyard send` and `npm start` work without it.
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const WANTED = [
  "issues.opened", "issues.labeled", "issues.assigned", "issues.closed",
  "issue_comment.created", "pull_request.opened", "pull_request.closed",
  "pull_request.synchronize", "pull_request.ready_for_review", "pull_request.review_requested",
  "pull_request_review.submitted", "push", "workflow_run.completed", "ping",
];

let examples;
try {
  examples = require("@octokit/webhooks-examples");
} catch {
  if (existsSync("samples/index.json")) process.exit(0); // installed from a package that ships samples
  console.error("build-samples: @octokit/webhooks-examples is missing: run npm ci (it is a dev dependency)");
  process.exit(1);
}

// GitHub's examples have no issues.closed: derive it from a reopened issue, as GitHub
// would send it (same shape, the action and the state changed).
const DERIVED = {
  // Samples that reach CoordinatorAgent: GitHub's examples comment without a command and label "bug".
  "issue_comment.created": { from: "issue_comment.created", patch: (p) => ({ ...p, comment: { ...p.comment, body: "/agent status\n/agent help" } }) },
  "issues.labeled": { from: "issues.labeled", patch: (p) => ({ ...p, label: { ...p.label, name: "agent-execute" }, issue: { ...p.issue, labels: [...p.issue.labels, { ...p.label, name: "agent-execute" }] } }) },
  // The examples' closed pull requests are unmerged; the interesting case is a merge.
  "pull_request.closed": { from: "pull_request.closed", patch: (p) => ({ ...p, pull_request: { ...p.pull_request, merged: true, merged_at: p.pull_request.closed_at } }) },
  "issues.closed": { from: "issues.reopened", patch: (p) => ({ ...p, action: "closed", issue: { ...p.issue, state: "closed", closed_at: p.issue.updated_at } }) },
};

// Where GitHub's examples differ, prefer the one the default rules route.
const PREFER = {
  push: (p) => p.ref === `refs/heads/${p.repository.default_branch}`,
  "workflow_run.completed": (p) => p.workflow_run.conclusion !== null,
};

mkdirSync("samples", { recursive: true });
const index = {};
for (const key of WANTED) {
  const derived = DERIVED[key];
  const [event, action] = (derived?.from ?? key).split(".");
  const group = examples.find((e) => e.name === event);
  const candidates = (group?.examples ?? []).filter((p) => (action ? p.action === action : true) && (PREFER[key]?.(p) ?? true));
  // The smallest example keeps the bundle small; all are real GitHub payloads.
  const smallest = candidates.sort((a, b) => JSON.stringify(a).length - JSON.stringify(b).length)[0];
  const payload = smallest && derived ? derived.patch(smallest) : smallest;
  if (!payload) {
    console.error(`build-samples: no example for ${key} in @octokit/webhooks-examples`);
    process.exit(1);
  }
  writeFileSync(`samples/${key}.json`, JSON.stringify(payload, null, 2) + "\n");
  index[key] = { event, action: payload.action ?? null, file: `${key}.json` };
}
writeFileSync("samples/index.json", JSON.stringify(index, null, 2) + "\n");
