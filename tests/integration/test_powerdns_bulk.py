#!/usr/bin/env python3
"""One-shot bulk changes and export against a real PowerDNS 4.7 (SQLite
backend, started on free loopback ports with a fresh database).

A zone of 5,000 rrsets: `--match type=A --set ttl=600` changes every A
rrset's TTL in a handful of PATCHes (counted from the report and from the
zone's SOA serial, which every PATCH raises by one), the zone read back is
right, and a second run changes nothing. Export, then plan with the export,
shows no changes; a bulk rule in the file with a name glob works too.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import run_trueup, temp_dir, trueup_available  # noqa: E402
from pdns_server import PowerDNS, pdns_unavailable  # noqa: E402

N_A = 4000      # A rrsets in the zone
N_OTHER = 1000  # TXT and AAAA rrsets, which the bulk change must not touch
BATCH = 500


def setUpModule():
    reason = pdns_unavailable()
    if not reason and not trueup_available():
        reason = "the trueup binary is not built (set TRUEUP)"
    if reason:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the PowerDNS tests: " + reason)
        raise unittest.SkipTest(reason)


def zone_rrsets(zone):
    out = []
    for i in range(N_A):
        out.append({"name": "h%d.%s" % (i, zone), "type": "A", "ttl": 3600,
                    "records": ["10.%d.%d.%d" % (i // 65536, i // 256 % 256,
                                                 i % 256)]})
    for i in range(N_OTHER):
        if i % 2:
            out.append({"name": "t%d.%s" % (i, zone), "type": "TXT",
                        "ttl": 3600, "records": ['"v=%d"' % i]})
        else:
            out.append({"name": "h%d.dev.%s" % (i, zone), "type": "AAAA",
                        "ttl": 3600, "records": ["2001:db8::%x" % (i + 1)]})
    return out


class BulkOnAZone(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pdns = PowerDNS()
        cls.addClassCleanup(cls.pdns.cleanup)
        cls.pdns.start()
        cls.tmp = temp_dir(cls, "tu-pdns-bulk-")

    def setUp(self):
        self.zone = "%s.test." % self._testMethodName[5:].replace("_", "-")
        self.pdns.create_zone(self.zone, zone_rrsets(self.zone))
        self.target = os.path.join(self.tmp, self.zone + "target.yaml")
        with open(self.target, "w") as f:
            f.write("target:\n"
                    "  provider: powerdns\n"
                    "  base_url: %s\n"
                    "  zones: [%s]\n"
                    "  batch_size: %d\n"
                    "  auth: {type: header, name: X-API-Key, "
                    "value_env: PDNS_API_KEY}\n"
                    % (self.pdns.base_url, self.zone, BATCH))

    def trueup(self, *args, expect=0):
        run = run_trueup(list(args),
                         env={"PDNS_API_KEY": self.pdns.api_key})
        self.assertEqual(run.code, expect, run.describe())
        self.assertNotIn(self.pdns.api_key, run.stdout + run.stderr)
        return run

    def test_ttl_of_every_a_rrset(self):
        serial = self.pdns.serial(self.zone)
        rep = self.trueup("apply", self.target, "--match", "type=A",
                          "--set", "ttl=600").report
        batches = (N_A + BATCH - 1) // BATCH
        self.assertEqual((rep["updated"], rep["created"], rep["deleted"],
                          rep["failed"], rep["write_requests"]),
                         (N_A, 0, 0, 0, batches), rep)
        self.assertEqual(rep["requests"], 1 + batches)   # one GET per zone
        self.assertEqual(self.pdns.serial(self.zone), serial + batches)
        live = self.pdns.rrsets(self.zone, include_soa=False)
        for (name, rtype), (ttl, contents) in live.items():
            want = 600 if rtype == "A" else 3600
            self.assertEqual(ttl, want, (name, rtype))
            self.assertEqual(len(contents), 1, (name, rtype))
        self.assertEqual(len(live), N_A + N_OTHER + 1)   # + the apex NS
        # again: nothing to change, not one PATCH
        rep = self.trueup("apply", self.target, "--match", "type=A",
                          "--set", "ttl=600").report
        self.assertEqual((rep["changed"], rep["skipped"],
                          rep["write_requests"]), (False, N_A, 0))
        self.assertEqual(self.pdns.serial(self.zone), serial + batches)

    def test_bulk_rule_in_the_file_with_a_glob(self):
        rules = os.path.join(self.tmp, self.zone + "rules.yaml")
        with open(rules, "w") as f:
            f.write('bulk:\n  - match: {name: "*.dev.%s"}\n'
                    '    set: {ttl: 120}\n' % self.zone)
        rep = self.trueup("apply", self.target, rules).report
        self.assertEqual((rep["updated"], rep["failed"]), (N_OTHER // 2, 0))
        live = self.pdns.rrsets(self.zone, include_soa=False)
        for (name, rtype), (ttl, _) in live.items():
            self.assertEqual(ttl, 120 if ".dev." in name else 3600)

    def test_set_values_take_the_providers_canonical_form(self):
        """--set records=[b, a] is the sorted set {a, b}, and content: x is
        records: [x], as in a desired record: a second run is no drift."""
        args = ["--match", "name=h1.%s" % self.zone,
                "--set", "records=[10.9.9.2, 10.9.9.1]"]
        rep = self.trueup("apply", self.target, *args).report
        self.assertEqual((rep["updated"], rep["failed"]), (1, 0))
        live = self.pdns.rrsets(self.zone, include_soa=False)
        self.assertEqual(live[("h1.%s" % self.zone, "A")],
                         (3600, ["10.9.9.1", "10.9.9.2"]))
        self.assertFalse(self.trueup("plan", self.target, *args)
                         .report["changed"])
        args = ["--match", "name=h2.%s" % self.zone,
                "--set", "content=10.9.9.3"]
        self.assertEqual(self.trueup("apply", self.target, *args)
                         .report["updated"], 1)
        self.assertEqual(self.pdns.rrsets(self.zone)[("h2.%s" % self.zone,
                                                       "A")],
                         (3600, ["10.9.9.3"]))
        self.assertFalse(self.trueup("plan", self.target, *args)
                         .report["changed"])

    def test_export_then_plan_shows_no_changes(self):
        run = self.trueup("export", self.target)
        lines = run.stdout.splitlines()
        self.assertEqual(lines[1], "records:")
        # every rrset but the SOA: N_A + N_OTHER + the apex NS
        self.assertEqual(len(lines) - 2, N_A + N_OTHER + 1)
        self.assertNotIn("SOA", run.stdout)
        exported = os.path.join(self.tmp, self.zone + "records.yaml")
        with open(exported, "w") as f:
            f.write(run.stdout)
        serial = self.pdns.serial(self.zone)
        rep = self.trueup("plan", "--detailed-exitcode", self.target,
                          exported).report
        self.assertEqual((rep["changed"], rep["skipped"]),
                         (False, N_A + N_OTHER + 1))
        self.assertEqual(self.pdns.serial(self.zone), serial)


if __name__ == "__main__":
    unittest.main(verbosity=2)
