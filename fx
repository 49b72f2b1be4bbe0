#!/usr/bin/env bash
# The one entry point for a fresh machine: ensures Node 24 and the npm
# dependencies, then runs an npm script of the root package.
#   ./fx test            install everything, start local infra, run all tests
#   ./fx start           run the whole trading core locally
#   ./fx <script> [args] any root npm script (infra:up, bench:matcher, ...)
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
stamp=node_modules/.fxcore-installed
want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # `npm install`, not `npm ci`: this registry leaves other platforms' optional
  # binaries (biome, turbo) out of the lockfile, which `npm ci` refuses.
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
cmd="${1:-test}"; shift || true
case "$cmd" in
  test|start) exec npm "$cmd" -- "$@" ;;
  *) exec npm run "$cmd" -- "$@" ;;
esac
