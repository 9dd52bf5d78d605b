#!/usr/bin/env python3
"""Bulk selectors (the file's `bulk` rules and --match/--set) and
`trueup export`, against a real json-server 0.17.4.

Each test starts its own json-server on a free loopback port and stops it,
whatever happens; the server's data is read back to check what changed, and
its request log proves which writes were (not) made.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, by_key, run_trueup, target_yaml,  # noqa: E402
                     temp_dir, trueup_available, trueup_binary, write_yaml)


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def live_records():
    """40 records: A and AAAA, half of them under dev.example.org."""
    out = []
    for i in range(1, 41):
        zone = "dev.example.org." if i % 2 == 0 else "example.org."
        out.append({"id": i, "name": "h%d.%s" % (i, zone),
                    "type": "A" if i % 4 else "AAAA",
                    "content": "192.0.2.%d" % i, "ttl": 3600,
                    "comment": "c%d" % i})
    return out


class BulkTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-bulk-")
        self.server = JsonServer(live_records())
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.target = write_yaml(os.path.join(self.tmp, "target.yaml"),
                                 target_yaml(self.server.url))

    def trueup(self, *args, expect=0):
        run = run_trueup(list(args))
        self.assertEqual(run.code, expect, run.describe())
        return run

    def test_match_set_on_the_command_line(self):
        mark = self.server.mark()
        run = self.trueup("apply", self.target, "--match", "type=A",
                          "--set", "ttl=600")
        rep = run.report
        n_a = sum(1 for r in live_records() if r["type"] == "A")
        self.assertEqual((rep["updated"], rep["created"], rep["deleted"],
                          rep["skipped"], rep["failed"]), (n_a, 0, 0, 0, 0))
        self.assertEqual(len(self.server.writes(mark)), n_a)
        after = by_key(self.server.get_records())
        for r in live_records():
            got = after["%s|%s" % (r["name"], r["type"])]
            # only ttl changes, and only on A records; 600 is a number
            want = dict(r, ttl=600 if r["type"] == "A" else 3600)
            self.assertEqual(got, want)
        # again: nothing left to change, no write request
        mark = self.server.mark()
        rep = self.trueup("apply", self.target, "--match", "type=A",
                          "--set", "ttl=600").report
        self.assertEqual((rep["changed"], rep["skipped"], rep["updated"]),
                         (False, n_a, 0))
        self.assertEqual(self.server.writes(mark), [])

    def test_glob_and_several_matches(self):
        rep = self.trueup("plan", self.target, "--match", "type=A",
                          "--match", "name=*.dev.example.org.",
                          "--set", "ttl=60", "--set", "comment=bulk").report
        want = sorted("%s|%s" % (r["name"], r["type"]) for r in live_records()
                      if r["type"] == "A" and ".dev." in r["name"])
        self.assertEqual(sorted(r["key"] for r in rep["results"]), want)
        for r in rep["results"]:
            self.assertEqual(set(r["changes"]), {"ttl", "comment"})
            self.assertEqual(r["changes"]["ttl"], {"before": 3600, "after": 60})

    def test_rules_in_the_file_with_records_that_agree(self):
        rules = write_yaml(os.path.join(self.tmp, "rules.yaml"),
                           'bulk:\n'
                           '  - match: {type: AAAA}\n'
                           '    set: {ttl: 300}\n'
                           'records:\n'
                           '  - {name: h4.dev.example.org., type: AAAA, '
                           'ttl: 300, content: "2001:db8::4"}\n')
        self.trueup("apply", self.target, rules)
        after = by_key(self.server.get_records())
        for r in live_records():
            got = after["%s|%s" % (r["name"], r["type"])]
            self.assertEqual(got["ttl"], 300 if r["type"] == "AAAA" else 3600)
        # the listed record took the rule's ttl and its own content
        self.assertEqual(after["h4.dev.example.org.|AAAA"]["content"],
                         "2001:db8::4")

    def test_conflicts_stop_before_anything_is_pushed(self):
        cases = {
            "disagree.yaml": ('bulk:\n  - match: {type: AAAA}\n'
                              '    set: {ttl: 300}\nrecords:\n'
                              '  - {name: h4.dev.example.org., type: AAAA, '
                              'ttl: 301}\n',
                              "disagree.yaml:5:5: record "
                              "'h4.dev.example.org.|AAAA' declares a different"
                              " 'ttl' than bulk[0] (%s:2) sets; make them "
                              "agree"),
            "absent.yaml": ('bulk:\n  - match: {type: AAAA}\n'
                            '    set: {ttl: 300}\nrecords:\n'
                            '  - {name: h4.dev.example.org., type: AAAA, '
                            'state: absent}\n',
                            "absent.yaml:5:5: record "
                            "'h4.dev.example.org.|AAAA' is absent but bulk[0] "
                            "(%s:2) matches it"),
            "rules.yaml": ('bulk:\n  - match: {type: AAAA}\n'
                           '    set: {ttl: 300}\n'
                           '  - match: {name: "h4.*"}\n'
                           '    set: {ttl: 400}\n',
                           "record 'h4.dev.example.org.|AAAA' is matched by "
                           "bulk[0] (%s:2) and bulk[1] (%s:4), which set "
                           "'ttl' differently"),
        }
        for fname, (text, message) in cases.items():
            path = write_yaml(os.path.join(self.tmp, fname), text)
            mark = self.server.mark()
            run = self.trueup("apply", self.target, path, expect=1)
            self.assertIn(message.replace("%s", path), run.stderr)
            self.assertIn("nothing was pushed", run.stderr)
            self.assertEqual(self.server.writes(mark), [])

    def test_command_line_errors(self):
        for args, message in (
                (["--set", "ttl=1"], "--set needs at least one --match"),
                (["--match", "type=A"], "--match needs at least one --set"),
                (["--match", "type", "--set", "ttl=1"],
                 "--match 'type': expected FIELD=VALUE"),
                (["--match", "type=A", "--set", "ttl="],
                 "--set 'ttl=': null cannot be set in bulk"),
                (["--match", "type=A", "--set", "name=x"],
                 "'name' is a key field")):
            run = self.trueup("apply", self.target, *args, expect=1)
            self.assertIn(message, run.stderr)
        self.assertEqual(self.server.writes(), [])


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-export-")
        records = live_records()
        # values that need quoting to read back as the same type
        records.append({"id": 41, "name": "odd.example.org.", "type": "TXT",
                        "content": "600", "ttl": 60.5,
                        "tags": ["a", "true", "null", ""],
                        "meta": {"x": None, "y": "a: b", "z": "#no comment"},
                        "uni": "caf\u00e9 {x} [y]"})
        self.records = records
        self.server = JsonServer(records)
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.target = write_yaml(os.path.join(self.tmp, "target.yaml"),
                                 target_yaml(self.server.url,
                                             resource={"ignore": ["comment"]}))

    def test_export_then_plan_shows_no_changes(self):
        run = run_trueup(["export", self.target])
        self.assertEqual(run.code, 0, run.describe())
        lines = run.stdout.splitlines()
        self.assertTrue(lines[0].startswith("# trueup "), lines[0])
        self.assertIn("export: 41 records of %s" % self.server.url, lines[0])
        self.assertEqual(lines[1], "records:")
        self.assertEqual(len(lines), 2 + len(self.records))
        # the server's id and the ignored field are left out
        self.assertNotIn("id:", run.stdout)
        self.assertNotIn("comment:", run.stdout)
        exported = write_yaml(os.path.join(self.tmp, "records.yaml"),
                              run.stdout)
        plan = run_trueup(["plan", "--detailed-exitcode", self.target,
                           exported])
        self.assertEqual(plan.code, 0, plan.describe())
        rep = plan.report
        self.assertEqual((rep["total"], rep["skipped"], rep["changed"]),
                         (41, 41, False))

    def test_export_to_a_file_atomically_and_errors(self):
        out = os.path.join(self.tmp, "out.yaml")
        write_yaml(out, "old\n")
        run = run_trueup(["export", "-o", out, self.target])
        self.assertEqual((run.code, run.stdout), (0, ""), run.describe())
        with open(out) as f:
            self.assertIn("records:\n", f.read())
        self.assertEqual([n for n in os.listdir(self.tmp) if ".tmp." in n],
                         [])
        run = run_trueup(["export", "--prune", self.target])
        self.assertEqual(run.code, 1)
        self.assertIn("export takes only", run.stderr)
        self.server.stop()
        run = run_trueup(["export", "-o", out, self.target])
        self.assertEqual(run.code, 1)
        self.assertIn("Couldn't connect", run.stderr)
        with open(out) as f:   # the earlier export survives a failed run
            self.assertIn("records:\n", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
