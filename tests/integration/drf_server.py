"""The NetBox-like Django REST framework API (drf_app/) for integration tests.

    with DRFServer({"blue": 300, "big": 2369}) as drf:   # or .start()
        drf.url                       # http://127.0.0.1:PORT
        drf.api("GET", "/api/ipam/ip-addresses/?limit=1")  # (status, JSON)
        drf.rows("blue")              # the vrf's rows, from the database
        drf.mark()                    # a position in its request log
        drf.requests(since=mark)      # [(method, path, status)] since then

Debian's Django 3.2 and DRF 3.14 (python3-djangorestframework,
python3-django-filters), run with /usr/bin/python3: `manage.py migrate` into
SQLite in a new temporary directory, `manage.py seed` (the API user, the
token TOKEN, and each vrf's addresses in one bulk_create), then
`manage.py runserver 127.0.0.1:PORT --noreload` on a free port; runserver's
request log (stderr) is kept in server.log there. The routes, one per
pagination class, are listed in drf_app/netbox_like/urls.py.

Start one per test file (migrate takes a few seconds). stop() terminates
runserver (then kills it); it is safe to call more than once, and leaving
the `with` block calls it even when the block raised. cleanup() also removes
the directory (kept when the environment has KEEP_TMP).

drf_unavailable() says why the API cannot run here (None when it can).
"""

import itertools
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

    def __init__(self, vrfs, tmpdir=None):
        self.vrfs = dict(vrfs)
        self.tmpdir = tmpdir
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
        seed = ["seed", "--token", TOKEN]
        for name, count in self.vrfs.items():
            seed += ["--vrf", name, "--count", str(count)]
        self._run(*seed)
        self.port = free_port()
        env, cmd = self._manage("runserver", "127.0.0.1:%d" % self.port,
                                "--noreload")
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

    def rows(self, vrf):
        """{address: {field: value}} of a vrf, read from the database."""
        db = sqlite3.connect(os.path.join(self.dir, "db.sqlite3"))
        try:
            cur = db.execute("SELECT address, vrf, status, dns_name, "
                             "description FROM ipam_ipaddress WHERE vrf = ?",
                             (vrf,))
            names = [c[0] for c in cur.description]
            return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
        finally:
            db.close()

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
