#!/usr/bin/env bash
# The main job end to end: build the Go client/server example with msbuild, run the result,
# and show that the final image holds only the two binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
app=fixtures/apps/go-client-server
docker=/usr/bin/docker

echo "== msbuild build -t multi:stage $app"
node dist/cli/launcher.cjs build -t multi:stage --network none --progress plain "$app"

echo
echo "== docker run --rm multi:stage --version"
$docker run --rm --network none multi:stage --version

echo
echo "== files in multi:stage"
cid=$($docker create multi:stage)
trap '$docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
$docker export "$cid" | tar -t | grep -vE '^(dev|proc|sys|etc)(/|$)|^\.dockerenv$' | sort

echo
echo "== the rebuild is cached"
node dist/cli/launcher.cjs build -t multi:stage --network none --progress plain "$app" 2>&1 | tail -n 6
