# syntax=docker/dockerfile:1
# Two stages: the build stage has the dev toolchain and runs the same production install that CI proves
# (scripts/install-production.sh); the runtime stage holds only dist/ and the production dependencies.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN scripts/install-production.sh /app
# The compile cache's folder, made here so that the copy below hands it to node (WORKDIR's /app stays root's).
RUN mkdir /app/.node-compile-cache

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3001
WORKDIR /app
COPY --from=build --chown=node:node /app ./
# The image's own unprivileged user: the service needs no root and writes nothing to disk but Node's compile cache.
USER node
# Node's compile cache (docs/operations.md#compile-cache), filled here by one start of the service as the user that
# runs it (Node keeps one subfolder per user): every container starts with V8's code instead of compiling it.
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN --mount=type=bind,from=build,source=/src/scripts,target=/tmp/scripts /tmp/scripts/warm-compile-cache.sh /app
EXPOSE 3001
# node is PID 1 and receives SIGTERM itself (no npm or shell in between), so shutdown stays graceful.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3001)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
