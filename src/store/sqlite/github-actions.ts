import type { Database } from "better-sqlite3";
import { SQLITE_DIALECT } from "../migrations/index.js";
import type { GithubActionRecord, SubjectGithubActionsOptions } from "../store.js";
import { sqlLimit, toGithubActionRecord, type GithubActionRow } from "../rows.js";
import { subjectBound, subjectGithubActionsSql } from "../subject-actions-sql.js";

/** Recording and listing what agents did (or in dry-run would have done) on GitHub. */
export interface GithubActionOps {
  /** Run inside the group-commit writer; `task` is already an integer key or null. */
  record(action: GithubActionRecord, task: number | null, body: string | null): void;
  /** Newest first, like every list the store gives. */
  list(options: { task?: number; limit: number }): (GithubActionRecord & { id: string })[];
  /** Those of one issue or pull request's tasks (Store.listSubjectGithubActions). */
  listOfSubject(options: SubjectGithubActionsOptions): (GithubActionRecord & { id: string })[];
}

export function prepareGithubActions(db: Database): GithubActionOps {
  const insert = db.prepare("INSERT INTO github_actions (agent, task, method, route, body, dry_run, at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const all = db.prepare<[number], GithubActionRow>("SELECT * FROM github_actions ORDER BY id DESC LIMIT ?");
  const ofTask = db.prepare<[number, number], GithubActionRow>("SELECT * FROM github_actions WHERE task = ? ORDER BY id DESC LIMIT ?");
  const ofSubject = db.prepare<[string, number, number, number, number], GithubActionRow>(subjectGithubActionsSql(SQLITE_DIALECT).replace(/\$\d+/g, "?"));

  return {
    record(action, task, body) {
      // better-sqlite3 binds no booleans: SQLite stores BOOLEAN as 0/1.
      insert.run(action.agent, task, action.method, action.route, body, action.dryRun ? 1 : 0, action.at);
    },
    list({ task, limit }) {
      const rows = task === undefined ? all.all(sqlLimit(limit)) : ofTask.all(task, sqlLimit(limit));
      return rows.map(toGithubActionRecord);
    },
    listOfSubject({ subject, deliveries, tasksPerDelivery, perTask }) {
      return ofSubject.all(subject.repository, subject.number, subjectBound(deliveries), subjectBound(tasksPerDelivery), subjectBound(perTask)).map(toGithubActionRecord);
    },
  };
}
