#!/usr/bin/env bash
# Builds dothi, starts it on a free port with an empty data directory, runs
# the browser tests (e2e/run.mjs) against it and stops it.
#
#   web/e2e/serve-and-test.sh          (from anywhere; build the UI first: make web)
#
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$(dirname "$here")"
root="$(dirname "$web")"

if [ ! -f "$web/dist/index.html" ]; then
  echo "web/dist is not built: run 'make web' (or 'cd web && npm ci && npm run build')" >&2
  exit 1
fi
if [ ! -d "$web/node_modules/playwright-core" ]; then
  echo "web/node_modules is missing: run 'cd web && npm ci'" >&2
  exit 1
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

bin="${DOTHI_E2E_BIN:-/tmp/dothi-e2e}"
data="$(mktemp -d)"
log="$data/server.log"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT INT TERM

echo "== go build -o $bin ./cmd/dothi"
(cd "$root" && go build -o "$bin" ./cmd/dothi)

# An API key for seeding the test data; the browser logs in as the demo
# operator (--demo creates the demo accounts; no demo city, so that the
# tests see only their own data).
key="$("$bin" admin create-key --data "$data/db" --role integrator --name e2e-seed | tail -n 1)"

port="$(free_port)"
"$bin" serve --demo --demo-accounts-only --addr "127.0.0.1:$port" --data "$data/db" >"$log" 2>&1 &
pids+=("$!")
server="http://127.0.0.1:$port"

wait_for() { # url
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}
if ! wait_for "$server/readyz"; then
  echo "dothi did not become ready; its log:" >&2
  cat "$log" >&2
  exit 1
fi
echo "== dothi ready at $server"

ui="$server"
echo "== e2e against $ui"
status=0
DOTHI_KEY="$key" DOTHI_E2E_USER=operator DOTHI_E2E_PASSWORD=dothi-demo-2026 \
SCREENSHOT_DIR="${SCREENSHOT_DIR:-$web/e2e/out}" DOTHI_URL="$ui" DOTHI_API_URL="$server" node "$here/run.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "== server log (last 40 lines)" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
