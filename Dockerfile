# syntax=docker/dockerfile:1
# The one fxcore service image recipe (ADR 046). Build from the repo root,
# naming the service folder:
#   docker build --build-arg SERVICE=gateway -t fxcore/gateway .
# Services: command-service, gateway, matcher, projection-service, query-api.
# Node 24 runs the TypeScript sources directly (type stripping): no build step.
# The base digest is refreshed by the release pipeline; nothing here can reach
# the image registry to check it (k8s/README.md).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:1c8b9a5e4f1d3c2b7a6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a

FROM ${NODE_IMAGE} AS deps
ARG SERVICE
WORKDIR /app
# Sources of all workspaces (small) and every package.json, which npm ci needs
# to check the lockfile; .dockerignore keeps tests, docs and node_modules out.
COPY . .
# Production dependencies of this service and of the workspaces it imports
# (linked under node_modules/@fxcore); no dev dependencies, no install scripts.
RUN test -f "${SERVICE:?build with --build-arg SERVICE=<service folder>}/src/main.ts" \
  && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace "${SERVICE}" \
  && npm cache clean --force

FROM ${NODE_IMAGE}
ARG SERVICE
ENV NODE_ENV=production
# Owned by root, run as an unprivileged user: the app cannot modify itself, and
# the root filesystem can be mounted read-only (only /tmp is written).
COPY --from=deps /app /app
WORKDIR /app/${SERVICE}
USER 10001:10001
# Same as "node ${SERVICE}/src/main.ts" from the repo root.
CMD ["node", "src/main.ts"]
