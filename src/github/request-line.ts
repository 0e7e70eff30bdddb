/**
 * A GitHub call as errors and `tasks show` name it: the method and the URL's path, never its
 * query (which may hold a secret) nor its host. Null when either is missing or the URL is not
 * absolute: the method alone says little.
 *
 * GraphQL reads and writes are both `POST /graphql`: given the request's body, a query (not
 * a mutation) is marked `(a query)`, so that a failed read is never listed as a failed write.
 *
 * @example requestLine("POST", "https://api.github.com/repos/o/r/issues/1/labels?x=1") // "POST /repos/o/r/issues/1/labels"
 * @example requestLine("POST", "https://api.github.com/graphql", '{"query":"query { viewer { login } }"}') // "POST /graphql (a query)"
 */
export function requestLine(method: unknown, url: unknown, body?: unknown): string | null {
  if (typeof method !== "string" || typeof url !== "string") return null;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  return `${method} ${path}${path.endsWith("/graphql") && isGraphqlQuery(body) ? " (a query)" : ""}`;
}

/** Whether a GraphQL request's body (JSON text, or the object Octokit was given) asks a query rather than a mutation. */
function isGraphqlQuery(body: unknown): boolean {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return false;
    }
  }
  const query = (parsed as { query?: unknown } | null)?.query;
  return typeof query === "string" && !/^\s*mutation\b/.test(query.replace(/^\s*(#[^\n]*\n\s*)*/, ""));
}
