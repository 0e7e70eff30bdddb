import { describe, expect, it } from "vitest";
import { isStoreUnavailable, storeUnavailableWhy } from "../../src/store/store-unavailable.js";

/** An error as a driver throws it: a message and a code. */
function coded(code: string, message = "driver error"): Error {
  return Object.assign(new Error(message), { code });
}

describe("isStoreUnavailable", () => {
  it("recognizes a database that cannot be reached, is going away or is locked or full", () => {
    for (const error of [
      coded("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"),
      coded("57P01", "terminating connection due to administrator command"),
      coded("57P03", "the database system is starting up"),
      coded("08006"),
      coded("53100", "could not extend file: No space left on device"),
      coded("57014", "canceling statement due to statement timeout"),
      // The password changed under a running switchyard; the database dropped.
      coded("28P01", 'password authentication failed for user "sy"'),
      coded("3D000", 'database "sy" does not exist'),
      coded("SQLITE_BUSY", "database is locked"),
      coded("SQLITE_FULL", "database or disk is full"),
      coded("SQLITE_IOERR_WRITE", "disk I/O error"),
      new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
      new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "connect failed"),
      // The SQLite writer's refusal after waiting for a lock keeps SQLITE_BUSY as its cause.
      new Error("the SQLite database is locked by another process", { cause: coded("SQLITE_BUSY") }),
    ]) {
      expect(isStoreUnavailable(error), error.message).toBe(true);
    }
  });

  it("leaves bugs alone: they stay 500 SWY_E_INTERNAL", () => {
    for (const error of [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      coded("42601", 'syntax error at or near "SELEC"'),
      coded("23505", "duplicate key value violates unique constraint"),
      coded("SQLITE_ERROR", "no such column: x"),
      coded("SQLITE_CONSTRAINT_UNIQUE"),
      new AggregateError([coded("ECONNREFUSED"), new TypeError("bad")], "mixed"),
      "a string",
      null,
    ]) {
      expect(isStoreUnavailable(error), String(error)).toBe(false);
    }
  });
});

describe("storeUnavailableWhy", () => {
  it("says a full disk is a full disk, SQLite's or PostgreSQL's, also wrapped; any other outage is a store that cannot be reached", () => {
    for (const error of [coded("SQLITE_FULL", "database or disk is full"), coded("53100", "could not extend file"), new Error("commit failed", { cause: coded("SQLITE_FULL") })]) {
      expect(storeUnavailableWhy(error)).toMatch(/^the store's disk is full \(free space on it;/);
    }
    for (const error of [coded("SQLITE_BUSY", "database is locked"), coded("ECONNREFUSED"), coded("53300", "too many connections")]) {
      expect(storeUnavailableWhy(error)).toBe("the store cannot be reached");
    }
    expect(storeUnavailableWhy(coded("28P01", 'password authentication failed for user "sy"'))).toMatch(/^the store refuses switchyard's credentials \(was the password changed\? fix the user or password in DATABASE_URL/);
    expect(storeUnavailableWhy(coded("3D000"))).toMatch(/^the store's database does not exist any more/);
  });
});
