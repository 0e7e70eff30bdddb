/**
 * GitHub's webhook source ranges: the `hooks` field of `GET https://api.github.com/meta`,
 * shipped as a dated snapshot so `security.ipAllowlist` works offline and deterministically.
 * GitHub changes these from time to time and asks allowlisters to monitor the API
 * (https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-githubs-ip-addresses);
 * override with `security.ipAllowlist.cidrs` when they move.
 *
 * Provenance of this snapshot: the `hooks` array as returned by the meta API on 2026-10-08
 * (recorded by an automated daily export of that field, rickyrsn/mikrotik github-hooks.rsc).
 * The three /28s at the top are the ones GitHub's changelog of 2026-10-29, "Webhook IP
 * ranges added to the Meta API", announces; the other six are GitHub's long-standing ranges.
 *
 * @example
 * const allowed = createIpAllowlist(GITHUB_HOOK_RANGES.cidrs);
 */
export const GITHUB_HOOK_RANGES = {
  fetchedAt: "2026-10-08",
  source: "https://api.github.com/meta (hooks)",
  cidrs: [
    "9.234.106.48/28",
    "9.234.98.160/28",
    "9.234.98.176/28",
    "192.30.252.0/22",
    "185.199.108.0/22",
    "140.82.112.0/20",
    "143.55.64.0/20",
    "2a0a:a440::/29",
    "2606:50c0::/32",
  ],
} as const satisfies { fetchedAt: string; source: string; cidrs: readonly string[] };
