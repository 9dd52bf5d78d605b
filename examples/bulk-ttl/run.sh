#!/usr/bin/env bash
# run.sh -- change the TTL of every A record of a 5,000-rrset zone, with a
# real PowerDNS, in one command.
#
# Starts PowerDNS Authoritative (SQLite backend, from Debian) on free
# loopback ports in a temporary directory, creates example.org. with 4,000
# A rrsets and 1,000 others, then runs:
#   1. trueup plan  --match type=A --set ttl=600   (what would change)
#   2. trueup apply --match type=A --set ttl=600   (a handful of PATCHes)
#   3. trueup apply --match type=A --set ttl=600   (again: nothing to do)
# and stops the server, whatever happens. Run ../../.ci/deps first on a
# fresh machine (it installs pdns-server and builds nothing; this script
# builds trueup if needed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${TRUEUP_BUILD_DIR:-$repo/build}
work=$(mktemp -d)
pdns_pid=

cleanup() {
    if [ -n "$pdns_pid" ]; then
        kill "$pdns_pid" 2>/dev/null || true
        wait "$pdns_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

if [ ! -x "$build/trueup" ]; then
    say "building trueup in $build"
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j2 --target trueup-cli >/dev/null
fi

http_port=$(free_port)
dns_port=$(free_port)
export PDNS_API_KEY=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

say "starting PowerDNS (API on 127.0.0.1:$http_port)"
sqlite3 "$work/pdns.db" < /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
cat > "$work/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$work/pdns.db
api=yes
api-key=$PDNS_API_KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$http_port
webserver-allow-from=127.0.0.0/8
local-address=127.0.0.1
local-port=$dns_port
socket-dir=$work
daemon=no
guardian=no
CONF
pdns_server --config-dir="$work" > "$work/pdns.log" 2>&1 &
pdns_pid=$!
api="http://127.0.0.1:$http_port/api/v1/servers/localhost"
for _ in $(seq 1 100); do
    curl -sf -H "X-API-Key: $PDNS_API_KEY" "$api" >/dev/null && break
    sleep 0.1
done

say "creating example.org. with 4,000 A rrsets and 1,000 TXT rrsets"
python3 - "$work/zone.json" <<'PY'
import json, sys
rrsets = [{"name": "h%d.example.org." % i, "type": "A", "ttl": 3600,
           "records": [{"content": "10.0.%d.%d" % (i // 256, i % 256),
                        "disabled": False}]} for i in range(4000)]
rrsets += [{"name": "t%d.example.org." % i, "type": "TXT", "ttl": 3600,
            "records": [{"content": '"v=%d"' % i, "disabled": False}]}
           for i in range(1000)]
json.dump({"name": "example.org.", "kind": "Native",
           "nameservers": ["ns1.example.org."], "rrsets": rrsets},
          open(sys.argv[1], "w"))
PY
curl -sf -H "X-API-Key: $PDNS_API_KEY" -H 'Content-Type: application/json' \
     --data-binary @"$work/zone.json" "$api/zones" >/dev/null

sed "s/@PORT@/$http_port/" "$here/target.yaml.in" > "$work/target.yaml"
cd "$work"

say "trueup plan target.yaml --match type=A --set ttl=600   (the first lines)"
"$build/trueup" plan --format text target.yaml --match type=A --set ttl=600 \
    | { head -3; echo "..."; tail -1; }

say "trueup apply target.yaml --match type=A --set ttl=600"
"$build/trueup" apply --format text target.yaml --match type=A --set ttl=600 \
    | tail -1

say "trueup apply again: nothing left to change"
"$build/trueup" apply --format text target.yaml --match type=A --set ttl=600

say "the zone now: $(curl -sf -H "X-API-Key: $PDNS_API_KEY" "$api/zones/example.org." \
    | python3 -c 'import json,sys; z=json.load(sys.stdin); from collections import Counter; print(dict(Counter((r["type"], r["ttl"]) for r in z["rrsets"])))')"
