# syntax=docker/dockerfile:1
# hybrid-auth API image. Not built or run by CI here (no Docker engine on the CI machine).
#
#   docker build -t hybrid-auth .
#   docker compose up          # the app with PostgreSQL 16 and Redis 7, see compose.yaml
#
# tsx runs the TypeScript sources directly (no build step), and it is a production dependency,
# so `npm ci --omit=dev` brings everything the server needs.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- dependencies: production only, resolved from the lockfile --------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts needed: bcrypt ships prebuilt binaries, esbuild its platform package.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=9000 \
    DATA_DIR=/app/data
WORKDIR /app

# Code and dependencies stay owned by root: the server cannot rewrite itself.
COPY --from=deps /app/node_modules ./node_modules
# tsconfig.json is read by tsx at run time (decorators); drizzle/ holds the migrations applied at start-up.
COPY package.json package-lock.json tsconfig.json ./
COPY drizzle ./drizzle
COPY src ./src
# The only writable place: local avatars and the mail outbox when Cloudinary / SMTP are not set.
RUN mkdir -p /app/data && chown node:node /app/data

# The unprivileged user the official Node image ships with (uid 1000).
USER node
EXPOSE 9000
VOLUME ["/app/data"]

# Liveness only: a database or Redis outage shows in /api/v1/health/detailed, not as a restart loop.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9000) + '/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node itself is PID 1 (no npm, no shell), so SIGTERM reaches the server's graceful shutdown.
CMD ["node", "--min-semi-space-size=64", "--max-semi-space-size=64", "--import", "tsx", "src/infrastructure/server.ts"]
