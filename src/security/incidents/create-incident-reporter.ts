import { randomUUID } from "node:crypto";
import { isOwnComment } from "../../agents/own-comment.js";
import type { GithubClient } from "../../github/github-client.js";
import { describeFailure } from "../../queue/describe-failure.js";
import { addFailure, emptySummary, mergeSummaries, type FailureSummary } from "./failure-summary.js";
import type { IncidentLedger } from "./incident-ledger.js";
import { INCIDENT_LABEL, INCIDENT_TITLE, renderIncidentClosing, renderIncidentIssue, renderIncidentUpdate, UPDATE_HEADING } from "./render-incident.js";
import { adoptIncident, emptyIncident, settleIncident, stepIncident, type IncidentClaim, type IncidentOutcome, type IncidentSettings } from "./step-incident.js";
import type { VerificationFailure } from "./verification-failure.js";

/** A GitHub call's failure as one line (a stack only for what looks like a bug): these repeat while GitHub refuses. */
function failureFields(error: unknown): Record<string, unknown> {
  const { line, bug } = describeFailure(error);
  return bug ? { error: line, err: error } : { error: line };
}

/** A 404 or 410 from GitHub: the issue or comment is not there (deleted, moved, or never visible to this token). */
function isGone(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 404 || status === 410;
}

export interface IncidentReporter {
  /** Counts one refused request: synchronous, in memory, O(1); never waits on the store or GitHub. */
  record(failure: VerificationFailure): void;
  /** Adds what was counted to the shared state and carries out an action it calls for. The timer calls it; tests may too. */
  tick(): Promise<void>;
  /** Stops the timer and waits for a step under way. */
  close(): Promise<void>;
}

export interface IncidentReporterOptions {
  settings: IncidentSettings;
  /** `owner/name`: where the issue is opened. */
  repository: string;
  ledger: IncidentLedger;
  /** A GitHub client for the repository; its writes are recorded (and in dry-run only recorded). */
  github: () => Promise<GithubClient>;
  /**
   * switchyard's own logins, read when the client is (after the identity lookup): only an
   * incident issue one of them opened is adopted, commented on and closed.
   */
  ownLogins: () => readonly string[];
  logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  now?: () => number;
  /** How often counts go to the ledger; default a tenth of the window, 250 ms to 5 s. */
  tickMs?: number;
  /** With nothing counted and no incident known, the ledger is still read this often (another instance may have opened one); default 60 s. */
  idleReadMs?: number;
}

/**
 * The security-incident reporter (docs/security.md#security-incidents). The webhook route
 * tells it of every failed verification; it counts them in memory (bounded, whatever the
 * flood) and, every tick, adds the counts to the shared incident state in one exchange and
 * carries out the one action that state calls for — open the issue, update its one
 * comment, or close it — through the GitHub client, paced like any other write. At most one
 * exchange per tick per instance, and at most one GitHub write per window while failures go
 * on: a flood of forged requests never becomes a flood of writes.
 *
 * @example
 * const reporter = createIncidentReporter({ settings, repository: "octo/ops", ledger: createMemoryLedger(), github: () => runtime.github.forRepository(…), ownLogins: runtime.github.ownLogins, logger });
 * createWebhookServer({ ...deps, onVerificationFailure: reporter.record });
 */
export function createIncidentReporter(options: IncidentReporterOptions): IncidentReporter {
  const { settings, repository, ledger, logger } = options;
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? Math.min(5000, Math.max(250, Math.floor(settings.windowMs / 10)));
  const idleReadMs = options.idleReadMs ?? 60_000;
  let counted: FailureSummary = emptySummary();
  // Until the first exchange this instance does not know whether an incident is open.
  let active = true;
  let lastRead = -Infinity;
  let running: Promise<void> | null = null;
  let closed = false;
  // Whether this process has looked on GitHub for an incident issue an earlier run left open.
  let lookedForLeftOpen = false;
  // GitHub calls that failed in a row (the look above, or an action): each waits twice as long before the next try.
  let failuresInARow = 0;
  let nextLookAt = -Infinity;
  /** How long after the `failuresInARow`-th failure in a row the next try comes: two ticks, doubling, at most a window (or a minute). */
  const backoffMs = () => Math.min(tickMs * 2 ** Math.min(failuresInARow, 16), Math.max(settings.windowMs, 60_000));

  /**
   * The open incident issue switchyard opened, if any. Found by label and title, and by its
   * author: anyone with triage rights can open an issue with that label and title, and
   * switchyard would adopt it, comment on it and close it. With switchyard's identity unknown
   * none is found, and a flood opens a new issue: noisy, never someone else's.
   */
  async function findOpenIncident(github: GithubClient): Promise<number | null> {
    const issues = await github.listOpenIssuesWithLabel(repository, INCIDENT_LABEL);
    const ownLogins = options.ownLogins();
    return issues.find((i) => i.title === INCIDENT_TITLE && isOwnComment({ user: i.user ?? null }, ownLogins))?.number ?? null;
  }

  /** Adopts the incident issue an earlier run left open, when the state knows of none (see adoptIncident). */
  async function adoptLeftOpen(at: number): Promise<void> {
    const known = await ledger.exchange((state) => ({ state: state ?? emptyIncident(), result: state !== null && (state.open || state.pending !== null) }));
    if (known) return;
    const github = await options.github();
    const open = await findOpenIncident(github);
    if (open === null) return;
    // Its update comment, so that further failures edit it rather than add another.
    const ownLogins = options.ownLogins();
    const update = (await github.listComments(repository, open)).filter((c) => isOwnComment(c, ownLogins) && c.body.includes(UPDATE_HEADING)).at(-1);
    await ledger.exchange((state) => ({ state: adoptIncident(state, open, at, update?.id ?? null), result: undefined }));
    logger.info({ repository, issue: open }, "security incidents: adopted the incident issue an earlier run left open; it is closed after the quiet time without a failure");
  }

  /**
   * Whether the incident issue is still open on GitHub: someone may have closed it by hand,
   * deleted it or moved it. Then it is no place to report further failures, nor to close.
   */
  async function stillOpen(github: GithubClient, issue: number): Promise<boolean> {
    try {
      return (await github.getIssue(repository, issue))?.state !== "closed";
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  async function carryOut(claim: IncidentClaim): Promise<IncidentOutcome> {
    const github = await options.github();
    switch (claim.action) {
      case "open": {
        await github.createLabel(repository, { name: INCIDENT_LABEL, color: "b60205", description: "switchyard: failed webhook verifications" });
        // An instance that opened it and died before recording it left it open on GitHub: adopt it.
        const open = await findOpenIncident(github);
        if (open !== null) return { action: "open", issue: open };
        const issue = await github.createIssue(repository, { title: INCIDENT_TITLE, body: renderIncidentIssue(claim.summary, claim.inWindow, settings), labels: [INCIDENT_LABEL] });
        return { action: "open", issue };
      }
      case "update": {
        // In dry-run there is no issue to comment on: the opening was recorded, that is the record.
        if (claim.issue === null) return { action: "update", commentId: null };
        if (!(await stillOpen(github, claim.issue))) return { action: "gone" };
        const body = renderIncidentUpdate(claim.summary, claim.reportedTotal, now());
        if (claim.commentId !== null) {
          try {
            await github.updateComment(repository, claim.commentId, body);
            return { action: "update", commentId: claim.commentId };
          } catch (error) {
            // The comment was deleted: the update goes into a new one.
            if (!isGone(error)) throw error;
          }
        }
        return { action: "update", commentId: await github.createComment(repository, claim.issue, body) };
      }
      case "close":
        if (claim.issue !== null && (await stillOpen(github, claim.issue))) {
          await github.createComment(repository, claim.issue, renderIncidentClosing(claim.summary, settings));
          await github.updateIssue(repository, claim.issue, { state: "closed" });
        }
        return { action: "close" };
    }
  }

  async function step(): Promise<void> {
    const at = now();
    if (!lookedForLeftOpen && at >= nextLookAt) {
      try {
        await adoptLeftOpen(at);
        lookedForLeftOpen = true;
        failuresInARow = 0;
      } catch (error) {
        failuresInARow++;
        nextLookAt = at + backoffMs();
        logger.warn({ ...failureFields(error), repository, retry_in_ms: nextLookAt - at }, `security incidents: could not look for an incident issue left open by an earlier run in ${repository}; looked for again in ${Math.round((nextLookAt - at) / 1000)} s`);
      }
    }
    const tally = counted.total > 0 ? counted : null;
    if (!tally && !active && at - lastRead < idleReadMs) return;
    counted = emptySummary();
    const token = randomUUID();
    let claim: IncidentClaim | null;
    try {
      const stepped = await ledger.exchange((state) => {
        const next = stepIncident(state, tally, at, settings, token);
        const s = next.state;
        return { state: s, result: { claim: next.claim, active: s.open || s.summary.total > 0 || s.pending !== null } };
      });
      claim = stepped.claim;
      active = stepped.active;
      lastRead = at;
    } catch (error) {
      // Counts are kept for the next tick: the store may be back by then.
      if (tally) counted = mergeSummaries(tally, counted);
      logger.warn({ err: error }, "security incidents: could not update the shared failure count");
      return;
    }
    if (!claim) return;
    let outcome: IncidentOutcome;
    try {
      outcome = await carryOut(claim);
      failuresInARow = 0;
      if (outcome.action === "gone") logger.info({ action: claim.action, repository, issue: claim.issue }, `security incidents: issue #${claim.issue} was closed or removed on GitHub by someone else; failures that go on open a new one`);
      else logger.info({ action: claim.action, repository, failures: claim.summary.total }, "security incident reported");
    } catch (error) {
      failuresInARow++;
      const retryAt = now() + backoffMs();
      logger.warn(
        { ...failureFields(error), action: claim.action, repository, retry_in_ms: retryAt - now() },
        `security incidents: could not ${claim.action} the incident issue in ${repository}; tried again in ${Math.round((retryAt - now()) / 1000)} s${claim.action === "open" ? " (until GitHub takes it, however long the failures have stopped)" : ""}`,
      );
      outcome = { action: "failed", retryAt };
    }
    const settledAt = now();
    await ledger.exchange((state) => ({ state: settleIncident(state ?? emptyIncident(), token, outcome, settledAt), result: undefined })).catch((error: unknown) => {
      logger.warn({ err: error }, "security incidents: could not record what was reported; the claim runs out and is taken again");
    });
  }

  const tick = () => (running ??= step().finally(() => (running = null)));
  const timer = setInterval(() => void tick(), tickMs);
  // Counting must never keep a process alive.
  timer.unref();

  return {
    record(failure) {
      if (!closed) addFailure(counted, failure);
    },
    tick,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
