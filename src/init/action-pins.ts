/**
 * The actions the generated workflows use, each pinned by the full commit SHA it was
 * released as, with the tag it carries: a tag can be moved to other code after the fact, a
 * commit cannot. Written into the workflow as `uses: owner/name@<sha> # <tag>`, so a reader
 * (and Dependabot or Renovate, which update such pins) sees the version.
 *
 * Updating a pin: resolve the tag to its commit (`git ls-remote https://github.com/OWNER/NAME
 * refs/tags/TAG`, taking the peeled `^{}` line for an annotated tag) and change both here.
 */
export interface ActionPin {
  /** `owner/name` on GitHub. */
  repository: string;
  /** The full 40-hex commit the tag points at. */
  sha: string;
  tag: string;
}

/** actions/checkout v5.0.0: runs on node24. */
export const CHECKOUT: ActionPin = { repository: "actions/checkout", sha: "08c6903cd8c0fde910a37f88322edcfb5dd907a8", tag: "v5.0.0" };

/**
 * switchyard's own action (action.yml at the root of its repository, main:
 * dist/action/index.js). The release process sets this to the release's commit and tag; see
 * docs/cli.md ("The GitHub Action"). Until the first release it names no published commit.
 */
export const SWITCHYARD: ActionPin = { repository: "switchyard/switchyard", sha: "0000000000000000000000000000000000000000", tag: "v0.1.0" };

/** True while SWITCHYARD names no published commit (before the first release). */
export function isUnreleased(pin: ActionPin): boolean {
  return /^0{40}$/.test(pin.sha);
}

/**
 * `init --action OWNER/NAME@SHA[#TAG]`: the action the workflows use instead of the
 * built-in pin (a fork, a mirror, a release newer than this binary). Null when malformed.
 *
 * @example parseActionPin("acme/switchyard@08c6903cd8c0fde910a37f88322edcfb5dd907a8#v0.2.0")
 */
export function parseActionPin(text: string): ActionPin | null {
  const match = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)@([0-9a-f]{40})(?:#(\S+))?$/.exec(text.trim());
  if (!match) return null;
  return { repository: match[1]!, sha: match[2]!, tag: match[3] ?? "pinned by commit" };
}

/**
 * The `uses:` value with its tag comment.
 *
 * @example usesLine(CHECKOUT) // "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0"
 */
export function usesLine(pin: ActionPin): string {
  return `${pin.repository}@${pin.sha} # ${pin.tag}`;
}
