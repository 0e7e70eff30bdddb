import { escapeMarkdown } from "../../../summary/escape-markdown.js";

/** The rule of the task `execute` hands its plan to (run by the configured ExecutionAgent). */
export const EXECUTE_PLAN_RULE = "execute-plan";

export interface PlanStep {
  text: string;
  done: boolean;
  /** The kind of agent the step needs, by its words. */
  agent: string;
}

const STEP = /^\s*[-*]\s+\[( |x|X)\]\s+(.+?)\s*$/;

const KINDS: { agent: string; words: RegExp }[] = [
  { agent: "TestAgent", words: /\b(tests?|coverage|spec|e2e)\b/i },
  { agent: "DocsAgent", words: /\b(docs?|documentation|readme|changelog|guide)\b/i },
  { agent: "ReviewAgent", words: /\b(review|audit|check)\b/i },
  { agent: "DeploymentAgent", words: /\b(deploy|release|rollout|ship)\b/i },
  { agent: "CodeGenAgent", words: /./ },
];

/**
 * Turns an issue's task list (`- [ ] …` items) into plan steps, each with the kind of agent
 * it needs; an issue without a task list becomes one step, its title.
 *
 * @example buildPlan("- [ ] Add parser\n- [ ] Write tests", "x") // [{text: "Add parser", agent: "CodeGenAgent"}, {text: "Write tests", agent: "TestAgent"}]
 */
export function buildPlan(body: string, title: string): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const line of body.split(/\r?\n/)) {
    const match = STEP.exec(line);
    if (!match) continue;
    const text = match[2]!;
    steps.push({ text, done: match[1] !== " ", agent: KINDS.find((k) => k.words.test(text))!.agent });
  }
  if (steps.length === 0 && title.trim()) steps.push({ text: title.trim(), done: false, agent: KINDS.find((k) => k.words.test(title))!.agent });
  return steps;
}

/**
 * The plan as the Markdown list switchyard posts. Each step is the issue author's text,
 * republished under switchyard's name when a maintainer runs `/agent execute`: it is escaped
 * so it reads as the words it is, never as a mention, a link, an image, HTML or a control
 * character (on the page a backslash escape shows nothing; the words stay as written).
 *
 * @example renderPlan([{ text: "ping @acme/everyone", done: false, agent: "CodeGenAgent" }]) // "1. [ ] ping \\@acme/everyone — **CodeGenAgent**"
 */
export function renderPlan(steps: readonly PlanStep[]): string {
  return steps.map((s, i) => `${i + 1}. [${s.done ? "x" : " "}] ${escapeMarkdown(s.text)} — **${s.agent}**`).join("\n");
}

/**
 * The plan of the issue an event is about, from the issue as the event carries it: the same
 * steps for the reply CoordinatorAgent posts and for the document the ExecutionAgent gets.
 *
 * @example planOf({ body: "- [ ] Write tests", title: "x" }) // [{text: "Write tests", done: false, agent: "TestAgent"}]
 */
export function planOf(subject: { body: string | null; title: string | null }): PlanStep[] {
  return buildPlan(subject.body ?? "", subject.title ?? "");
}
