import type { Migration } from "./index.js";

/**
 * `security_incidents`: the state of a webhook security incident, one small JSON document
 * per name (`webhook`), so that instances sharing a PostgreSQL database count failed
 * verifications together and open one issue, not one each. Every instance adds its
 * in-memory counts about once per tick under the row's lock (src/security/incidents/): no
 * row per hostile request. SQLite gets the table too (the migrations are the same), but one
 * process keeps the state in memory.
 */
export const securityIncidents: Migration = {
  version: 7,
  name: "security-incidents",
  sql: () => `
CREATE TABLE security_incidents (
  name TEXT PRIMARY KEY,
  state TEXT,
  updated_at BIGINT NOT NULL
);
`,
};
