import type { Migration } from "./index.js";

/**
 * `deliveries_subject` again, on the repository without its letter case: GitHub's
 * `owner/name` is case-insensitive (`codertocat/hello-world` is `Codertocat/Hello-World`),
 * so the delivery lists' repository filter and the `/agent status` lookup of an issue's
 * deliveries compare it that way (`SqlDialect.caseless`). An index on the column as typed
 * cannot serve such a comparison; replacing it keeps one index on the hot insert path,
 * not two.
 */
export const repositoryCaseless: Migration = {
  version: 9,
  name: "repository-caseless",
  sql: (d) => `
DROP INDEX deliveries_subject;
CREATE INDEX deliveries_subject ON deliveries (${d.caseless("repository")}, number);
`,
};
