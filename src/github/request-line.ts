/**
 * A GitHub call as errors and `tasks show` name it: the method and the URL's path, never its
 * query (which may hold a secret) nor its host. Null when either is missing or the URL is not
 * absolute: the method alone says little.
 *
 * @example requestLine("POST", "https://api.github.com/repos/o/r/issues/1/labels?x=1") // "POST /repos/o/r/issues/1/labels"
 */
export function requestLine(method: unknown, url: unknown): string | null {
  if (typeof method !== "string" || typeof url !== "string") return null;
  try {
    return `${method} ${new URL(url).pathname}`;
  } catch {
    return null;
  }
}
