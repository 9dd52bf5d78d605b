#!/usr/bin/env bash
# run.sh -- the trueup Ansible module, end to end, against a real local API.
#
# Builds the module and the collection trueup.trueup if needed, starts
# json-server (pinned in package.json) on a free loopback port with
# ../quickstart/db.json, and runs playbook.yml three times:
#   1. --check --diff  -- what would change, one diff per record; nothing written
#   2. for real        -- push only what differs
#   3. again           -- nothing left to change (changed=0)
# The server is stopped on exit, whatever happens. Needs ansible-core
# (`.ci/deps` installs it) and json-server (`npm ci`).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${TRUEUP_BUILD_DIR:-$repo/build}
collections=$build/ansible/collections
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

if ! command -v ansible-playbook >/dev/null; then
    echo "run.sh: ansible-playbook is missing: run .ci/deps (or apt-get install ansible-core)" >&2
    exit 1
fi
if [ ! -x "$collections/ansible_collections/trueup/trueup/plugins/modules/trueup" ]; then
    say "building the module and the collection in $build"
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j2 --target ansible-collection >/dev/null
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp "$repo/examples/quickstart/db.json" "$work/db.json"

say "starting json-server on 127.0.0.1:$port"
node "$repo/node_modules/json-server/lib/cli/bin.js" --host 127.0.0.1 \
    --port "$port" "$work/db.json" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done

# Ansible's own files stay in the work directory; the collection comes from
# the build.
export ANSIBLE_HOME=$work/ansible-home
export ANSIBLE_LOCAL_TEMP=$work/ansible-home/tmp
export ANSIBLE_REMOTE_TEMP=$work/ansible-home/tmp
export ANSIBLE_COLLECTIONS_PATH=$collections
export API_TOKEN=demo-secret-token   # sent as a bearer token; never printed

play=(ansible-playbook -i localhost, -c local "$here/playbook.yml"
      -e "api_url=http://127.0.0.1:$port")

say "ansible-playbook playbook.yml --check --diff   (nothing is written)"
"${play[@]}" --check --diff

say "ansible-playbook playbook.yml   (push only what differs)"
"${play[@]}"

say "ansible-playbook playbook.yml   (again: nothing to change)"
"${play[@]}"

say "done: the last run changed nothing"
