#!/usr/bin/env python3
"""trueup watch scraped by a real Prometheus (Debian's 2.42, a private
instance on a free port, started by the test), its values read back
through Prometheus's own HTTP API; and its /metrics text passed through
`promtool check metrics`, the format's own linter.

Two sets against one json-server: "fix" corrects drift (--apply), "audit"
only reports it. Prometheus must see the target up, the passes counted
per set and outcome, the drift of the report-only set, the records the
correcting set created, and the process ready.
"""

import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, host, temp_dir, trueup_available,  # noqa: E402
                     trueup_binary, write_desired)
from prometheus_server import Prometheus, prometheus_unavailable  # noqa: E402
from watch_process import WatchProcess, want  # noqa: E402


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())
    reason = prometheus_unavailable()
    if reason:
        raise RuntimeError(reason)


class PrometheusTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "trueup-watch-prom-")
        self.server = JsonServer([host(i) for i in range(1, 4)],
                                 tmpdir=self.tmp)
        self.addCleanup(self.server.cleanup)
        self.server.start()
        fix = write_desired(os.path.join(self.tmp, "fix.yaml"),
                            self.server.url,
                            [want(i) for i in range(1, 4)] +
                            [want(10), want(11)])
        audit = write_desired(os.path.join(self.tmp, "audit.yaml"),
                              self.server.url, [want(1, ttl=60)])
        self.audit = WatchProcess(["--interval", "0.5", "audit=" + audit],
                                  self.tmp)
        self.fix = WatchProcess(["--apply", "--interval", "0.5",
                                 "fix=" + fix], self.tmp)
        for w in (self.audit, self.fix):
            self.addCleanup(w.stop)
            w.start()
        self.prom = Prometheus(["127.0.0.1:%d" % self.fix.port,
                                "127.0.0.1:%d" % self.audit.port],
                               tmpdir=self.tmp)
        self.addCleanup(self.prom.cleanup)
        self.prom.start()

    def wait_value(self, expr, check, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            v = self.prom.value(expr)
            if v is not None and check(v):
                return v
            if time.monotonic() > deadline:
                raise AssertionError("%s = %r after %d s\n%s" % (
                    expr, v, timeout, self.prom.log()))
            time.sleep(0.2)

    def test_scraped_values(self):
        self.prom.wait_up()
        self.assertEqual(self.prom.value('count(up{job="trueup"} == 1)'), 2)
        self.wait_value('trueup_passes_total{set="fix",outcome="ok"}',
                        lambda v: v >= 2)
        self.wait_value('trueup_passes_total{set="audit",outcome="ok"}',
                        lambda v: v >= 2)
        self.wait_value('trueup_last_pass_records{set="audit",'
                        'count="drifted"}', lambda v: v == 1)
        self.assertEqual(self.prom.value(
            'trueup_last_pass_records{set="audit",count="updated"}'), 1)
        self.wait_value('trueup_records_changed_total{set="fix",'
                        'action="created"}', lambda v: v == 2)
        self.wait_value('trueup_ready{instance="127.0.0.1:%d"}'
                        % self.fix.port, lambda v: v == 1)
        self.assertEqual(self.prom.value(
            'trueup_errors_total{set="fix",kind="fetch"}'), 0)
        self.assertGreater(self.prom.value(
            'trueup_last_success_timestamp_seconds{set="fix"}'),
            time.time() - 3600)
        self.assertEqual(len(self.server.get_records()), 5)  # audit: no fix

    @unittest.skipUnless(shutil.which("promtool"), "promtool not installed")
    def test_promtool_lints_the_text(self):
        self.fix.wait_for(lambda: self.fix.passes("fix") >= 1,
                          what="a first pass")
        status, text = self.fix.get("/metrics")
        self.assertEqual(status, 200)
        run = subprocess.run(["promtool", "check", "metrics"], input=text,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
