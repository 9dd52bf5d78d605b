"""Protected records, prune scope, ownership marks and the PowerDNS details
of issue 10 against a real PowerDNS Authoritative 4.7 server (SQLite
backend), one server for the whole file, one zone (or a few) per test.

- `--prune` with every combination of --force and --change-protected never
  deletes the SOA nor the apex NS, nor a record a `protect` rule selects;
  the report lists them as left alone, with the rule.
- A declared SOA or apex NS changes only with --change-protected.
- `prune_scope` limits what prune may delete; the report counts the rest.
- Ownership marks are rrset comments: created with the mark, adopted after
  an export, never pruned nor changed when another owner's, taken over
  with `takeover: true`; other comments are kept.

Skipped when pdns_server is not installed, unless the environment has CI.
"""

import itertools
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import run_trueup  # noqa: E402
from nginx_server import NginxServer, nginx_available  # noqa: E402
from test_powerdns import PdnsCase, flow, setUpModule  # noqa: E402,F401


MARK = "heritage=trueup,trueup/owner="


def a(name, ip, ttl=300):
    return {"name": name, "type": "A", "ttl": ttl, "records": [ip]}


class Case(PdnsCase):
    """PdnsCase's server and directory; files with protect and prune_scope
    rules, and zones made afresh for each case."""
    maxDiff = None

    def zone(self, suffix=""):
        name = self._testMethodName[5:].replace("_", "-")[:40]
        return "%s%s.test." % (name, "-" + suffix if suffix else "")

    def fresh_zone(self, z, rrsets):
        """(Re)create zone `z` with `rrsets` (plus SOA and apex NS)."""
        if self.pdns.api("GET", self.pdns.zone_path(z))[0] == 200:
            self.pdns.delete_zone(z)
        self.pdns.create_zone(z, rrsets)

    def desired(self, zones, records, settings=None, extra=None,
                name="desired.yaml"):
        """A desired-state file; `extra`: more top-level YAML lines."""
        lines = ["target:", "  provider: powerdns",
                 "  base_url: %s" % flow(self.pdns.base_url),
                 "  zones: %s" % flow(list(zones)),
                 "  auth: {type: header, name: X-API-Key, "
                 "value_env: PDNS_API_KEY}"]
        if settings:
            lines.append("settings: %s" % flow(settings))
        lines.append("records:" + ("" if records else " []"))
        lines += ["  - %s" % flow(r) for r in records]
        lines += extra or []
        path = os.path.join(self.tmp.name, "%s-%s" % (self._testMethodName,
                                                      name))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def trueup(self, *args, expect=0):
        run = run_trueup(list(args), env={"PDNS_API_KEY": self.pdns.api_key})
        self.assertEqual(run.code, expect, run.describe())
        self.assertNotIn(self.pdns.api_key, run.stdout + run.stderr)
        return run

    def names(self, z):
        return set(self.pdns.rrsets(z))

    def comments(self, z, name, rtype):
        for r in self.pdns.get_zone(z)["rrsets"]:
            if r["name"] == name and r["type"] == rtype:
                return [(c["account"], c["content"]) for c in r["comments"]]
        return None


class Issue10(Case):
    """One PowerDNS server for the file (PdnsCase starts one per class)."""

    # ---- protected records

    def test_prune_every_flag_combination_keeps_soa_and_apex_ns(self):
        """--prune with --force and --change-protected in every combination
        (and settings.prune instead of --prune): the SOA, the apex NS and
        the record a protect rule names stay; the unnamed record goes."""
        z = self.zone()
        flags = ["--force", "--change-protected"]
        combos = [list(c) for n in range(3)
                  for c in itertools.combinations(flags, n)]
        for prune_by_file in (False, True):
            for combo in combos:
                with self.subTest(prune_by_file=prune_by_file, flags=combo):
                    self.fresh_zone(z, [a("www." + z, "192.0.2.1"),
                                        a("old." + z, "192.0.2.9"),
                                        a("keep." + z, "192.0.2.7")])
                    path = self.desired(
                        [z], [a("www", "192.0.2.1")],
                        settings={"prune": True} if prune_by_file else None,
                        extra=["protect:",
                               "  - match: {name: %s}" % flow("keep." + z)])
                    opts = combo + ([] if prune_by_file else ["--prune"])
                    rep = self.trueup("apply", *opts, path).report
                    self.assertEqual(self.names(z), {
                        (z, "SOA"), (z, "NS"), ("www." + z, "A"),
                        ("keep." + z, "A")})
                    self.assertEqual(rep["deleted"], 1)
                    left = {r["key"]: r["reason"] for r in rep["left_alone"]}
                    self.assertEqual(left, {
                        z + "|SOA": "protected by the provider",
                        z + "|NS": "protected by the provider",
                        "keep.%s|A" % z: "protected by protect[0] (%s:%d)"
                                         % (path, 10 if prune_by_file else 9)})

    def test_declared_soa_and_ns_change_only_with_change_protected(self):
        z = self.zone()
        self.fresh_zone(z, [])
        ns = {"name": "@", "type": "NS", "ttl": 3600,
              "records": ["ns1." + z, "ns2." + z]}
        path = self.desired([z], [ns])
        run = self.trueup("apply", "--force", "--prune", path, expect=3)
        r = run.report["results"][0]
        self.assertEqual(r["refused"], "protected")
        self.assertIn("options.change_protected", r["error"])
        self.assertIn("--change-protected makes it", run.stderr)
        self.assertEqual(self.pdns.rrsets(z)[(z, "NS")][1], ["ns1." + z])
        self.trueup("apply", "--change-protected", path)
        self.assertEqual(self.pdns.rrsets(z)[(z, "NS")][1],
                         ["ns1." + z, "ns2." + z])
        # declared absent: never deleted, whatever the flags
        gone = self.desired([z], [{"name": "@", "type": "NS",
                                   "state": "absent"}], name="absent.yaml")
        run = self.trueup("apply", "--change-protected", "--force", gone,
                          expect=3)
        self.assertIn("never deleted", run.report["results"][0]["error"])
        self.assertIn((z, "NS"), self.names(z))

    def test_bulk_rules_leave_protected_records_alone(self):
        z = self.zone()
        self.fresh_zone(z, [a("www." + z, "192.0.2.1"),
                            a("keep." + z, "192.0.2.7")])
        path = self.desired([z], [], extra=[
            "protect:", "  - match: {name: %s}" % flow("keep." + z),
            "bulk:", "  - match: {name: %s}" % flow("*" + z),
            "    set: {ttl: 60}"])
        rep = self.trueup("apply", "--change-protected", path).report
        live = self.pdns.rrsets(z)
        self.assertEqual(live[("www." + z, "A")][0], 60)
        self.assertEqual(live[("keep." + z, "A")][0], 300)
        self.assertEqual(live[(z, "NS")][0], 3600)
        self.assertEqual(sorted(r["key"] for r in rep["left_alone"]),
                         sorted([z + "|NS", z + "|SOA", "keep.%s|A" % z]))

    def test_soa_converges(self):
        """A declared SOA is compared without its serial: PowerDNS's
        SOA-EDIT-API rewrites the serial on every change, yet a plan after
        the apply is empty, and the serial still grows."""
        z = self.zone()
        self.fresh_zone(z, [])
        live = self.pdns.rrsets(z)[(z, "SOA")][1][0].split()
        serial = int(live[2])
        soa = {"name": "@", "type": "SOA", "ttl": 3600, "content":
               "ns1.%s hostmaster.%s 1 7200 900 1209600 300" % (z, z)}
        path = self.desired([z], [soa])
        rep = self.trueup("apply", "--change-protected", path).report
        self.assertEqual(rep["updated"], 1)
        now = self.pdns.rrsets(z)[(z, "SOA")][1][0].split()
        self.assertEqual(now[:2] + now[3:], ["ns1." + z, "hostmaster." + z,
                                             "7200", "900", "1209600", "300"])
        self.assertGreater(int(now[2]), serial)
        run = self.trueup("plan", "--detailed-exitcode", path)
        self.assertEqual(run.report["results"], [])

    def test_idn_names(self):
        """Internationalised names, as people write them, in a zone name, in
        rrset names and in the contents of CNAME, MX, SRV and NS: PowerDNS
        gets A-labels, and a second plan is empty."""
        z = "xn--bcher-kva.test."                      # bücher.test.
        self.fresh_zone(z, [])
        path = self.desired(["bücher.test."], [
            {"name": "ümlaut", "type": "CNAME", "ttl": 60,
             "content": "www.bücher.test."},
            {"name": "@", "type": "MX", "ttl": 60,
             "content": "10 maïl.bücher.test."},
            {"name": "_sip._tcp", "type": "SRV", "ttl": 60,
             "content": "0 5 5060 sïp.bücher.test."},
            {"name": "sub", "type": "NS", "ttl": 60,
             "content": "ns.ümlaut.test."},
        ])
        rep = self.trueup("apply", path).report
        self.assertEqual(rep["created"], 4, rep)
        live = self.pdns.rrsets(z)
        self.assertEqual(live[("xn--mlaut-jva." + z, "CNAME")][1],
                         ["www." + z])
        self.assertEqual(live[(z, "MX")][1], ["10 xn--mal-0ma." + z])
        self.assertEqual(live[("_sip._tcp." + z, "SRV")][1],
                         ["0 5 5060 xn--sp-tja." + z])
        self.assertEqual(live[("sub." + z, "NS")][1],
                         ["ns.xn--mlaut-jva.test."])
        run = self.trueup("plan", "--detailed-exitcode", path)
        self.assertEqual(run.report["results"], [])

    def test_refused_batch_is_split(self):
        """One bad rrset among 500 in one PATCH: PowerDNS refuses the whole
        PATCH (422) naming it; trueup splits the batch until the bad rrset
        stands alone, so the 499 others apply and only it fails, with
        PowerDNS's message."""
        z = self.zone()
        self.fresh_zone(z, [])
        records = [a("h%03d" % i, "192.0.2.%d" % (i % 250 + 1))
                   for i in range(500)]
        records[321] = a("h321", "not-an-ip")
        path = self.desired([z], records)
        serial = self.pdns.serial(z)
        run = self.trueup("apply", path, expect=3)
        rep = run.report
        self.assertEqual((rep["created"], rep["failed"]), (499, 1))
        bad = [r for r in rep["results"] if r["status"] == "failed"]
        self.assertEqual(bad[0]["key"], "h321.%s|A" % z)
        self.assertEqual(bad[0]["http_status"], 422)
        self.assertIn("Record h321.%s/A 'not-an-ip'" % z, bad[0]["error"])
        live = self.pdns.rrsets(z)
        self.assertEqual(len(live), 2 + 499)
        self.assertNotIn(("h321." + z, "A"), live)
        # a refused PATCH changes nothing, so the serial counts the PATCHes
        # that applied: at most one per level of the bisection (9 for 500)
        applied = self.pdns.serial(z) - serial
        self.assertGreaterEqual(applied, 1)
        self.assertLessEqual(applied, 10)
        self.assertLessEqual(rep["write_requests"], 2 * 10)

    def test_one_patch_per_zone_zones_in_parallel(self):
        """write_concurrency 4, four zones of three batches each: several
        zones' PATCHes are in flight at once, never two of one zone. An
        nginx in front of PowerDNS passes the GETs through and answers each
        PATCH itself after 0.3 s (SQLite takes no concurrent writes), logging
        when each began and ended."""
        reason = nginx_available()
        if reason:
            if os.environ.get("CI"):
                raise RuntimeError("CI must run this test: " + reason)
            self.skipTest(reason)
        zones = [self.zone(str(i)) for i in range(4)]
        for z in zones:
            self.fresh_zone(z, [])
        http = ("log_format span '$msec $request_time $uri';\n"
                "map $request_method $is_patch { PATCH 1; default 0; }\n")
        locations = """
        location /api/ {
            access_log {DIR}/patches.log span if=$is_patch;
            if ($request_method = PATCH) {
                echo_read_request_body;
                echo_sleep 0.3;
                echo "";
            }
            proxy_pass http://127.0.0.1:%d;
        }
        """ % self.pdns.http_port
        with NginxServer(locations, http=http) as ngx:
            lines = ["target:", "  provider: powerdns",
                     "  base_url: %s" % flow(ngx.url("/api/v1")),
                     "  zones: %s" % flow(zones), "  batch_size: 2",
                     "  write_concurrency: 4",
                     "  auth: {type: header, name: X-API-Key, "
                     "value_env: PDNS_API_KEY}", "records:"]
            lines += ["  - %s" % flow(a("h%d.%s" % (i, z), "192.0.2.1"))
                      for z in zones for i in range(6)]
            path = os.path.join(self.tmp.name, "lanes.yaml")
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            rep = self.trueup("apply", path).report
            self.assertEqual((rep["created"], rep["write_requests"]), (24, 12))
            # nginx logs a request after its answer is sent: the last
            # line may land a moment after trueup has read that answer
            for _ in range(100):
                with open(ngx.path("patches.log")) as f:
                    log = f.read().splitlines()
                if len(log) >= 12:
                    break
                time.sleep(0.02)
            spans = [(float(end) - float(took), float(end), uri)
                     for end, took, uri in (l.split() for l in log)]
        self.assertEqual(len(spans), 12)
        # nginx logs times to the millisecond: a PATCH that starts as the
        # one before it ends may seem to overlap it by a millisecond or so;
        # an overlap of two PATCHes in flight together is about 300 ms
        overlap, slack = 0, 0.05
        for i, (b1, e1, u1) in enumerate(spans):
            for b2, e2, u2 in spans[i + 1:]:
                if b1 < e2 - slack and b2 < e1 - slack:
                    self.assertNotEqual(u1, u2, "two PATCHes of one zone "
                                        "overlapped: %r" % spans)
                    overlap += 1
        self.assertGreater(overlap, 0, "no two zones were written at once")

    # ---- prune scope

    def test_prune_only_inside_the_scope(self):
        z = self.zone()
        self.fresh_zone(z, [a("a.dev." + z, "192.0.2.1"),
                            a("b.dev." + z, "192.0.2.2"),
                            {"name": "b.dev." + z, "type": "TXT", "ttl": 60,
                             "records": ['"x"']},
                            a("prod." + z, "192.0.2.3")])
        path = self.desired([z], [a("a.dev", "192.0.2.1")], extra=[
            "prune_scope:",
            "  - match: {name: %s, type: [A, AAAA]}" % flow("*.dev." + z)])
        rep = self.trueup("plan", "--prune", path).report
        self.assertEqual([r["key"] for r in rep["results"]],
                         ["b.dev.%s|A" % z])
        # SOA, NS, the TXT and prod are outside the scope
        self.assertEqual(rep["out_of_scope"], 4)
        run = self.trueup("plan", "--prune", "--format", "text", path)
        self.assertIn("Prune left out 4 records outside prune_scope", run.stdout)
        self.trueup("apply", "--prune", path)
        self.assertEqual(self.names(z), {
            (z, "SOA"), (z, "NS"), ("a.dev." + z, "A"),
            ("b.dev." + z, "TXT"), ("prod." + z, "A")})

    # ---- ownership marks (rrset comments)

    def test_marks_prune_takeover_and_adoption(self):
        z = self.zone()
        self.fresh_zone(z, [a("old." + z, "192.0.2.9"),
                            a("adopt." + z, "192.0.2.8")])
        # another owner's rrset, with a comment of a person beside the mark
        self.pdns.patch(z, [dict(a("theirs." + z, "192.0.2.5"), comments=[
            {"content": MARK + "team-b", "account": "trueup"},
            {"content": "do not touch", "account": "alice"}])])
        team_a = {"owner": "team-a"}
        path = self.desired([z], [a("www", "192.0.2.1")], settings=team_a)
        rep = self.trueup("apply", "--prune", path).report
        self.assertEqual(rep["created"], 1)
        self.assertEqual(rep["deleted"], 0)   # nothing carries team-a's mark
        self.assertEqual(rep["not_owned"], 5)  # SOA, NS, old, adopt, theirs
        self.assertEqual(self.comments(z, "www." + z, "A"),
                         [("trueup", MARK + "team-a")])
        # a second plan is empty: the mark converged
        self.trueup("plan", "--detailed-exitcode", "--prune", path)

        # dropped from the file, www is pruned: it carries our mark
        path = self.desired([z], [a("other", "192.0.2.2")], settings=team_a,
                            name="v2.yaml")
        rep = self.trueup("apply", "--prune", path).report
        self.assertEqual([(r["key"], r["action"]) for r in rep["results"]],
                         [("other.%s|A" % z, "create"),
                          ("www.%s|A" % z, "delete")])

        # another owner's record: declared, refused; with takeover, changed
        theirs = a("theirs", "192.0.2.6")
        path = self.desired([z], [a("other", "192.0.2.2"), theirs],
                            settings=team_a, name="v3.yaml")
        run = self.trueup("apply", path, expect=3)
        r = [x for x in run.report["results"] if x["status"] == "failed"]
        self.assertEqual(r[0]["refused"], "owned")
        self.assertIn("'team-b'", r[0]["error"])
        self.assertEqual(self.pdns.rrsets(z)[("theirs." + z, "A")][1],
                         ["192.0.2.5"])
        path = self.desired([z], [a("other", "192.0.2.2"),
                                  dict(theirs, takeover=True)],
                            settings=team_a, name="v4.yaml")
        self.trueup("apply", path)
        self.assertEqual(self.pdns.rrsets(z)[("theirs." + z, "A")][1],
                         ["192.0.2.6"])
        self.assertEqual(self.comments(z, "theirs." + z, "A"),
                         [("alice", "do not touch"),
                          ("trueup", MARK + "team-a")])

    def test_adopt_by_export(self):
        """Export, then apply the export with an owner: every exported
        rrset gets the mark (the SOA is not exported; the apex NS, a
        protected record, stays unmarked); prune then removes what the file
        drops."""
        z = self.zone()
        self.fresh_zone(z, [a("a." + z, "192.0.2.1"),
                            a("b." + z, "192.0.2.2")])
        target = self.desired([z], [], settings={"owner": "ops"},
                              name="target.yaml")
        run = self.trueup("export", target)
        exported = os.path.join(self.tmp.name, "adopt-export.yaml")
        with open(exported, "w") as f:
            f.write(run.stdout)
        rep = self.trueup("apply", "--change-protected", target,
                          exported).report
        self.assertEqual(rep["updated"], 3)   # a, b and the apex NS
        for name in ("a." + z, "b." + z, z):
            rtype = "NS" if name == z else "A"
            self.assertEqual(self.comments(z, name, rtype),
                             [("trueup", MARK + "ops")])
        rep = self.trueup("plan", "--prune", target).report
        self.assertEqual(sorted(r["key"] for r in rep["results"]),
                         ["a.%s|A" % z, "b.%s|A" % z])
        # the apex NS carries the mark but is protected: left alone
        self.assertEqual([r["key"] for r in rep["left_alone"]], [z + "|NS"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
