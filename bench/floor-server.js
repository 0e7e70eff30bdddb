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
//
// Env: WEBHOOK_SECRET (required), FLOOR_LEVEL (row | dedup | store), DATABASE_FILE (a new
// SQLite file), SWITCHYARD_ROOT (a built checkout: its dist/ supplies the writer, the
// checkpointer and the store), PORT (default 0). Prints its URL on stderr in the words
// `switchyard serve` uses. Measurement only: no other path, no auth limits, no retention.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const { WEBHOOK_SECRET: secret, FLOOR_LEVEL: level, DATABASE_FILE: file, SWITCHYARD_ROOT: root } = process.env;
if (!secret || !file || !root || !["row", "dedup", "store"].includes(level ?? "")) {
  console.error("floor-server: WEBHOOK_SECRET, DATABASE_FILE, SWITCHYARD_ROOT and FLOOR_LEVEL (row, dedup or store) are required");
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
