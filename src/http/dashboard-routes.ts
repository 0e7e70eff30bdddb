import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { sendError } from "./http-errors.js";

/**
 * Everything the dashboard may load, and nothing else: its own files, the API on the same
 * origin, no inline script or style. Payloads are attacker-controlled text, so the page
 * also writes every value through textContent; this policy is the second wall.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // Small files read once at start: revalidating each load keeps an upgraded server's page current.
  "cache-control": "no-cache",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** Beside this file in src/ and, copied by the build, in dist/. */
const ASSETS_DIR = new URL("./dashboard/", import.meta.url);
const ASSET_PREFIX = "/dashboard/";
const PAGE_ALIASES = ["/index.html", "/dashboard", ASSET_PREFIX, ASSET_PREFIX + "index.html"];

interface Asset {
  type: string;
  body: Buffer;
}

/** The dashboard's files by URL path (`/` is index.html), read once; null when they are not installed. */
function readAssets(): Map<string, Asset> | null {
  let names: string[];
  try {
    names = readdirSync(ASSETS_DIR);
  } catch {
    return null;
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const asset = { type, body: readFileSync(new URL(name, ASSETS_DIR)) };
    assets.set(name === "index.html" ? "/" : ASSET_PREFIX + name, asset);
  }
  return assets;
}

/**
 * The dashboard at `/` on the admin listener: a static page whose only data source is the
 * admin API (`/api/deliveries`, `/api/tasks`, `/api/kpi`, the replay endpoints). Returns the
 * paths it serves: they hold no data and are served without the admin token, since the page
 * asks for the token and sends it with every API call, which is where the data is.
 *
 * @example
 * const publicPaths = registerDashboardRoutes(app); // "/", "/dashboard/app.js", …
 */
export function registerDashboardRoutes(app: FastifyInstance): ReadonlySet<string> {
  const assets = readAssets();
  if (assets === null) {
    // A tree compiled by tsc alone: the API works, the page says what is missing.
    const missing = `the dashboard's files are not installed (${ASSETS_DIR.pathname}): run npm run build`;
    app.get("/", async (_request, reply) => sendError(reply, "SWY_E_NOT_FOUND", missing));
    return new Set();
  }
  for (const [urlPath, asset] of assets) {
    app.get(urlPath, async (_request, reply) => reply.headers(SECURITY_HEADERS).type(asset.type).send(asset.body));
  }
  // The addresses people type or bookmark for the page: sent to the page rather than refused.
  for (const alias of PAGE_ALIASES) app.get(alias, async (_request, reply) => reply.redirect("/"));
  return new Set([...assets.keys(), ...PAGE_ALIASES]);
}
