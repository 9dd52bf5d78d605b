#!/usr/bin/env python3
"""GitOps against a real json-server 0.17.4: Markdown plans for pull
requests (--format markdown), the report's schema version and target, plan
files (plan --out, apply PLANFILE: exact, stale, altered, used), and shards
(--shard I/N).

Every test starts its own json-server on a free loopback port and stops it
in a cleanup.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, by_key, host, results_by_key,  # noqa: E402
                     run_trueup, trueup_available, trueup_binary,
                     write_desired)

TOKEN = "tu-gitops-token-5d0c2b71"


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s (build it, or set "
                           "TRUEUP)" % trueup_binary())


def name(i):
    return "host%d.example.org." % i


def mx(i, **extra):
    r = {"id": 5000 + i, "name": "mail%d.example.org." % i, "type": "MX",
         "content": "10 mx%d.example.org." % i, "ttl": 3600}
    r.update(extra)
    return r


class GitOpsCase(unittest.TestCase):
    maxDiff = 8000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="trueup-gitops-")
        if not os.environ.get("KEEP_TMP"):
            self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, records):
        srv = JsonServer(records, self.tmp)
        self.addCleanup(srv.stop)
        self.srv = srv.start()
        return self.srv

    def path(self, name):
        return os.path.join(self.tmp, name)

    def target(self, **kw):
        return write_desired(self.path("target.yaml"), self.srv.url, None,
                             auth={"type": "bearer", "token_env": "API_TOKEN"},
                             **kw)

    def records(self, records, fname="records.yaml"):
        return write_desired(self.path(fname), None, records)

    def trueup(self, *args, expect=None, env=None):
        full = {"API_TOKEN": TOKEN}
        full.update(env or {})
        run = run_trueup(list(args), env=full, cwd=self.tmp)
        if expect is not None:
            self.assertEqual(run.code, expect, run.describe())
        self.assertNotIn(TOKEN, run.stdout + run.stderr)
        return run

    def live(self):
        return by_key(self.srv.get_records())


# ---- Markdown ----------------------------------------------------------------

class MarkdownTest(GitOpsCase):
    def setUp(self):
        super().setUp()
        live = [host(i) for i in range(1, 301)] + [mx(i) for i in range(1, 4)]
        self.start(live)
        self.t = self.target()

    def test_grouped_summary_first_and_stable(self):
        recs = self.records([
            {"name": "new.example.org.", "type": "A", "content": "192.0.2.250"},
            {"name": name(1), "type": "A", "content": "198.51.100.1"},
            {"name": "mail1.example.org.", "type": "MX", "state": "absent"},
            {"name": "mail2.example.org.", "type": "MX", "state": "absent"},
        ])
        args = ("plan", "--format", "markdown", self.t, recs,
                "--match", "type=A", "--set", "ttl=600")
        md = self.trueup(*args, expect=0).stdout
        self.assertEqual(md, self.trueup(*args, expect=0).stdout,
                         "the same plan must give the same text")
        lines = md.splitlines()
        self.assertEqual(lines[0], "### trueup plan: 1 to create, 300 to "
                         "update, 2 to delete, 0 failed")
        self.assertIn("`http://127.0.0.1:%d`" % self.srv.port, lines[2])
        self.assertIn("303 records, 0 unchanged.", lines[2])
        # 299 identical TTL changes: one line, names folded
        group = [l for l in lines if l.startswith("- **update** `ttl`")]
        self.assertEqual(group, ["- **update** `ttl` `3600` \u2192 `600` on "
                                 "299 A records"])
        self.assertIn("<details><summary>299 records</summary>", md)
        self.assertIn("`%s|A`" % name(2), md)
        # host1 differs in two fields: a line of its own
        self.assertIn("- **update** `%s|A`: `content` `192.0.2.1` \u2192 "
                      "`198.51.100.1`, `ttl` `3600` \u2192 `600`" % name(1), md)
        self.assertIn("- **delete** 2 MX records", md)
        # order: creates, updates, deletes
        order = [l.split("**")[1] for l in lines if l.startswith("- **")]
        self.assertEqual(order, ["create", "update", "update", "delete"])
        # names within a group are sorted
        names = re.findall(r"`(host\d+\.example\.org\.\|A)`",
                           md.split("<details>")[1].split("</details>")[0])
        self.assertEqual(names, sorted(names))

    def test_values_cannot_inject_markdown(self):
        evil = "x` <b>bold</b> </details> **y**\n# h"
        recs = self.records([{"name": name(5), "type": "A", "content": evil}])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        line = [l for l in md.splitlines() if name(5) in l]
        self.assertEqual(len(line), 1, md)
        self.assertIn("``x` <b>bold</b> </details> **y**\\x0a# h``", line[0])

    def test_long_plan_is_capped(self):
        # 300 different contents: 300 lines that cannot be grouped, each
        # with a long value; the comment must stay under 60,000 bytes
        recs = self.records([{"name": name(i), "type": "A",
                              "content": "v%d-" % i + "x" * 300,
                              "comment": "c%d-" % i + "y" * 300}
                             for i in range(1, 301)])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        self.assertLess(len(md.encode()), 60000)
        shown = len([l for l in md.splitlines() if l.startswith("- **update")])
        self.assertLess(shown, 300)
        self.assertIn("\n%d more records not shown here" % (300 - shown), md)
        self.assertIn("\u2026", md)   # long values are cut

    def test_no_changes(self):
        recs = self.records([{"name": name(1), "type": "A"}])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        self.assertTrue(md.startswith("### trueup plan: 0 to create, 0 to "
                                      "update, 0 to delete, 0 failed\n"), md)
        self.assertIn("\nNo changes.\n", md)

    def test_threshold_warning_and_apply(self):
        recs = self.records([{"name": name(i), "type": "A", "ttl": 60}
                             for i in range(1, 301)])
        strict = self.target(settings={"max_updates": 30})
        md = self.trueup("plan", "--format", "markdown", strict, recs,
                         expect=0).stdout
        self.assertRegex(md, r"\n> \*\*Warning:\*\* .*updates")
        small = self.records([{"name": name(1), "type": "A", "ttl": 60}],
                             "small.yaml")
        md = self.trueup("apply", "--format", "markdown", self.t, small,
                         expect=0).stdout
        self.assertTrue(md.startswith("### trueup apply: 0 created, 1 "
                                      "updated, 0 deleted, 0 failed"), md)

    def test_report_schema_and_target(self):
        recs = self.records([{"name": name(1), "type": "A", "ttl": 60}])
        report = self.trueup("plan", self.t, recs, expect=0).report
        self.assertEqual(report["schema_version"], 1)
        self.assertEqual(report["target"], {
            "provider": "rest", "base_url": self.srv.url,
            "key": ["name", "type"]})
        self.assertNotIn("shard", report)


if __name__ == "__main__":
    unittest.main()
