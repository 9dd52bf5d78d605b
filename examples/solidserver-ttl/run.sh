#!/usr/bin/env bash
# run.sh -- set the TTL of every A record to 600 on a SOLIDserver, in one
# command, against a simulator of its /rest/dns_rr_* API.
#
# Starts tests/integration/solidserver_sim.py (300 A records host1..300 of
# example.org, TTL 300) on a free loopback port, writes target.yaml from
# the recipe docs/recipes/solidserver/records.yaml with base_url pointed at
# it, then runs:
#   1. trueup plan  --match rr_type=A --set ttl=600   (what would change)
#   2. trueup apply --match rr_type=A --set ttl=600   (300 PUTs, rr_ttl in
#                                                      the query string)
#   3. trueup apply --match rr_type=A --set ttl=600   (again: nothing to do)
# and stops the simulator, whatever happens. Needs python3; builds trueup
# if needed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${TRUEUP_BUILD_DIR:-$repo/build}
work=$(mktemp -d)
sim_pid=

cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
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

# the API user's credentials: sent as base64 in X-IPM-Username and
# X-IPM-Password, never shown in trueup's output
export SDS_USER=ipmadmin
export SDS_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

say "starting the SOLIDserver simulator (300 A records, TTL 300)"
python3 "$repo/tests/integration/solidserver_sim.py" --records 300 \
    --ttl 300 --user "$SDS_USER" --password "$SDS_PASSWORD" \
    > "$work/sim.out" 2> "$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
    [ -s "$work/sim.out" ] && break
    sleep 0.1
done
port=$(head -1 "$work/sim.out")
[ -n "$port" ] || { cat "$work/sim.log" >&2; exit 1; }

sed "s#^  base_url: .*#  base_url: http://127.0.0.1:$port#" \
    "$repo/docs/recipes/solidserver/records.yaml" > "$work/target.yaml"
cd "$work"

say "trueup plan target.yaml --match rr_type=A --set ttl=600   (the first lines)"
"$build/trueup" plan --format text target.yaml --match rr_type=A --set ttl=600 \
    | { head -3; echo "..."; tail -1; }

say "trueup apply target.yaml --match rr_type=A --set ttl=600"
"$build/trueup" apply --format text target.yaml --match rr_type=A --set ttl=600 \
    | tail -1

say "trueup apply again: nothing left to change"
"$build/trueup" apply --format text target.yaml --match rr_type=A --set ttl=600

say "the TTLs on the server now: $(curl -sf "http://127.0.0.1:$port/rest/dns_rr_list" \
    -H "X-IPM-Username: $(printf %s "$SDS_USER" | base64)" \
    -H "X-IPM-Password: $(printf %s "$SDS_PASSWORD" | base64)" \
    | python3 -c 'import json,sys; from collections import Counter; print(dict(Counter((r["rr_type"], r["ttl"]) for r in json.load(sys.stdin))))')"
