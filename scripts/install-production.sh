#!/usr/bin/env bash
# The production install, in one place: the Dockerfile runs it and CI proves it (scripts/verify-production.sh).
# Builds dist/ from src/ with the dev toolchain, then lays out TARGET with only what runs in production:
# package.json, the lock file, dist/ and the production dependencies (npm ci --omit=dev).
#   usage: scripts/install-production.sh TARGET
set -euo pipefail
target=${1:?usage: scripts/install-production.sh TARGET}
cd "$(dirname "$0")/.."

npm run build --silent
rm -rf "$target"
mkdir -p "$target"
cp package.json package-lock.json "$target"/
cp -R dist "$target"/dist
(cd "$target" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "production install in $target: run it with: node dist/main.js"
