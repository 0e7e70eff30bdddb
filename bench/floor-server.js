// The in-server floors of the benchmark: leaner designs of durable ingest, each a real
// server under the same load as the anchor and switchyard, so that the bench can say what
// a target would take rather than only whether switchyard meets it. Every level does the
// anchor's work by hand on a plain node:http server (read the body, verify the HMAC,
// JSON.parse) and answers only after a durable commit, through switchyard's own
// group-commit writer and checkpoint thread (WAL, synchronous=FULL). What they store:
//
//   row    one row per delivery: the id and the body under an integer key, no other index.
//   dedup  the row with switchyard's replay guarantees: a unique delivery id and the
//          signature claimed for the replay window (200 for a duplicate, as switchyard).
//   store  switchyard's whole store (migrated schema, `accept` of the delivery and the one
//          task the default rules route issues.opened to), without Fastify, routing, the
//          security checks, metrics or logging.
//   full   the leanest full server: dedup's accept plus the task's row, leased in the same
//          transaction (one partial index, on unfinished tasks, for recovery); once the 202
//          is sent an in-process worker runs the IssueAgent's own decision (switchyard's
//          classifier) and its completion — the task succeeded, its attempt, the four GitHub
//          writes a dry-run IssueAgent records — rides the next group commit.
//
// Env: WEBHOOK_SECRET (required), FLOOR_LEVEL (row | dedup | store | full), DATABASE_FILE (a new
// SQLite file), SWITCHYARD_ROOT (a built checkout: its dist/ supplies the writer, the
// checkpointer and the store), PORT (default 0). Prints its URL on stderr in the words
// `switchyard serve` uses. Measurement only: no other path, no auth limits, no retention.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const { WEBHOOK_SECRET: secret, FLOOR_LEVEL: level, DATABASE_FILE: file, SWITCHYARD_ROOT: root } = process.env;
if (!secret || !file || !root || !["row", "dedup", "store", "full"].includes(level ?? "")) {
  console.error("floor-server: WEBHOOK_SECRET, DATABASE_FILE, SWITCHYARD_ROOT and FLOOR_LEVEL (row, dedup, store or full) are required");
  process.exit(2);
}
const dist = (module) => import(pathToFileURL(path.join(root, "dist", module)).href);
const REPLAY_WINDOW_MS = 72 * 3_600_000;
// What the default rules route issues.opened to (the load's only event).
const TASK = { rule: "issues-opened", agent: "IssueAgent", action: "triage", priority: "medium", idempotencyKey: null };

/** `write(delivery)` → true when stored, false for a duplicate; `close()`. */
async function openLevel() {
  if (level === "store") {
    const { createSqliteStore } = await dist("store/sqlite/sqlite-store.js");
    const store = createSqliteStore(file, { checkpointThread: true });
    await store.migrate();
    return {
      write: async (d) => !(await store.accept({ ...d, action: d.payload.action ?? null, repository: d.payload.repository?.full_name ?? null, installation: null, number: d.payload.issue?.number ?? null }, [TASK], { replayWindowMs: REPLAY_WINDOW_MS })).duplicate,
      close: () => store.close(),
    };
  }
  const Database = createRequire(path.join(root, "package.json"))("better-sqlite3");
  const { createGroupCommitWriter } = await dist("store/sqlite/group-commit.js");
  const { startCheckpointer } = await dist("store/sqlite/checkpointer.js");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("cache_size = -2000");
  if (level === "row") {
    db.exec("CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, body BLOB NOT NULL, received_at INTEGER NOT NULL)");
  } else {
    db.exec(
      "CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, signature TEXT, headers TEXT NOT NULL, body BLOB NOT NULL, received_at INTEGER NOT NULL);" +
        "CREATE TABLE delivery_signatures (signature TEXT NOT NULL PRIMARY KEY, delivery TEXT NOT NULL, received_at INTEGER NOT NULL)",
    );
  }
  if (level === "full") {
    db.exec(
      "CREATE TABLE tasks (id INTEGER PRIMARY KEY, delivery INTEGER NOT NULL, agent TEXT NOT NULL, status TEXT NOT NULL, lease_until INTEGER, output TEXT);" +
        "CREATE INDEX tasks_unfinished ON tasks (status, id) WHERE status <> 'succeeded';" +
        "CREATE TABLE attempts (task INTEGER NOT NULL, n INTEGER NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER, outcome TEXT, output TEXT, PRIMARY KEY (task, n)) WITHOUT ROWID;" +
        "CREATE TABLE github_actions (id INTEGER PRIMARY KEY, task INTEGER NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL, body TEXT, at INTEGER NOT NULL)",
    );
  }
  const checkpointer = startCheckpointer(db, file);
  const writer = createGroupCommitWriter(db, { onCommit: () => checkpointer.committed() });
  const close = async () => {
    writer.close();
    await checkpointer.close();
    db.close();
  };
  if (level === "row") {
    const insert = db.prepare("INSERT INTO deliveries (id, body, received_at) VALUES (?, ?, ?)");
    return { write: (d) => writer.run(() => (insert.run(d.id, d.body, d.receivedAt), true)), close };
  }
  const insert = db.prepare("INSERT INTO deliveries (id, signature, headers, body, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
  const claim = db.prepare(
    `INSERT INTO delivery_signatures (signature, delivery, received_at) VALUES (?, ?, ?)
     ON CONFLICT (signature) DO UPDATE SET delivery = excluded.delivery, received_at = excluded.received_at
     WHERE delivery_signatures.received_at <= ?`,
  );
  const drop = db.prepare("DELETE FROM deliveries WHERE id = ?");
  if (level === "full") return fullLevel(db, writer, close, { insert, claim, drop });
  return {
    write: (d) => {
      const headers = JSON.stringify(d.headers);
      return writer.run(() => {
        if (insert.run(d.id, d.signature, headers, d.body, d.receivedAt).changes === 0) return false;
        if (claim.run(d.signature, d.id, d.receivedAt, d.receivedAt - REPLAY_WINDOW_MS).changes === 0) {
          drop.run(d.id);
          return false;
        }
        return true;
      });
    },
    close,
  };
}

/**
 * The full floor: the accept of `dedup` plus its task, leased at once; after the commit the
 * worker decides as the IssueAgent does and its completion is queued for the next commit.
 */
async function fullLevel(db, writer, close, { insert, claim, drop }) {
  const { classifyIssue } = await dist("agents/builtin/issue-agent/classify-issue.js");
  const insertTask = db.prepare("INSERT INTO tasks (delivery, agent, status, lease_until) VALUES (?, 'IssueAgent', 'running', ?)");
  const openAttempt = db.prepare("INSERT INTO attempts (task, n, started_at) VALUES (?, 1, ?)");
  const finishTask = db.prepare("UPDATE tasks SET status = 'succeeded', lease_until = NULL, output = ? WHERE id = ? AND status = 'running'");
  const closeAttempt = db.prepare("UPDATE attempts SET finished_at = ?, outcome = 'succeeded', output = ? WHERE task = ? AND n = 1");
  const recordWrite = db.prepare("INSERT INTO github_actions (task, method, route, body, at) VALUES (?, ?, ?, ?, ?)");
  const run = (taskId, payload) => {
    const issue = payload.issue ?? {};
    const c = classifyIssue(String(issue.title ?? ""), String(issue.body ?? ""));
    const labels = [c.type?.label, c.priority?.label].filter(Boolean);
    const repo = payload.repository?.full_name ?? "";
    const at = Date.now();
    const writes = [
      ...labels.map((name) => ["POST", "/repos/{owner}/{repo}/labels", { repo, name, color: "ededed" }]),
      ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", { repo, issue_number: issue.number, labels }],
      ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", { repo, issue_number: issue.number, body: `switchyard routed this to IssueAgent: ${labels.join(", ")}` }],
    ];
    const output = `labelled ${labels.join(", ") || "nothing"}`;
    void writer.run(() => {
      if (finishTask.run(output, taskId).changes !== 1) return;
      closeAttempt.run(at, output, taskId);
      for (const [method, route, body] of writes) recordWrite.run(taskId, method, route, JSON.stringify(body), at);
    }, { defer: true });
  };
  return {
    write: async (d) => {
      const headers = JSON.stringify(d.headers);
      const taskId = await writer.run(() => {
        const inserted = insert.run(d.id, d.signature, headers, d.body, d.receivedAt);
        if (inserted.changes === 0) return null;
        if (claim.run(d.signature, d.id, d.receivedAt, d.receivedAt - REPLAY_WINDOW_MS).changes === 0) {
          drop.run(d.id);
          return null;
        }
        const task = insertTask.run(inserted.lastInsertRowid, d.receivedAt + 30_000).lastInsertRowid;
        openAttempt.run(task, d.receivedAt);
        return task;
      });
      if (taskId === null) return false;
      // After the 202 goes out (this turn), as switchyard's hand-off starts a task.
      setImmediate(() => run(taskId, d.payload));
      return true;
    },
    close,
  };
}

function verified(body, header) {
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const answer = (response, status, body) => {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) }).end(text);
};

const store = await openLevel();
const server = createServer((request, response) => {
  if (request.method !== "POST" || request.url !== "/webhooks/github") return answer(response, 404, { error: "not found" });
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const signature = request.headers["x-hub-signature-256"];
    if (!verified(body, signature)) return answer(response, 401, { error: "bad signature" });
    let payload;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return answer(response, 400, { error: "bad payload" });
    }
    const id = String(request.headers["x-github-delivery"]);
    const headers = { "x-github-event": request.headers["x-github-event"], "x-github-delivery": id, "x-hub-signature-256": signature };
    store.write({ id, signature, event: String(request.headers["x-github-event"]), headers, body, payload, receivedAt: Date.now() }).then(
      (stored) => answer(response, stored ? 202 : 200, { delivery: id, duplicate: !stored }),
      () => answer(response, 503, { error: "not stored" }),
    );
  });
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address();
  console.error(`floor-server (${level}): receiving webhooks at http://127.0.0.1:${port}/webhooks/github`);
});

process.once("SIGTERM", () => {
  server.close(() => void store.close().then(() => process.exit(0)));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
});
