// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: the top functions
// by self time, and self time grouped into costs (HMAC, JSON.parse, SQLite by operation,
// Fastify, pino, the worker, GC, idle). Times are wall-clock samples of the main thread.
import { readFileSync } from "node:fs";

function shortUrl(url) {
  if (!url) return "";
  const nm = url.lastIndexOf("node_modules/");
  if (nm !== -1) return url.slice(nm + "node_modules/".length);
  const dist = url.indexOf("/dist/");
  if (dist !== -1) return url.slice(dist + 1);
  const bench = url.indexOf("/bench/");
  if (bench !== -1) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, "");
}

const frameName = (cf) => `${cf.functionName || "(anonymous)"} ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ""}`.trim();

// better-sqlite3's statements are V8 API callbacks: the profiler has no frame for them, so
// their time (and a COMMIT's fsync, which blocks the thread) is self time of the JS function
// that called `.run()`/`.all()`. In switchyard those functions are one per file.
const STORE_FILES = [
  ["group-commit", "SQLite: BEGIN/SAVEPOINT/RELEASE/COMMIT in flush (COMMIT = fsync, blocking)"],
  ["sqlite/accept", "SQLite: accept op (signature probe, inserts)"],
  ["sqlite/claim", "SQLite: worker claim op (select + lease + attempt)"],
  ["sqlite/lease-ops", "SQLite: worker complete/renew/reclaim ops"],
  ["sqlite/queries", "SQLite: reads (nextRunAt, API)"],
];

/** The category of one sample, from its stack (leaf first). */
function categorize(stack) {
  const leaf = stack[0];
  const name = leaf.functionName;
  if (name === "(idle)") return "idle (waiting for I/O)";
  if (name === "(garbage collector)") return "GC";
  if (name === "(program)") return "V8/native, unattributed";
  const url = leaf.url;
  const inStack = (part) => stack.some((f) => f.url.includes(part));
  for (const [file, category] of STORE_FILES) if (url.includes(file)) return category;
  if (url.includes("/dist/store/")) return "switchyard store (other JS)";
  if (inStack("verify-signature") || inStack("webhooks-methods") || /^(createHmac|digest|timingSafeEqual|Hmac)$/.test(name)) {
    return "HMAC-SHA256 verify";
  }
  if (url.includes("parse-delivery-body") || url.includes("get-payload")) return "body → JSON.parse";
  if (url.includes("node_modules/pino") || url.includes("sonic-boom")) return "pino";
  if (url.includes("node_modules/fastify") || url.includes("find-my-way") || url.includes("@fastify/") || url.includes("avvio")) return "Fastify";
  if (url.includes("node_modules/@octokit")) return "@octokit/webhooks";
  if (url.includes("node_modules/better-sqlite3")) return "better-sqlite3 JS";
  if (url.includes("/dist/queue/") || url.includes("/dist/agents/")) return "switchyard worker (JS)";
  if (url.includes("/dist/")) return `switchyard ${shortUrl(url).split("/")[1] ?? ""} (JS)`;
  if (url.startsWith("node:")) {
    if (/node:(_http|http|net|stream|internal\/(streams|http|net|stream_base))/.test(url)) return "Node http/net/streams";
    if (url.includes("crypto")) return "Node crypto (JS)";
    return "Node core (other)";
  }
  if (url === "") {
    if (name === "writev" || name === "writeUtf8String" || name === "writeBuffer") return "socket writes (native)";
    if (name === "parse") return "body → JSON.parse";
    const caller = stack.find((f) => f.url !== "");
    return caller ? `native ${name} (from ${shortUrl(caller.url)})` : `native ${name}`;
  }
  return `other: ${shortUrl(url)}`;
}

/**
 * @example
 * const s = summarizeCpuProfile("/tmp/x/CPU.2024.cpuprofile", { top: 20 });
 */
export function summarizeCpuProfile(file, { top = 20, categories: topCategories = 40 } = {}) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Sample i lasts until sample i+1.
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  let totalUs = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
    totalUs += dt;
  }

  const functions = new Map();
  const categories = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const key = frameName(node.callFrame);
    functions.set(key, (functions.get(key) ?? 0) + us);
    const stack = [];
    for (let at = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at).callFrame);
    const category = categorize(stack);
    categories.set(category, (categories.get(category) ?? 0) + us);
  }
  const idleUs = [...categories].filter(([c]) => c.startsWith("idle")).reduce((n, [, us]) => n + us, 0);
  const busyUs = totalUs - idleUs;
  const rows = (map, n) =>
    [...map]
      .filter(([, us]) => us >= 1000)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pctOfBusy: name.startsWith("idle") ? null : Math.round((1000 * us) / busyUs) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), busyMs: Math.round(busyUs / 1000), categories: rows(categories, topCategories), topSelf: rows(functions, top) };
}
