#!/usr/bin/env bash
# Proves the production install works without dev dependencies: installs into a clean temporary folder, then
# starts `node dist/main.js` there with the in-memory store, with Redis and with PostgreSQL, checks that it answers
# and is ready, and that SIGTERM stops it with exit code 0. Needs Redis on REDIS_URL (default
# redis://127.0.0.1:6379) and PostgreSQL on DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), where
# it works in a schema of its own and drops it after. Last, it fills a compile cache for that install as the
# Dockerfile does (scripts/warm-compile-cache.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
schema=
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  if [ -n "$schema" ]; then psql "$database_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

scripts/install-production.sh "$work/app"
if [ -e "$work/app/node_modules/typescript" ] || [ -e "$work/app/node_modules/tsx" ]; then
  echo "FAIL: dev dependencies were installed" >&2
  exit 1
fi

# Starts the installed service with the given variables, checks /, /health/live and /health/ready, stops it.
check() {
  local label=$1; shift
  local log="$work/$label.log"
  (cd "$work/app" && exec env -i PATH="$PATH" HOST=127.0.0.1 PORT=0 "$@" node dist/main.js) >"$log" 2>&1 &
  pid=$!
  local port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*"port":\([0-9]*\).*"msg":"listening".*/\1/p' "$log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then echo "FAIL ($label): the service did not start" >&2; cat "$log" >&2; exit 1; fi
  for path in / /health/live /health/ready; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
    if [ "$status" != 200 ]; then echo "FAIL ($label): GET $path answered $status" >&2; cat "$log" >&2; exit 1; fi
  done
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  pid=
  if [ "$code" != 0 ]; then echo "FAIL ($label): exit code $code after SIGTERM" >&2; cat "$log" >&2; exit 1; fi
  echo "ok ($label): answered on port $port without dev dependencies, ready, stopped with exit 0"
}

check memory SESSION_STORE=memory
check redis SESSION_STORE=redis REDIS_URL="$redis_url" REDIS_KEY_PREFIX="verify-production:$$:" \
  SESSION_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)"
schema="verify_production_$$"
psql "$database_url" -qc "CREATE SCHEMA $schema"
separator='?'
case "$database_url" in *\?*) separator='&' ;; esac
check postgres SESSION_STORE=postgres DATABASE_URL="$database_url${separator}options=-c%20search_path%3D$schema" \
  SESSION_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)"

# The Dockerfile's compile-cache step, on the same install (Node >= 22.1 has the cache; older Node skips it).
if node -e "process.exit('enableCompileCache' in require('node:module') ? 0 : 1)"; then
  NODE_COMPILE_CACHE="$work/compile-cache" scripts/warm-compile-cache.sh "$work/app"
else
  echo "skipped (compile cache): Node $(node --version) has none"
fi
