# syntax=docker/dockerfile:1
# The BROM backend with the frontend it serves. Build from the repository root:
#   docker build -f deploy/docker/backend.Dockerfile -t brom-backend .
# Configuration: the environment variables app-config.production.yaml reads (docs/operations.md).

# Build: the same `npm run build` CI runs, with every dependency.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm run build

# Production dependencies only: the backend's, and those of the workspaces it links
# (better-sqlite3 compiles here, so the runtime image needs no compiler).
FROM node:20-bookworm-slim AS dependencies
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci --omit=dev --workspace backend --no-audit --no-fund

FROM node:20-bookworm-slim
# A numeric user, so Kubernetes can check runAsNonRoot.
RUN groupadd --system --gid 10001 brom \
 && useradd --system --uid 10001 --gid brom --no-create-home --home-dir /nonexistent brom
WORKDIR /app
COPY --from=dependencies /app /app
COPY --from=build /src/packages/backend/dist /app/packages/backend/dist
COPY --from=build /src/packages/app/dist /app/packages/app/dist
USER 10001:10001
ENV NODE_ENV=production
EXPOSE 7007
# Backstage's readiness: 200 once every plugin has started.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:7007/.backstage/health/v1/readiness').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# OpenTelemetry first (metrics in the Prometheus format on port 9464, docs/operations.md).
EXPOSE 9464
CMD ["node", "--require", "./packages/backend/dist/instrumentation.js", "packages/backend/dist/index.js", "--config", "app-config.production.yaml"]
