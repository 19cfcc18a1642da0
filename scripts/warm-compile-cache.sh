#!/usr/bin/env bash
# Fills Node's compile cache for the service installed in APP (docs/operations.md#compile-cache): starts
# `node dist/main.js` there once with the in-memory store, lets it load everything it defers, and stops it with
# SIGTERM; the service writes V8's code for every module it loaded into NODE_COMPILE_CACHE. Node keeps one
# subfolder per user, so run it as the user that runs the service. The Dockerfile runs it so that each container
# starts with a warm cache: a start with an empty one is slower than a start without any.
#   usage: NODE_COMPILE_CACHE=DIR scripts/warm-compile-cache.sh APP
set -euo pipefail
app=${1:?usage: NODE_COMPILE_CACHE=DIR scripts/warm-compile-cache.sh APP}
cache=${NODE_COMPILE_CACHE:?set NODE_COMPILE_CACHE to the cache folder}
log=$(mktemp)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -f "$log"
}
trap cleanup EXIT

(cd "$app" && exec env -i PATH="$PATH" NODE_COMPILE_CACHE="$cache" HOST=127.0.0.1 PORT=0 SESSION_STORE=memory node dist/main.js) >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q '"msg":"listening"' "$log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '"msg":"listening"' "$log"; then echo "FAIL: the service did not start" >&2; cat "$log" >&2; exit 1; fi
# The service loads what it defers a second after it listens; the cache is written at the latest when it exits.
sleep 2
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=
if [ "$code" != 0 ]; then echo "FAIL: exit code $code after SIGTERM" >&2; cat "$log" >&2; exit 1; fi
files=0
if [ -d "$cache" ]; then files=$(find "$cache" -type f | wc -l); fi
if [ "$files" = 0 ]; then echo "FAIL: nothing was written to $cache (Node >= 22.1 is needed)" >&2; exit 1; fi
echo "compile cache in $cache: $files files"
