# switchyard as a container image: `serve` by default (webhooks on 3000, admin API on 9090).
#
#   docker build -t switchyard .
#   docker run -e WEBHOOK_SECRET=… -e DATABASE_URL=postgres://… -p 3000:3000 switchyard
#
# Documentation, not tested here: the machine this file was written on runs no Docker
# engine. The build steps were checked outside Docker (see docs/operations.md).

# ---- build: every dependency (TypeScript, the samples' source), compile, then drop dev deps
FROM node:20-bookworm AS build
WORKDIR /app

# Dependencies first, so a source change does not reinstall them. Scripts are skipped for
# the install (the root package's `prepare` would build before the source is copied), then
# better-sqlite3's own install script runs: it fetches a prebuilt binary or compiles one
# with python3, make and g++, which the full bookworm image has.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3

# dist/ (tsc) and samples/ (bundled from a dev dependency, for `switchyard send`).
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# ---- runtime: production dependencies only, no compiler, not root
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app

# package.json carries "type": "module", which the compiled ESM in dist/ needs. Same Debian
# release in both stages, so the native better-sqlite3 binary built above runs here.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/samples ./samples
COPY bin ./bin

# The default SQLite store (sqlite:.switchyard/switchyard.db) and a generated webhook secret
# live in /app/.switchyard: writable by the unprivileged `node` user (uid 1000) of the base
# image. Mount a volume here to keep a SQLite database; with PostgreSQL nothing is kept here
# when WEBHOOK_SECRET is set.
RUN mkdir /app/.switchyard && chown node:node /app/.switchyard
USER node

# 3000: webhooks (server.host 0.0.0.0). 9090: the admin API, which binds 127.0.0.1 by
# default: reachable from inside the container only (the health check below runs there).
EXPOSE 3000 9090

# Liveness: /healthz answers 200 once the role's listeners listen and migrations ran. It
# does not query the database (/readyz does), so a database outage does not get the
# container restarted. Node's fetch, since the slim image has no curl. ADMIN_PORT is
# followed; an admin.port set only in the config file is not.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || 9090) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1 and gets the SIGTERM of `docker stop` itself, then drains
# (give it `docker stop -t 45`, or stop_grace_period: 45s in Compose).
CMD ["node", "bin/switchyard.js", "serve"]
