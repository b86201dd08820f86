# syntax=docker/dockerfile:1
# Steward's production image: compiled once in the build stage (npm ci, npm run build: dist/), run from the
# compiled JavaScript by plain node in the runtime stage, with the production dependencies only. Both stages
# start from the same image, so better-sqlite3's native binary (and esbuild's, msgpackr's) built or
# downloaded by `npm ci` is the one for the runtime's Node version and libc (glibc, Debian bookworm).
#   docker build -t steward .
#   docker compose up -d          (compose.yaml: Steward, Redis, the book's volume; README, "Running Steward in production")
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# A native module with no prebuilt binary for this platform is compiled by node-gyp: its toolchain.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY db/ db/
COPY prompts/ prompts/
COPY handlers/ handlers/
COPY src/ src/
# dist/ (with db/migrations beside the compiled db/index.js), then node_modules without the dev dependencies.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT to Steward (which drains and exits 0) and reaps orphans.
# fonts-dejavu-core: the digest's trend picture (Slack) draws its numbers and dates in DejaVu Sans;
# without a font resvg draws the bars and drops the numbers (src/engine/render-chart.ts).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    STEWARD_DB=/data/steward.db \
    PORT=3000
WORKDIR /app
# package.json says the compiled .js files are ES modules; dist/ and node_modules/ are all Steward runs from.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
# The book (STEWARD_DB) lives on a volume at /data, owned by the unprivileged user the image runs as
# (a named volume mounted there the first time takes this ownership).
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# GET /readyz on PORT: 200 when the database reads, Redis answers and no workspace's delivery is paused.
# The worker role (STEWARD_ROLE=worker) opens no port: run it with the check disabled (compose: healthcheck: disable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# What `npm run start:prod` runs, without npm or a shell in between, so the signal reaches Steward.
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js"]
