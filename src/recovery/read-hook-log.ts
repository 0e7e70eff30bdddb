import type { Octokit } from "@octokit/rest";
import type { HookLogEntry } from "./plan-redeliveries.js";
import type { HookTarget } from "./hook-target.js";
import { UnexpectedAnswer } from "./sweep-error.js";

/** GitHub's largest page of hook deliveries. */
const PER_PAGE = 100;
/** A bound on one sweep's reading: 100 000 entries is far more than 3 days of a busy hook. */
const MAX_PAGES = 1000;

/**
 * The `cursor` of the Link header's rel="next" URL, or null on the last page. Hook
 * deliveries page by cursor, not by page number.
 * https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api
 *
 * @example nextCursor('<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_12>; rel="next"') // "v1_12"
 */
export function nextCursor(link: string | undefined): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (!match) continue;
    try {
      return new URL(match[1]!).searchParams.get("cursor");
    } catch {
      return null;
    }
  }
  return null;
}

interface RawEntry {
  id: number | bigint;
  guid: string;
  delivered_at: string;
  status_code: number;
  event: string;
  action: string | null;
}

async function readPage(octokit: Octokit, target: HookTarget, cursor: string | undefined): Promise<{ data: RawEntry[]; link: string | undefined }> {
  const page = { per_page: PER_PAGE, ...(cursor === undefined ? {} : { cursor }) };
  const response =
    target.kind === "repository"
      ? await octokit.request("GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries", { owner: target.owner, repo: target.repo, hook_id: target.id, ...page })
      : target.kind === "organization"
        ? await octokit.request("GET /orgs/{org}/hooks/{hook_id}/deliveries", { org: target.org, hook_id: target.id, ...page })
        : await octokit.request("GET /app/hook/deliveries", page);
  // What GitHub answers is a list of entries, each with its guid; anything else came from something else.
  const data: unknown = response.data;
  if (!Array.isArray(data) || data.some((entry) => typeof (entry as Partial<RawEntry> | null)?.guid !== "string")) {
    throw new UnexpectedAnswer(response.status, Array.isArray(data) ? "a list whose entries are not hook deliveries" : "something that is not a list of hook deliveries");
  }
  return { data: data as RawEntry[], link: response.headers.link };
}

/**
 * Reads a hook's delivery log, newest first, back to `since`: page after page until an
 * entry older than `since` appears or the log ends.
 *
 * @example const entries = await readHookLog(octokit, hookTarget({ app: true }), Date.now() - 72 * 3_600_000);
 */
export async function readHookLog(octokit: Octokit, target: HookTarget, since: number): Promise<HookLogEntry[]> {
  const entries: HookLogEntry[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const { data, link } = await readPage(octokit, target, cursor);
    let older = false;
    for (const raw of data) {
      const deliveredAt = Date.parse(raw.delivered_at);
      if (deliveredAt < since) older = true;
      entries.push({ id: Number(raw.id), guid: raw.guid, deliveredAt, statusCode: raw.status_code ?? 0, event: raw.event, action: raw.action ?? null });
    }
    const next = nextCursor(link);
    if (older || next === null || data.length === 0) break;
    cursor = next;
  }
  return entries;
}

/** Asks GitHub to redeliver one log entry; resolves with GitHub's status (202 when it took the request). */
export async function askRedelivery(octokit: Octokit, target: HookTarget, deliveryId: number): Promise<number> {
  const response =
    target.kind === "repository"
      ? await octokit.request("POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts", { owner: target.owner, repo: target.repo, hook_id: target.id, delivery_id: deliveryId })
      : target.kind === "organization"
        ? await octokit.request("POST /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts", { org: target.org, hook_id: target.id, delivery_id: deliveryId })
        : await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: deliveryId });
  return response.status;
}
