#!/usr/bin/env python3
"""The examples a reader runs: examples/demo.sh (the README's first command,
json-server), examples/bulk-ttl/run.sh (PowerDNS) and
examples/solidserver-ttl/run.sh (the SOLIDserver simulator). Each is run as a
reader would, with the trueup under test, and its output checked: the
second apply changes nothing. They start and stop their own servers."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import SOURCE_DIR, trueup_available, trueup_binary  # noqa: E402
from pdns_server import pdns_unavailable  # noqa: E402


def run_example(script):
    env = dict(os.environ,
               TRUEUP_BUILD_DIR=os.path.dirname(trueup_binary()))
    return subprocess.run(["bash", os.path.join(SOURCE_DIR, script)],
                          env=env, capture_output=True, text=True,
                          timeout=240, stdin=subprocess.DEVNULL)


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not trueup_available():
            raise RuntimeError("trueup binary not found at %s"
                               % trueup_binary())

    def test_demo(self):
        run = run_example("examples/demo.sh")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("Plan: 2 to create, 6 to update, 1 to delete, "
                      "2 unchanged, 0 failed.", run.stdout)
        self.assertIn('"succeeded": 9,', run.stdout)
        self.assertIn("Apply: 0 created, 0 updated, 0 deleted, 11 unchanged,"
                      " 0 failed", run.stdout)
        self.assertNotIn("demo-secret-token", run.stdout + run.stderr)

    def test_bulk_ttl(self):
        reason = pdns_unavailable()
        if reason:
            if os.environ.get("CI"):
                self.fail("CI must run the PowerDNS example: " + reason)
            self.skipTest(reason)
        run = run_example("examples/bulk-ttl/run.sh")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("Plan: 0 to create, 4000 to update, 0 to delete, "
                      "0 unchanged, 0 failed.", run.stdout)
        self.assertIn("Apply: 0 created, 4000 updated, 0 deleted, "
                      "0 unchanged, 0 failed (5 requests,", run.stdout)
        self.assertIn("Apply: 0 created, 0 updated, 0 deleted, "
                      "4000 unchanged, 0 failed (1 request, HTTP/1.1 over 1 "
                      "connection,", run.stdout)
        self.assertIn("('A', 600): 4000", run.stderr)

    def test_solidserver_ttl(self):
        run = run_example("examples/solidserver-ttl/run.sh")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("Plan: 0 to create, 300 to update, 0 to delete, "
                      "0 unchanged, 0 failed.", run.stdout)
        # 300 PUTs and the two reads of the list (its rows, then the 204)
        self.assertIn("Apply: 0 created, 300 updated, 0 deleted, "
                      "0 unchanged, 0 failed (302 requests,", run.stdout)
        # again: the two reads, no write
        self.assertIn("Apply: 0 created, 0 updated, 0 deleted, "
                      "300 unchanged, 0 failed (2 requests,", run.stdout)
        self.assertIn("{('A', '600'): 300}", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
