"""The NetBox-like Django REST framework API (drf_app/) for integration tests.

    with DRFServer({"blue": 300, "big": 2369}) as drf:   # or .start()
        drf.url                       # http://127.0.0.1:PORT
        drf.api("GET", "/api/ipam/ip-addresses/?limit=1")  # (status, JSON)
        drf.rows("blue")              # the vrf's rows, from the database
        drf.mark()                    # a position in its request log
        drf.requests(since=mark)      # [(method, path, status)] since then
        drf.writes()                  # the write log: [{start, end, method,
                                      #   path, status, id, refs, body}]

    DRFServer({}, id_offset=1000, write_delay_ms=50)   # a second "site"

Debian's Django 3.2 and DRF 3.14 (python3-djangorestframework,
python3-django-filters), run with /usr/bin/python3: `manage.py migrate` into
SQLite in a new temporary directory, `manage.py seed` (the API user, the
token TOKEN, each vrf and its addresses in one bulk_create, and ids
starting after `id_offset`), then `manage.py serve 127.0.0.1:PORT
--noreload` (runserver with a write log, and `write_delay_ms` held inside
every write) on a free port; runserver's request log (stderr) is kept in
server.log there, the write log (drf_app/ipam/writelog.py) in writes.jsonl.
The routes (tenants, VRFs, prefixes, and IP addresses once per pagination
class) are listed in drf_app/netbox_like/urls.py.

Start one per test file (migrate takes a few seconds). stop() terminates
runserver (then kills it); it is safe to call more than once, and leaving
the `with` block calls it even when the block raised. cleanup() also removes
the directory (kept when the environment has KEEP_TMP).

drf_unavailable() says why the API cannot run here (None when it can).
"""

import itertools
import json
import os
import re
import sqlite3
import subprocess
import tempfile
import time

from harness import ManagedServer, free_port, http_request, wait_port

PYTHON = "/usr/bin/python3"
APP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "drf_app")
TOKEN = "0123456789abcdef0123456789abcdef01234567"

# runserver's log: [30/Nov/2026 09:20:38] "GET /api/... HTTP/1.1" 200 256245
_LOG_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) ')
_SYNC = "/api/ipam/ip-addresses/?limit=1&harness_sync="
_sync_counter = itertools.count(1)


def drf_unavailable():
    """Why the DRF test API cannot run here, or None when it can."""
    probe = subprocess.run(
        [PYTHON, "-c", "import django, rest_framework, django_filters"],
        capture_output=True, text=True)
    if probe.returncode != 0:
        return ("%s cannot import django, rest_framework and django_filters "
                "(apt-get install python3-djangorestframework "
                "python3-django-filters, or run .ci/deps)" % PYTHON)
    return None


class DRFServer(ManagedServer):
    """The API, seeded with `vrfs` ({name: count}, in order)."""

    def __init__(self, vrfs, tmpdir=None, id_offset=0, write_delay_ms=0):
        self.vrfs = dict(vrfs)
        self.tmpdir = tmpdir
        self.id_offset = id_offset
        self.write_delay_ms = write_delay_ms
        self.dir = None
        self.proc = None
        self.port = None

    def _manage(self, *args):
        env = dict(os.environ, DRF_TEST_DIR=self.dir,
                   DJANGO_SETTINGS_MODULE="netbox_like.settings",
                   PYTHONDONTWRITEBYTECODE="1")
        return env, [PYTHON, os.path.join(APP_DIR, "manage.py")] + list(args)

    def _run(self, *args):
        env, cmd = self._manage(*args)
        done = subprocess.run(cmd, cwd=APP_DIR, env=env, capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError("manage.py %s failed (%d): %s"
                               % (args[0], done.returncode, done.stderr))

    def start(self, timeout=60.0):
        self.dir = tempfile.mkdtemp(prefix="tu-drf-", dir=self.tmpdir)
        self._run("migrate", "--noinput")
        seed = ["seed", "--token", TOKEN, "--id-offset", str(self.id_offset)]
        for name, count in self.vrfs.items():
            seed += ["--vrf", name, "--count", str(count)]
        self._run(*seed)
        self.port = free_port()
        self.write_log = os.path.join(self.dir, "writes.jsonl")
        env, cmd = self._manage("serve", "127.0.0.1:%d" % self.port,
                                "--noreload", "--write-log", self.write_log,
                                "--write-delay-ms", str(self.write_delay_ms))
        self.log_path = os.path.join(self.dir, "server.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=APP_DIR, env=env,
                                         stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.port, timeout, self.proc)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def api(self, method, path, body=None):
        status, _, parsed = http_request(
            self.url + path, method, body,
            headers={"Authorization": "Token " + TOKEN})
        return status, parsed

    def query(self, sql, args=()):
        """[{column: value}] of an SQL query on the server's database."""
        db = sqlite3.connect(os.path.join(self.dir, "db.sqlite3"))
        try:
            cur = db.execute(sql, args)
            names = [c[0] for c in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]
        finally:
            db.close()

    def rows(self, vrf):
        """{address: {field: value}} of the addresses of the vrf named
        `vrf`, read from the database; `vrf` there is the vrf's id, as the
        API takes it."""
        return {r["address"]: r for r in self.query(
            "SELECT address, vrf_id AS vrf, status, dns_name, description "
            "FROM ipam_ipaddress WHERE vrf_id = "
            "(SELECT id FROM ipam_vrf WHERE name = ?)", (vrf,))}

    def vrf_id(self, name):
        """The id of the vrf named `name`."""
        return self.query("SELECT id FROM ipam_vrf WHERE name = ?",
                          (name,))[0]["id"]

    def writes(self):
        """The write log: one dict per write request, in the order they
        were answered (drf_app/ipam/writelog.py)."""
        if not os.path.exists(self.write_log):
            return []
        with open(self.write_log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def mark(self):
        return len(self._log())

    def requests(self, since=0):
        """The requests logged since `mark`, the harness's own left out.
        runserver logs a request after answering it: a request of the
        harness's own, logged, means the ones answered before it are too."""
        path = _SYNC + str(next(_sync_counter))
        self.api("GET", path)
        deadline = time.monotonic() + 10
        while not any(p == path for _, p, _ in self._log(True)):
            if time.monotonic() > deadline:
                raise TimeoutError("runserver did not log %s" % path)
            time.sleep(0.02)
        return self._log()[since:]

    def _log(self, with_sync=False):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            lines = [(m.group(1), m.group(2), int(m.group(3)))
                     for m in map(_LOG_LINE.search, f) if m]
        return [r for r in lines if with_sync or _SYNC not in r[1]]
