import { requiredPermission, type HookTarget } from "./hook-target.js";

/**
 * Why a hook's sweep stopped. The first four are the user's to fix (the CLI exits 2); the
 * next three may pass by themselves (exit 1); `busy` is no failure: another instance is
 * sweeping the hook right now.
 */
export const SWEEP_ERROR_KINDS = ["no_credentials", "unauthorized", "forbidden", "not_found", "unreachable", "rate_limited", "github_error", "busy"] as const;
export type SweepErrorKind = (typeof SWEEP_ERROR_KINDS)[number];

export interface SweepError {
  kind: SweepErrorKind;
  /** One line that says what to fix. */
  message: string;
}

const USAGE_KINDS: readonly SweepErrorKind[] = ["no_credentials", "unauthorized", "forbidden", "not_found"];

/** How an error the next sweep may get past ends its message. */
const NEXT_SWEEP_TRIES_AGAIN = ": the next sweep tries again";

/** The message without its "the next sweep tries again", for a caller that says what comes next itself. */
export function withoutRetryNote(message: string): string {
  return message.endsWith(NEXT_SWEEP_TRIES_AGAIN) ? message.slice(0, -NEXT_SWEEP_TRIES_AGAIN.length) : message;
}

/**
 * The CLI's exit code for a sweep's errors: 2 when one is the user's to fix, 1 when GitHub
 * could not be reached or failed, else 0.
 *
 * @example sweepExitCode([{ kind: "forbidden", message: "…" }]) // 2
 */
export function sweepExitCode(errors: readonly SweepError[]): 0 | 1 | 2 {
  if (errors.some((e) => USAGE_KINDS.includes(e.kind))) return 2;
  if (errors.some((e) => e.kind !== "busy")) return 1;
  return 0;
}

/**
 * GitHub's API URL answered, but not with what GitHub answers: a proxy, a web page, or a
 * GitHub Enterprise Server host without its `/api/v3`. Not a network failure.
 */
export class UnexpectedAnswer extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(what);
    this.name = "UnexpectedAnswer";
  }
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isRateLimit(error: RequestErrorLike): boolean {
  const headers = error.response?.headers ?? {};
  if (error.status === 429) return true;
  return error.status === 403 && (headers["retry-after"] !== undefined || String(headers["x-ratelimit-remaining"]) === "0" || /rate limit/i.test(error.message ?? ""));
}

/**
 * A failure talking to GitHub about `target`, as the one line the user reads. GitHub
 * answers 404 both for a hook that does not exist and for one the token may not see.
 */
export function describeGithubError(thrown: unknown, target: HookTarget, apiUrl: string): SweepError {
  const error = (typeof thrown === "object" && thrown !== null ? thrown : { message: String(thrown) }) as RequestErrorLike;
  const reason = (error.message ?? "unknown error").split("\n")[0]!;
  const hook = `hook ${target.name}`;
  if (thrown instanceof UnexpectedAnswer) {
    return {
      kind: "github_error",
      message: `${hook}: ${apiUrl} answered ${thrown.status} with ${thrown.message}: check github.apiUrl (GitHub Enterprise Server's API is https://HOST/api/v3); the next sweep tries again`,
    };
  }
  if (error.response === undefined && (error.status === undefined || error.status === 500)) {
    if (error.status === undefined && /private key|jwt|secretOrPrivateKey|PEM/i.test(reason)) {
      return { kind: "unauthorized", message: `${hook}: the GitHub App's private key could not sign a JWT (${reason}): check GITHUB_APP_PRIVATE_KEY` };
    }
    return { kind: "unreachable", message: `${hook}: could not reach GitHub at ${apiUrl} (${reason}): check the network, or github.apiUrl; the next sweep tries again` };
  }
  if (isRateLimit(error)) {
    const after = error.response?.headers?.["retry-after"];
    return { kind: "rate_limited", message: `${hook}: GitHub's rate limit was reached${after === undefined ? "" : ` (retry after ${after} s)`}: the next sweep carries on where this one stopped` };
  }
  switch (error.status) {
    case 401:
      return { kind: "unauthorized", message: `${hook}: GitHub rejected the credentials (401 ${reason}): check GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY` };
    case 403:
      return { kind: "forbidden", message: `${hook}: GitHub refused (403 ${reason}): reading and redelivering this hook's deliveries needs ${requiredPermission(target)}` };
    case 404:
      return {
        kind: "not_found",
        message:
          target.kind === "app"
            ? `${hook}: GitHub answers 404 for the App's hook: check GITHUB_APP_ID, and that the App has a webhook URL set`
            : `${hook}: GitHub answers 404: no such hook, or the token may not see it: check the id in recovery.hooks (the number at the end of the hook's settings page URL, …/settings/hooks/${target.id}) and that the token is ${requiredPermission(target)}`,
      };
    default:
      return { kind: "github_error", message: `${hook}: GitHub answered ${error.status} (${reason})${NEXT_SWEEP_TRIES_AGAIN}` };
  }
}
