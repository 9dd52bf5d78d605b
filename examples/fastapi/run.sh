#!/usr/bin/env bash
# run.sh -- examples/fastapi/app.py, end to end, against a real local REST API.
#
# Builds the Python package if needed, starts json-server (pinned in
# package.json) with examples/quickstart/db.json and the app under uvicorn
# (Debian's python3-fastapi, python3-uvicorn), each on a free loopback port,
# then asks the app over HTTP to:
#   1. POST /plan          what would change (the report's counts)
#   2. POST /apply/stream  push only what differs, one line per record as it
#                          is done
#   3. POST /apply         again: nothing left to change
# Both servers are stopped on exit, whatever happens.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${TRUEUP_BUILD_DIR:-$repo/build}
python=${TRUEUP_PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
free_port() {
    "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}
post() {   # post PATH: the records as the body; the answer on stdout
    curl -sS --fail-with-body -H 'Content-Type: application/json' \
         --data-binary "@$here/records.json" "http://127.0.0.1:$app_port$1"
    echo
}

if [ ! -d "$build/python/trueup" ]; then
    say "building the Python package in $build/python"
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j2 --target trueup-python >/dev/null
fi

api_port=$(free_port)
cp "$repo/examples/quickstart/db.json" "$work/db.json"
sed "s/@PORT@/$api_port/" "$here/target.json.in" > "$work/target.json"
say "starting json-server on 127.0.0.1:$api_port"
node "$repo/node_modules/json-server/lib/cli/bin.js" --host 127.0.0.1 \
    --port "$api_port" "$work/db.json" > "$work/json-server.log" 2>&1 &
pids+=($!)
wait_port "$api_port"

app_port=$(free_port)
say "starting the app: uvicorn app:app on 127.0.0.1:$app_port"
API_TOKEN=demo-secret-token TRUEUP_TARGET=$work/target.json \
PYTHONPATH=$build/python \
    "$python" -m uvicorn --app-dir "$here" app:app --host 127.0.0.1 \
    --port "$app_port" --log-level warning > "$work/uvicorn.log" 2>&1 &
pids+=($!)
wait_port "$app_port"

say "POST /plan"
post /plan | "$python" -c 'import json, sys; r = json.load(sys.stdin)
print("plan: %(created)d to create, %(updated)d to update, %(deleted)d to delete, %(skipped)d unchanged" % r)'

say "POST /apply/stream"
post /apply/stream

say "POST /apply   (again: nothing to change)"
post /apply | "$python" -c 'import json, sys; r = json.load(sys.stdin)
print("apply: %(succeeded)d succeeded, %(skipped)d unchanged, %(failed)d failed" % r)'
