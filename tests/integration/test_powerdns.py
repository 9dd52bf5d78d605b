"""The PowerDNS provider against a real PowerDNS Authoritative 4.7 server
(pdns-server with the SQLite backend), started on free loopback ports with a
fresh database: one server per test class, one zone (or a few) per test.

Skipped when pdns_server is not installed, unless the environment has CI:
then that is a failure (.ci/deps installs it).

PowerDNS's SQLite backend answers HTTP 500 "database is locked" to
concurrent writes, even to different zones: the provider sends one PATCH at
a time (target.write_concurrency, docs/powerdns.md), which
test_batches_at_default_concurrency checks.
"""

import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import results_by_key, run_trueup, trueup_available  # noqa: E402
from pdns_server import PowerDNS, pdns_unavailable  # noqa: E402


def setUpModule():
    reason = pdns_unavailable()
    if not reason and not trueup_available():
        reason = "the trueup binary is not built (set TRUEUP)"
    if reason:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the PowerDNS tests: " + reason)
        raise unittest.SkipTest(reason)


def flow(value):
    return json.dumps(value, ensure_ascii=False)


def soa_parts(content):
    """SOA content without its serial (PowerDNS rewrites the serial)."""
    parts = content.split()
    return parts[:2] + parts[3:]


class PdnsCase(unittest.TestCase):
    """One PowerDNS for the class; each test uses zones of its own."""

    @classmethod
    def setUpClass(cls):
        cls.pdns = PowerDNS()
        cls.addClassCleanup(cls.pdns.cleanup)
        cls.pdns.start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="trueup-pdns-")
        cls.addClassCleanup(cls.tmp.cleanup)

    def zone(self, suffix=""):
        """A zone name unique to this test: <method>[-suffix].test."""
        name = self._testMethodName[5:].replace("_", "-")[:50]
        return "%s%s.test." % (name, "-" + suffix if suffix else "")

    def desired(self, zones, records=None, batch_size=None, defaults=None,
                settings=None, extra_target=None, name="desired.yaml"):
        lines = ["target:", "  provider: powerdns",
                 "  base_url: %s" % flow(self.pdns.base_url),
                 "  zones: %s" % flow(list(zones)),
                 "  auth: {type: header, name: X-API-Key, "
                 "value_env: PDNS_API_KEY}"]
        if batch_size is not None:
            lines.append("  batch_size: %d" % batch_size)
        for k, v in (extra_target or {}).items():
            lines.append("  %s: %s" % (k, flow(v)))
        if settings:
            lines.append("settings: %s" % flow(settings))
        if defaults:
            lines.append("defaults: %s" % flow(defaults))
        if records == []:
            lines.append("records: []")
        elif records is not None:
            lines.append("records:")
            lines += ["  - %s" % flow(r) for r in records]
        path = os.path.join(self.tmp.name, "%s-%s" % (self._testMethodName,
                                                      name))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def trueup(self, *args, key=None):
        env = {"PDNS_API_KEY": key or self.pdns.api_key}
        run = run_trueup(list(args), env=env)
        for stream in (run.stdout, run.stderr):
            self.assertNotIn(self.pdns.api_key, stream, "the API key leaked")
        return run

    def apply(self, path, *opts, expect=0):
        run = self.trueup("apply", *opts, path)
        self.assertEqual(run.code, expect, run.describe())
        return run.report

    def plan(self, path, *opts):
        run = self.trueup("plan", *opts, path)
        self.assertEqual(run.code, 0, run.describe())
        return run.report

    def assert_no_drift(self, path, *opts):
        run = self.trueup("plan", "--detailed-exitcode", *opts, path)
        self.assertEqual(run.code, 0, "drift:\n" + run.describe())

    def live(self, zone):
        """{(name, type): (ttl, contents)} without the SOA."""
        return self.pdns.rrsets(zone, include_soa=False)


class CreateUpdateDelete(PdnsCase):

    def test_create_update_delete_read_back(self):
        z = self.zone()
        self.pdns.create_zone(z, [
            {"name": "www." + z, "type": "A", "ttl": 300,
             "records": ["192.0.2.1"]},
            {"name": "mail." + z, "type": "A", "ttl": 300,
             "records": ["192.0.2.5"]},
            {"name": "old." + z, "type": "A", "ttl": 300,
             "records": ["192.0.2.9"]},
            {"name": "keep." + z, "type": "TXT", "ttl": 300,
             "records": ['"untouched"']},
        ])
        serial = self.pdns.serial(z)
        path = self.desired([z], [
            {"name": "www", "type": "A", "ttl": 300,
             "records": ["192.0.2.1", "192.0.2.2"]},             # contents
            {"name": "mail", "type": "A", "ttl": 60},            # ttl only
            {"name": "new", "type": "AAAA", "ttl": 600,
             "content": "2001:db8::10"},                          # create
            {"name": "old", "type": "A", "state": "absent"},      # delete
            {"name": "never", "type": "A", "state": "absent"},    # skip
        ])
        rep = self.apply(path)
        self.assertEqual((rep["created"], rep["updated"], rep["deleted"],
                          rep["skipped"], rep["failed"]), (1, 2, 1, 1, 0), rep)
        self.assertEqual(rep["write_requests"], 1, rep)
        self.assertEqual(self.pdns.serial(z), serial + 1)
        self.assertEqual(self.live(z), {
            ("www." + z, "A"): (300, ["192.0.2.1", "192.0.2.2"]),
            ("mail." + z, "A"): (60, ["192.0.2.5"]),
            ("new." + z, "AAAA"): (600, ["2001:db8::10"]),
            ("keep." + z, "TXT"): (300, ['"untouched"']),
            (z, "NS"): (3600, ["ns1." + z]),
        })
        res = results_by_key(rep)
        self.assertEqual(res["www.%s|A" % z]["changes"]["records"]["after"],
                         ["192.0.2.1", "192.0.2.2"])

    def test_second_run_writes_nothing(self):
        z = self.zone()
        self.pdns.create_zone(z)
        path = self.desired([z], [
            {"name": "a", "type": "A", "ttl": 300,
             "records": ["192.0.2.3", "192.0.2.1"]},
            {"name": "six", "type": "AAAA", "ttl": 300,
             "records": ["2001:DB8:0:0:0:0:0:0001", "2001:db8::0:2",
                         "::ffff:0102:0304"]},
            {"name": "alias", "type": "CNAME", "ttl": 300,
             "content": "Target.Example.NET."},
            {"name": "@", "type": "MX", "ttl": 300,
             "records": ["10 mx1.example.net.", "20 mx2.example.net."]},
            {"name": "@", "type": "TXT", "ttl": 300,
             "records": ['"v=spf1 -all"', '"two" "strings"',
                         '"caf\u00e9"', '"quote \\" inside"']},
            {"name": "_sip._tcp", "type": "SRV", "ttl": 300,
             "content": "10 5 5060 sip.example.net."},
            {"name": "@", "type": "CAA", "ttl": 300,
             "content": '0 issue "letsencrypt.org"'},
            {"name": "Sub", "type": "NS", "ttl": 300,
             "records": ["ns1.example.net.", "ns2.example.net."]},
            {"name": "*.wild", "type": "A", "ttl": 300,
             "content": "192.0.2.7"},
        ])
        rep = self.apply(path)
        self.assertEqual((rep["created"], rep["failed"]), (9, 0), rep)
        serial = self.pdns.serial(z)
        rep = self.apply(path)
        self.assertEqual((rep["succeeded"], rep["skipped"],
                          rep["write_requests"]), (0, 9, 0), rep)
        self.assertEqual(self.pdns.serial(z), serial, "a PATCH was sent")
        self.assert_no_drift(path)
        live = self.live(z)
        self.assertEqual(live[("six." + z, "AAAA")][1],
                         ["2001:db8::1", "2001:db8::2", "::ffff:1.2.3.4"])
        self.assertEqual(live[("alias." + z, "CNAME")][1],
                         ["Target.Example.NET."])
        self.assertIn(("sub." + z, "NS"), live)

    def test_ttl_is_required_to_create(self):
        z = self.zone()
        self.pdns.create_zone(z)
        path = self.desired([z], [
            {"name": "nottl", "type": "A", "content": "192.0.2.1"},
            {"name": "fine", "type": "A", "ttl": 60, "content": "192.0.2.2"},
        ])
        rep = self.apply(path, expect=3)
        res = results_by_key(rep)
        self.assertIn("ttl is required to create an rrset",
                      res["nottl.%s|A" % z]["error"])
        self.assertEqual(res["fine.%s|A" % z]["status"], "ok")
        self.assertEqual(set(self.live(z)), {("fine." + z, "A"), (z, "NS")})

    def test_a_replaced_by_a_cname_in_one_run(self):
        z = self.zone()
        self.pdns.create_zone(z, [{"name": "x." + z, "type": "A", "ttl": 60,
                                   "records": ["192.0.2.1"]}])
        path = self.desired([z], [
            {"name": "x", "type": "CNAME", "ttl": 60, "content": "y." + z},
            {"name": "x", "type": "A", "state": "absent"},
        ])
        rep = self.apply(path)
        self.assertEqual((rep["created"], rep["deleted"]), (1, 1), rep)
        self.assertEqual(self.live(z)[("x." + z, "CNAME")], (60, ["y." + z]))

    def test_disabled_records_are_not_contents(self):
        z = self.zone()
        self.pdns.create_zone(z)
        self.pdns.patch(z, [{"name": "d." + z, "type": "A", "ttl": 60,
                             "records": [
                                 {"content": "192.0.2.1", "disabled": False},
                                 {"content": "192.0.2.2", "disabled": True}]},
                            {"name": "off." + z, "type": "A", "ttl": 60,
                             "records": [{"content": "192.0.2.3",
                                          "disabled": True}]}])
        path = self.desired([z], [{"name": "d", "type": "A", "ttl": 60,
                                   "content": "192.0.2.1"}])
        self.assert_no_drift(path)
        # a wholly disabled rrset is not a live record: prune leaves it
        self.assert_no_drift(path, "--prune")
        # and declaring it replaces it with enabled records
        path = self.desired([z], [{"name": "off", "type": "A", "ttl": 60,
                                   "content": "192.0.2.3"}])
        rep = self.apply(path)
        self.assertEqual(rep["created"], 1, rep)
        zone = self.pdns.get_zone(z)
        off = [r for r in zone["rrsets"] if r["name"] == "off." + z][0]
        self.assertEqual(off["records"], [{"content": "192.0.2.3",
                                           "disabled": False}])


class Equivalence(PdnsCase):
    """What is the same record, and what is not drift."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.z = "equivalence.test."
        cls.z2 = "other-zone.test."
        cls.pdns.create_zone(cls.z, [
            {"name": "www." + cls.z, "type": "A", "ttl": 300,
             "records": ["192.0.2.3", "192.0.2.1", "192.0.2.2"]},
            {"name": cls.z, "type": "MX", "ttl": 300,
             "records": ["20 b.example.net.", "10 a.example.net."]},
        ])
        cls.pdns.create_zone(cls.z2, [
            {"name": "www." + cls.z2, "type": "A", "ttl": 300,
             "records": ["192.0.2.9"]}])

    def test_content_order_is_not_drift(self):
        for contents in (["192.0.2.1", "192.0.2.2", "192.0.2.3"],
                         ["192.0.2.2", "192.0.2.3", "192.0.2.1",
                          "192.0.2.2"]):
            path = self.desired([self.z], [
                {"name": "www", "type": "A", "ttl": 300, "records": contents},
                {"name": "@", "type": "MX",
                 "records": ["10 a.example.net.", "20 b.example.net."]}])
            self.assert_no_drift(path)

    def test_relative_and_absolute_names_are_the_same_record(self):
        for www, apex in (("www", "@"), ("www.equivalence.test.", ""),
                          ("WWW.Equivalence.TEST.", "EQUIVALENCE.test.")):
            path = self.desired(["Equivalence.TEST"], [
                {"name": www, "type": "a", "ttl": 300,
                 "records": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]},
                {"name": apex, "type": "mx",
                 "records": ["10 a.example.net.", "20 b.example.net."]}])
            rep = self.plan(path)
            self.assertEqual((rep["skipped"], rep["created"], rep["updated"]),
                             (2, 0, 0), rep)

    def test_zone_field_makes_names_relative_with_several_zones(self):
        path = self.desired([self.z, self.z2], [
            {"name": "www", "zone": self.z, "type": "A", "ttl": 300,
             "records": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]},
            {"name": "www", "zone": "Other-Zone.test", "type": "A",
             "ttl": 300, "content": "192.0.2.9"}])
        self.assert_no_drift(path)

    def test_a_changed_content_is_drift(self):
        path = self.desired([self.z], [
            {"name": "www", "type": "A", "records": ["192.0.2.1"]}])
        run = self.trueup("plan", "--detailed-exitcode", path)
        self.assertEqual(run.code, 2, run.describe())


class PruneAndProtection(PdnsCase):

    def test_prune_spares_soa_and_apex_ns(self):
        z = self.zone()
        self.pdns.create_zone(z, [
            {"name": "keep." + z, "type": "A", "ttl": 60,
             "records": ["192.0.2.1"]},
            {"name": "gone." + z, "type": "A", "ttl": 60,
             "records": ["192.0.2.2"]},
            {"name": "gone." + z, "type": "TXT", "ttl": 60,
             "records": ['"x"']},
            {"name": "child." + z, "type": "NS", "ttl": 60,
             "records": ["ns.elsewhere.net."]},
        ], nameservers=["ns1.example.net.", "ns2.example.net."])
        path = self.desired([z], [{"name": "keep", "type": "A",
                                   "content": "192.0.2.1"}])
        rep = self.apply(path, "--prune")
        self.assertEqual((rep["deleted"], rep["skipped"], rep["failed"]),
                         (3, 1, 0), rep)
        live = self.pdns.rrsets(z)
        self.assertEqual(set(live), {("keep." + z, "A"), (z, "NS"),
                                     (z, "SOA")})
        self.assertEqual(live[(z, "NS")][1],
                         ["ns1.example.net.", "ns2.example.net."])
        # and nothing more to prune
        self.assert_no_drift(path, "--prune")

    def test_soa_and_apex_ns_change_only_with_change_protected(self):
        z = self.zone()
        self.pdns.create_zone(z, nameservers=["ns1.example.net."])
        content = self.pdns.rrsets(z)[(z, "SOA")][1][0]
        parts = content.split()
        parts[0], parts[1] = "ns1.example.net.", "dns.example.net."
        path = self.desired([z], [
            {"name": "@", "type": "SOA", "content": " ".join(parts)},
            {"name": "@", "type": "NS",
             "records": ["ns1.example.net.", "ns2.example.net."]},
            {"name": "www", "type": "A", "ttl": 60, "content": "192.0.2.1"},
        ])
        serial = self.pdns.serial(z)
        run = self.trueup("apply", path)
        self.assertEqual(run.code, 3, run.describe())
        res = results_by_key(run.report)
        for key in ("%s|SOA" % z, "%s|NS" % z):
            self.assertEqual(res[key]["status"], "failed")
            self.assertEqual(res[key]["refused"], "protected")
            self.assertIn("options.change_protected", res[key]["error"])
        self.assertIn("trueup: hint: 2 declared changes to protected records "
                      "were refused; --change-protected makes them",
                      run.stderr)
        self.assertEqual(res["www.%s|A" % z]["status"], "ok")
        self.assertEqual(self.pdns.serial(z), serial + 1)
        self.assertEqual(self.live(z)[(z, "NS")][1], ["ns1.example.net."])

        # --force goes past the thresholds only
        self.assertEqual(self.trueup("apply", "--force", path).code, 3)
        rep = self.apply(path, "--change-protected")
        self.assertEqual((rep["updated"], rep["failed"]), (2, 0), rep)
        live = self.pdns.rrsets(z)
        self.assertEqual(soa_parts(live[(z, "SOA")][1][0]), soa_parts(
            " ".join(parts)))
        self.assertEqual(live[(z, "NS")][1],
                         ["ns1.example.net.", "ns2.example.net."])
        # the SOA converges: compared without the serial PowerDNS rewrote
        # (SOA-EDIT-API), so a plan after the apply is empty
        self.assert_no_drift(path)

    def test_pruning_a_protected_record_is_refused_quietly(self):
        # --prune with no records at all: everything but SOA and apex NS
        z = self.zone()
        self.pdns.create_zone(z, [{"name": "a." + z, "type": "A", "ttl": 60,
                                   "records": ["192.0.2.1"]}])
        path = self.desired([z], [])
        rep = self.apply(path, "--prune")
        self.assertEqual((rep["deleted"], rep["failed"]), (1, 0), rep)
        self.assertEqual(set(self.pdns.rrsets(z)), {(z, "NS"), (z, "SOA")})


class ZonesAndBatches(PdnsCase):

    def test_several_zones_and_batches(self):
        za, zb, zc = self.zone("a"), self.zone("b"), self.zone("c")
        for z in (za, zb, zc):
            self.pdns.create_zone(z)
        before = {z: self.pdns.serial(z) for z in (za, zb, zc)}
        records = [{"name": "h%d.%s" % (i, za), "type": "A", "ttl": 60,
                    "content": "192.0.2.%d" % i} for i in range(5)]
        records.append({"name": "only." + zb, "type": "A", "ttl": 60,
                        "content": "192.0.2.99"})
        path = self.desired([za, zb, zc], records, batch_size=2)
        rep = self.apply(path)
        self.assertEqual((rep["created"], rep["failed"]), (6, 0), rep)
        self.assertEqual(rep["write_requests"], 4, rep)  # 3 + 1 batches
        self.assertEqual(self.pdns.serial(za), before[za] + 3)
        self.assertEqual(self.pdns.serial(zb), before[zb] + 1)
        self.assertEqual(self.pdns.serial(zc), before[zc])
        self.assertEqual(len(self.live(za)), 6)
        rep = self.apply(path)
        self.assertEqual(rep["write_requests"], 0, rep)

    def test_a_refused_batch_fails_its_bad_records_only(self):
        """PowerDNS refuses the batch [bad, ok3] whole (422); trueup splits
        it, so ok3 is applied and only bad fails, with PowerDNS's message
        (test_powerdns_ownership tests one bad rrset among 500)."""
        z = self.zone()
        self.pdns.create_zone(z)
        path = self.desired([z], [
            {"name": "ok1", "type": "A", "ttl": 60, "content": "192.0.2.1"},
            {"name": "ok2", "type": "A", "ttl": 60, "content": "192.0.2.2"},
            {"name": "bad", "type": "A", "ttl": 60, "content": "not-an-ip"},
            {"name": "ok3", "type": "A", "ttl": 60, "content": "192.0.2.3"},
        ], batch_size=2)
        serial = self.pdns.serial(z)
        run = self.trueup("apply", path)
        self.assertEqual(run.code, 3, run.describe())
        rep = run.report
        # batches: [ok1, ok2], [bad, ok3] refused, then [bad] and [ok3]
        self.assertEqual((rep["succeeded"], rep["failed"],
                          rep["write_requests"]), (3, 1, 4), rep)
        r = results_by_key(rep)["bad.%s|A" % z]
        self.assertEqual((r["status"], r["http_status"]), ("failed", 422))
        self.assertIn("PATCH", r["error"])
        self.assertIn("not-an-ip", r["error"])      # PowerDNS's message
        self.assertIn("Parsing record content", r["error"])
        self.assertEqual(set(self.live(z)), {
            ("ok1." + z, "A"), ("ok2." + z, "A"), ("ok3." + z, "A"),
            (z, "NS")})
        self.assertEqual(self.pdns.serial(z), serial + 2)

    def test_a_zone_that_does_not_exist_stops_the_run(self):
        z = self.zone()
        self.pdns.create_zone(z)
        serial = self.pdns.serial(z)
        missing = self.zone("missing")
        path = self.desired([z, missing], [
            {"name": "www." + z, "type": "A", "ttl": 60,
             "content": "192.0.2.1"}])
        run = self.trueup("apply", path)
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("zone %s was not found" % missing, run.stderr)
        self.assertIn("create it first", run.stderr)
        self.assertIn("404", run.stderr)
        self.assertEqual(run.stdout, "")
        self.assertEqual(self.pdns.serial(z), serial)
        self.assertEqual(set(self.live(z)), {(z, "NS")})

    def test_a_base_url_without_api_v1(self):
        z = self.zone()
        self.pdns.create_zone(z)
        path = self.desired([z], [], extra_target={})
        with open(path) as f:
            text = f.read().replace("/api/v1", "")
        with open(path, "w") as f:
            f.write(text)
        run = self.trueup("plan", path)
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("ends in /api/v1", run.stderr)

    def test_a_wrong_api_key_is_refused_and_never_shown(self):
        z = self.zone()
        self.pdns.create_zone(z)
        wrong = "wrong-key-0123456789"
        path = self.desired([z], [{"name": "www", "type": "A", "ttl": 60,
                                   "content": "192.0.2.1"}])
        run = self.trueup("apply", path, key=wrong)
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("401", run.stderr)
        self.assertNotIn(wrong, run.stderr + run.stdout)

    def test_big_ttl_change_is_a_few_patches(self):
        """2,000 rrsets change their TTL: 4 PATCHes of 500 (measured)."""
        z = self.zone()
        n = 2000
        self.pdns.create_zone(z, [
            {"name": "h%d.%s" % (i, z), "type": "A", "ttl": 300,
             "records": ["10.0.%d.%d" % (i // 250, i % 250)]}
            for i in range(n)])
        serial = self.pdns.serial(z)
        path = self.desired([z], [
            {"name": "h%d" % i, "type": "A", "ttl": 600,
             "records": ["10.0.%d.%d" % (i // 250, i % 250)]}
            for i in range(n)], batch_size=500)
        start = time.monotonic()
        rep = self.apply(path)
        wall = time.monotonic() - start
        self.assertEqual((rep["updated"], rep["failed"],
                          rep["write_requests"]), (n, 0, 4), rep)
        self.assertEqual(self.pdns.serial(z), serial + 4)
        self.assertTrue(all(ttl == 600 for (name, t), (ttl, _)
                            in self.live(z).items() if t == "A"))
        sys.stderr.write("\n  %d-rrset TTL change: %.2f s wall, %d PATCHes, "
                         "trueup says %d ms\n" % (n, wall,
                                                  rep["write_requests"],
                                                  rep["elapsed_ms"]))
        self.assert_no_drift(path)

    def test_a_zone_goes_in_one_patch_up_to_the_body_cap(self):
        """By default a zone's changes go in as few PATCHes as the body
        cap allows: 3,000 TTL changes in one PATCH (about 400 KB); with
        batch_bytes 100000 in bodies of at most 100,000 bytes each."""
        z = self.zone()
        n = 3000
        live = [{"name": "h%d.%s" % (i, z), "type": "A", "ttl": 300,
                 "records": ["10.1.%d.%d" % (i // 250, i % 250)]}
                for i in range(n)]
        self.pdns.create_zone(z, live)
        records = [{"name": "h%d" % i, "type": "A", "ttl": 600,
                    "records": ["10.1.%d.%d" % (i // 250, i % 250)]}
                   for i in range(n)]
        serial = self.pdns.serial(z)
        rep = self.apply(self.desired([z], records))
        self.assertEqual((rep["updated"], rep["failed"],
                          rep["write_requests"]), (n, 0, 1), rep)
        self.assertEqual(self.pdns.serial(z), serial + 1)
        # the same bodies, cut at 100,000 bytes: each rrset is about 130
        # bytes, so 3,000 take 4 or 5 bodies (never one over the cap, which
        # PowerDNS would refuse as it refuses one over its own limit)
        records = [dict(r, ttl=900) for r in records]
        capped = self.desired([z], records, name="capped.yaml",
                              extra_target={"batch_bytes": 100000})
        rep = self.apply(capped)
        self.assertEqual((rep["updated"], rep["failed"]), (n, 0), rep)
        self.assertIn(rep["write_requests"], (4, 5), rep)
        self.assertEqual(self.pdns.serial(z), serial + 1 +
                         rep["write_requests"])
        self.assertTrue(all(ttl == 900 for (name, t), (ttl, _)
                            in self.live(z).items() if t == "A"))
        self.assert_no_drift(capped)

    def test_batches_at_default_concurrency(self):
        """Several zones at the default concurrency: the provider's
        write_concurrency (1) keeps SQLite's PATCHes from overlapping."""
        zones = [self.zone("w%d" % k) for k in range(4)]
        for z in zones:
            self.pdns.create_zone(z)
        path = self.desired(zones, [
            {"name": "h%d.%s" % (i, z), "type": "A", "ttl": 60,
             "content": "192.0.2.%d" % (i % 250)}
            for z in zones for i in range(500)], batch_size=200)
        rep = self.apply(path)
        self.assertEqual((rep["created"], rep["failed"],
                          rep["write_requests"]), (2000, 0, 12), rep)
        self.assertEqual(self.apply(path)["write_requests"], 0)


class Configuration(PdnsCase):
    """Errors in the desired state: exit 1, located, nothing sent."""

    def check_error(self, path, *patterns):
        run = self.trueup("plan", path)
        self.assertEqual(run.code, 1, run.describe())
        for p in patterns:
            self.assertRegex(run.stderr, p)
        return run

    def test_unknown_target_key_suggests(self):
        path = self.desired(["example.test."], [],
                            extra_target={"batchsize": 10})
        self.check_error(path, r"desired\.yaml:\d+:\d+: ",
                         r"batchsize.*batch_size")

    def test_bad_zone_lists(self):
        for zones, pattern in (
                ([], r"at least one zone"),
                (["a.test.", "A.test"], r"'a\.test\.' is listed twice"),
                (["a.test.", "b.a.test."], r"'b\.a\.test\.' lies inside")):
            self.check_error(self.desired(zones, []), pattern)

    def test_batch_size_range(self):
        self.check_error(self.desired(["a.test."], [], batch_size=0),
                         r"batch_size")
        self.check_error(self.desired(["a.test."], [],
                                      extra_target={"batch_bytes": 100}),
                         r"desired\.yaml:\d+:\d+: .*batch_bytes")

    def test_relative_name_with_several_zones(self):
        path = self.desired(["a.test.", "b.test."], [
            {"name": "www", "type": "A", "ttl": 60, "content": "192.0.2.1"}])
        self.check_error(path, r"desired\.yaml:\d+:\d+: .*'www' is relative",
                         r"zone:")

    def test_name_outside_the_zones(self):
        path = self.desired(["a.test."], [
            {"name": "www.b.test.", "type": "A", "ttl": 60,
             "content": "192.0.2.1"}])
        self.check_error(path, r"'www\.b\.test\.' is not inside")

    def test_absolute_name_without_its_dot(self):
        path = self.desired(["a.test."], [
            {"name": "www.a.test", "type": "A", "ttl": 60,
             "content": "192.0.2.1"}])
        self.check_error(path, r"no trailing dot", r"www\.a\.test\.a\.test\.")

    def test_unknown_record_field_and_bad_values(self):
        for rec, pattern in (
                ({"name": "w", "type": "A", "contents": ["x"]},
                 r"unknown field 'contents'.*did you mean 'content'"),
                ({"name": "w", "type": "A", "content": "x",
                  "records": ["y"]}, r"not both"),
                ({"name": "w", "type": "A", "records": []},
                 r"state: absent"),
                ({"name": "w", "type": "A", "ttl": "60"}, r"'ttl'"),
                ({"name": "w", "type": "A", "ttl": -1}, r"'ttl'"),
                ({"name": "w", "type": "A B"}, r"not a DNS record type"),
                ({"name": "w", "type": "A", "zone": "c.test."},
                 r"zone 'c\.test\.' is not one of"),
                ({"type": "A"}, r"'name' is missing")):
            self.check_error(self.desired(["a.test."], [rec]),
                             r"desired\.yaml:\d+:\d+: ", pattern)


if __name__ == "__main__":
    unittest.main(verbosity=2)
