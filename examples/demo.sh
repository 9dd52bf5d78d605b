#!/usr/bin/env bash
# demo.sh -- trueup's main job, end to end, against a real local REST API.
#
# Builds trueup if needed, starts json-server (pinned in package.json) on a
# free loopback port with examples/quickstart/db.json, and runs:
#   1. trueup plan   -- what would change (text format)
#   2. trueup apply  -- push only what differs (JSON report)
#   3. trueup apply  -- again: nothing left to change
# The server is stopped on exit, whatever happens. Run .ci/deps first on a
# fresh machine (the README's first command does both).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${TRUEUP_BUILD_DIR:-$repo/build}
work=$(mktemp -d)
server_pid=

cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

if [ ! -x "$build/trueup" ]; then
    say "building trueup in $build"
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j2 --target trueup-cli >/dev/null
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp "$here/quickstart/db.json" "$work/db.json"
sed "s/@PORT@/$port/" "$here/quickstart/target.yaml.in" > "$work/target.yaml"
cp "$here/quickstart/records.yaml" "$work/records.yaml"

say "starting json-server on 127.0.0.1:$port"
node "$repo/node_modules/json-server/lib/cli/bin.js" --host 127.0.0.1 \
    --port "$port" "$work/db.json" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done

export API_TOKEN=demo-secret-token   # sent as a bearer token; never printed
cd "$work"

say "trueup plan --format text target.yaml records.yaml"
"$build/trueup" plan --format text target.yaml records.yaml

say "trueup apply target.yaml records.yaml"
"$build/trueup" apply target.yaml records.yaml

say "trueup apply target.yaml records.yaml   (again: nothing to change)"
"$build/trueup" apply --format text target.yaml records.yaml

say "done: the second apply changed nothing"
