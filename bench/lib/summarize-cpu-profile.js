// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: the top functions
// by self time, and self time grouped into the costs the lead asked about (HMAC, JSON.parse,
// SQLite by caller, Fastify, pino, the worker, GC, idle).
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

const SQLITE_NATIVE = new Set(["run", "get", "all", "iterate", "pluck", "prepare", "exec", "pragma"]);

/**
 * The category of one sample, from its stack (leaf first). Native frames (empty url) are
 * charged to what called them: a better-sqlite3 `run` under `flush` is the transaction
 * control (COMMIT = fsync), under the accept op it is the inserts.
 */
function categorize(stack) {
  const leaf = stack[0];
  const name = leaf.functionName;
  if (name === "(idle)") return "idle (waiting for I/O)";
  if (name === "(garbage collector)") return "GC";
  if (name === "(program)") return "V8/native, unattributed";
  const urls = stack.map((f) => f.url);
  const has = (part) => urls.some((u) => u.includes(part));
  const leafUrl = leaf.url;
  const inStore = has("/dist/store/");
  if (leafUrl === "" && SQLITE_NATIVE.has(name) && (inStore || has("better-sqlite3"))) {
    const caller = stack.find((f) => f.url !== "" && !f.url.includes("better-sqlite3")) ?? leaf;
    if (caller.url.includes("group-commit")) return "SQLite: BEGIN/SAVEPOINT/RELEASE/COMMIT (COMMIT = fsync)";
    if (caller.url.includes("/accept")) return "SQLite: accept (signature probe, inserts)";
    if (caller.url.includes("/claim")) return "SQLite: worker claim";
    if (caller.url.includes("lease-ops")) return "SQLite: worker complete/renew/reclaim";
    return `SQLite: other (${shortUrl(caller.url)} ${caller.functionName})`;
  }
  if (has("verify-signature") || has("webhooks-methods") || /^(createHmac|digest|update|timingSafeEqual|Hmac)$/.test(name)) {
    return "HMAC-SHA256 verify";
  }
  if (name === "parse" && leafUrl === "") return "JSON.parse";
  if (name === "stringify" && leafUrl === "") return "JSON.stringify";
  if (leafUrl.includes("node_modules/pino") || leafUrl.includes("sonic-boom")) return "pino";
  if (leafUrl.includes("node_modules/fastify") || leafUrl.includes("find-my-way") || leafUrl.includes("@fastify/") || leafUrl.includes("avvio")) {
    return "Fastify";
  }
  if (leafUrl.includes("node_modules/@octokit")) return "@octokit/webhooks";
  if (leafUrl.includes("node_modules/better-sqlite3")) return "better-sqlite3 JS";
  if (leafUrl.includes("/dist/queue/") || leafUrl.includes("/dist/agents/")) return "switchyard worker (JS)";
  if (leafUrl.includes("/dist/store/")) return "switchyard store (JS)";
  if (leafUrl.includes("/dist/")) return `switchyard ${shortUrl(leafUrl).split("/")[1] ?? ""} (JS)`;
  if (leafUrl.startsWith("node:")) {
    if (/node:(_http|http|net|stream|internal\/(streams|http|net|stream_base))/.test(leafUrl)) return "Node http/net/streams";
    if (leafUrl.includes("crypto")) return "Node crypto (JS)";
    return "Node core (other)";
  }
  if (leafUrl === "") {
    const caller = stack.find((f) => f.url !== "");
    if (caller && caller.url.includes("/dist/store/")) return "SQLite: other native";
    return `native/builtin: ${name}`;
  }
  return `other: ${shortUrl(leafUrl)}`;
}

/**
 * @example
 * const s = summarizeCpuProfile("/tmp/x/CPU.2024.cpuprofile", { top: 20 });
 */
export function summarizeCpuProfile(file, { top = 20 } = {}) {
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
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pctOfBusy: name.startsWith("idle") ? null : Math.round((1000 * us) / busyUs) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), busyMs: Math.round(busyUs / 1000), categories: rows(categories, 40), topSelf: rows(functions, top) };
}
