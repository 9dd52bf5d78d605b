"""prometheus_server.py -- a private Prometheus (Debian's `prometheus`, 2.42)
for the integration tests: one scrape job of the targets given, every
second, its data in a temporary directory, its web API on a free loopback
port; always stopped by the test that started it.

    with Prometheus(["127.0.0.1:9479"], tmpdir=d) as prom:
        prom.wait_up()                       # the first scrape went well
        prom.value('trueup_passes_total{outcome="ok"}')

The values are read back through Prometheus's own HTTP API
(/api/v1/query, /api/v1/targets). Python 3 standard library only.
"""

import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import time
import urllib.parse
import urllib.request

from harness import ManagedServer, free_port, stop_process

CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: trueup
    static_configs:
      - targets: {targets}
"""


def prometheus_unavailable():
    """Why a Prometheus cannot be run here, or None."""
    if not shutil.which("prometheus"):
        return "prometheus is not installed (Debian's prometheus; .ci/deps)"
    return None


class Prometheus(ManagedServer):
    def __init__(self, targets, tmpdir=None):
        self.targets = list(targets)
        self.tmpdir = tmpdir
        self.proc = None

    def start(self, timeout=30.0):
        self.dir = tempfile.mkdtemp(prefix="prometheus-", dir=self.tmpdir)
        self.http_port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(targets=json.dumps(self.targets)))
        self._log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + cfg,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.http_port],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(lambda: self.api("/-/ready")[0], timeout,
                        RuntimeError)
        return self

    def stop(self, timeout=10.0):
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, timeout)
            self._log.close()

    def log(self):
        with open(os.path.join(self.dir, "prometheus.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def api(self, path, **query):
        """(status, parsed JSON or None)."""
        url = "http://127.0.0.1:%d%s" % (self.http_port, path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                raw, status = r.read(), r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None

    def targets_health(self):
        _, body = self.api("/api/v1/targets")
        return [(t["health"], t.get("lastError", ""))
                for t in body["data"]["activeTargets"]]

    def wait_up(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while [h for h, _ in self.targets_health()] != \
                ["up"] * len(self.targets):
            if time.monotonic() > deadline:
                raise AssertionError("targets not up: %r\n%s"
                                     % (self.targets_health(), self.log()))
            time.sleep(0.2)

    def query(self, expr):
        """The result list of an instant query."""
        status, body = self.api("/api/v1/query", query=expr)
        if status != 200 or body.get("status") != "success":
            raise AssertionError("query %s: %s %r" % (expr, status, body))
        return body["data"]["result"]

    def value(self, expr):
        """The one value of an instant query, as a float (None: no
        sample)."""
        result = self.query(expr)
        if not result:
            return None
        if len(result) != 1:
            raise AssertionError("%s: %d series" % (expr, len(result)))
        return float(result[0]["value"][1])
