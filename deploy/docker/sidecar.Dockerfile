# syntax=docker/dockerfile:1
# The BROM authz sidecar, one beside each RabbitMQ node (in Kubernetes a container of the
# RabbitMQ pod: deploy/kubernetes/rabbitmq.yaml). Build from the repository root:
#   docker build -f deploy/docker/sidecar.Dockerfile -t brom-sidecar .
# Configuration: BROM_SIDECAR_* variables (sidecar/README.md); the token as a mounted file
# named by BROM_SIDECAR_TOKEN_FILE.

# Build: the same `npm run build` CI runs.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm run build

# The compiled sidecar needs only undici (no dependencies of its own) beside it.
FROM node:20-bookworm-slim
# A numeric user, so Kubernetes can check runAsNonRoot.
RUN groupadd --system --gid 10002 brom-sidecar \
 && useradd --system --uid 10002 --gid brom-sidecar --no-create-home --home-dir /nonexistent brom-sidecar \
 && install -d -o brom-sidecar -g brom-sidecar -m 0700 /var/lib/brom-sidecar
WORKDIR /app
COPY --from=build /src/node_modules/undici /app/node_modules/undici
COPY --from=build /src/sidecar/package.json /app/sidecar/package.json
COPY --from=build /src/sidecar/bin /app/sidecar/bin
COPY --from=build /src/sidecar/dist /app/sidecar/dist
USER 10002:10002
# The broker calls the auth port over loopback, so it must share the container's network
# (a Kubernetes pod, or docker run --network container:<rabbitmq>); probes and metrics reach
# the admin port from outside.
ENV NODE_ENV=production \
    BROM_SIDECAR_ADMIN_HOST=0.0.0.0
# The last snapshot, kept across restarts when a volume is mounted here.
VOLUME /var/lib/brom-sidecar
EXPOSE 8089 8090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8090/livez').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "sidecar/bin/brom-sidecar.js"]
