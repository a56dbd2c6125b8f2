#!/usr/bin/env bash
# Builds the browser app into OUT for CMake (the `web` target): installs the npm packages
# as package-lock.json pins them when node_modules is missing or older than the lockfile,
# then bundles with esbuild. One build at a time per checkout (flock): two presets may build.
#   web/build.sh OUT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web: Node.js and npm are needed to build the browser app; scripts/install-deps installs them" >&2
  exit 1
fi
# @bpmn-io/form-js-viewer pulls in IBM Carbon packages whose install step starts a telemetry
# process reporting to IBM; the build reports to no one.
export IBM_TELEMETRY_DISABLED=true
exec 9>"$here/.build.lock"
flock 9
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
node "$here/build.mjs" --out "$out"
