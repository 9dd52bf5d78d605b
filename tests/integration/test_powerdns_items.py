"""Leaving alone single items inside records (issue 24) against a real
PowerDNS Authoritative 4.7 server (SQLite backend), one server for the
file, zones of its own per test.

- `protect` rules with `items` keep one address of an A rrset, or one TXT
  string, while the rest of the declared rrset converges: the plan shows
  the change without them, the apply keeps them, a second plan is empty,
  and `left_alone` names the rule (file:line) for each item.
- `{glob: ...}` patterns (DNSControl's `*` one label, `**` any number)
  select CNAME, MX and SRV contents by target, the apex included, with and
  without `--prune`.
- `prune_scope` with `items`: only the items it selects may go.
- A rule key that is no field of an rrset, and a bad glob, are errors at
  load naming the file, line and key.

Skipped when pdns_server is not installed, unless the environment has CI.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_powerdns import flow, setUpModule  # noqa: E402,F401
from test_powerdns_ownership import Case  # noqa: E402


def rr(name, rtype, contents, ttl=300):
    return {"name": name, "type": rtype, "ttl": ttl,
            "records": list(contents)}


def line_of(path, text):
    """The 1-based line of `path` holding `text`."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise AssertionError("%r not in %s" % (text, path))


class Items(Case):

    def left_items(self, report):
        return sorted((r["key"], r["item"], r["reason"])
                      for r in report["left_alone"] if "item" in r)

    def contents(self, z, name, rtype):
        got = self.pdns.rrsets(z).get((name, rtype))
        return got[1] if got else None

    def assert_converged(self, path, *opts):
        rep = self.trueup("plan", *opts, path).report
        self.assertEqual((rep["created"], rep["updated"], rep["deleted"]),
                         (0, 0, 0), rep)

    # ---- one value inside a declared rrset

    def test_one_address_kept_inside_a_declared_rrset(self):
        """IGNORE("foo", "A", "192.0.2.1"): the protected address stays
        while the other addresses converge, with and without --prune."""
        for opts in ([], ["--prune"]):
            with self.subTest(opts=opts):
                z = self.zone("p" if opts else "")
                foo = "foo." + z
                self.fresh_zone(z, [rr(foo, "A", ["192.0.2.1", "192.0.2.2",
                                                  "192.0.2.3"])])
                path = self.desired([z], [rr("foo", "A", ["192.0.2.2",
                                                          "192.0.2.4"])],
                                    extra=["protect:",
                                           "  - match: {name: %s, type: A}"
                                           % flow(foo),
                                           "    items: {records: 192.0.2.1}"])
                where = "protect[0] (%s:%d)" % (path, line_of(path,
                                                              "- match:"))
                plan = self.trueup("plan", *opts, path).report
                change = plan["results"][0]["changes"]["records"]
                self.assertEqual(change["after"],
                                 ["192.0.2.1", "192.0.2.2", "192.0.2.4"])
                self.assertEqual(self.left_items(plan), [
                    (foo + "|A", "192.0.2.1", "protected by " + where)])
                text = self.trueup("plan", "--format", "text", *opts,
                                   path).stdout
                self.assertIn('= %s|A records item "192.0.2.1"  left alone: '
                              'protected by %s' % (foo, where), text)
                rep = self.trueup("apply", *opts, path).report
                self.assertEqual(rep["updated"], 1)
                self.assertEqual(self.contents(z, foo, "A"),
                                 ["192.0.2.1", "192.0.2.2", "192.0.2.4"])
                self.assert_converged(path, *opts)

    def test_txt_string_kept_by_a_pattern(self):
        """A TXT string a shell pattern selects stays inside the declared
        TXT rrset; an absent rrset keeps it alone instead of going."""
        z = self.zone()
        verify = '"google-site-verification=abc123"'
        self.fresh_zone(z, [rr(z, "TXT", [verify, '"v=spf1 -all"']),
                            rr("old." + z, "TXT", ['"a"', verify])])
        path = self.desired(
            [z], [rr("@", "TXT", ['"v=spf1 include:_spf.example.net. -all"']),
                  {"name": "old", "type": "TXT", "state": "absent"}],
            extra=["protect:",
                   "  - items: {records: '\"google-site-verification=*\"'}"])
        self.trueup("apply", path)
        self.assertEqual(self.contents(z, z, "TXT"), sorted([
            verify, '"v=spf1 include:_spf.example.net. -all"']))
        self.assertEqual(self.contents(z, "old." + z, "TXT"), [verify])
        self.assert_converged(path)

    # ---- patterns on contents: * one label, ** any number

    def glob_zone(self, z):
        self.fresh_zone(z, [
            rr("one." + z, "CNAME", ["x.example.net."]),
            rr("two." + z, "CNAME", ["a.b.example.net."]),
            rr("apex." + z, "CNAME", ["example.net."]),
            rr("other." + z, "CNAME", ["x.example.org."]),
            rr(z, "MX", ["10 mx.example.net.", "20 mx.example.org."]),
            rr("_sip._tcp." + z, "SRV", ["10 5 5060 sip.example.net.",
                                         "10 5 5060 sip.example.org."])])

    def test_glob_targets_with_prune(self):
        """--prune with nothing declared: every content a glob selects
        stays (its rrset keeps just those), the rest goes; `*` is one
        label, `**` any number, none included (the zone apex)."""
        expect = {
            "*.example.net.": {"one": ["x.example.net."]},
            "**.example.net.": {"one": ["x.example.net."],
                                "two": ["a.b.example.net."],
                                "apex": ["example.net."]},
        }
        for pattern, cnames in expect.items():
            with self.subTest(pattern=pattern):
                z = self.zone("deep" if pattern[1] == "*" else "one")
                self.glob_zone(z)
                path = self.desired([z], [], extra=[
                    "protect:",
                    "  - match: {type: [CNAME, MX, SRV]}",
                    "    items: {records: {glob: %s}}" % flow(pattern)])
                rep = self.trueup("apply", "--prune", path).report
                live = self.pdns.rrsets(z)
                got = {n[:-len(z) - 1]: c for (n, t), (_, c) in live.items()
                       if t == "CNAME"}
                self.assertEqual(got, cnames)
                self.assertEqual(live[(z, "MX")][1], ["10 mx.example.net."])
                self.assertEqual(live[("_sip._tcp." + z, "SRV")][1],
                                 ["10 5 5060 sip.example.net."])
                self.assertIn((z + "|MX", "10 mx.example.net."),
                              [(k, i) for k, i, _ in self.left_items(rep)])
                self.assertEqual(rep["deleted"], 4 - len(cnames))
                self.assert_converged(path, "--prune")

    def test_glob_in_declared_rrsets_no_prune(self):
        """Without --prune: declared MX and SRV rrsets converge to what is
        declared plus the contents the glob keeps; undeclared rrsets are
        untouched."""
        z = self.zone()
        self.glob_zone(z)
        path = self.desired([z], [
            rr("@", "MX", ["30 mx3.example.org."]),
            rr("_sip._tcp", "SRV", ["20 5 5060 sip2.example.org."])],
            extra=["protect:",
                   "  - match: {type: [MX, SRV]}",
                   "    items: {records: {glob: '**.example.net.'}}"])
        self.trueup("apply", path)
        self.assertEqual(self.contents(z, z, "MX"),
                         ["10 mx.example.net.", "30 mx3.example.org."])
        self.assertEqual(self.contents(z, "_sip._tcp." + z, "SRV"),
                         ["10 5 5060 sip.example.net.",
                          "20 5 5060 sip2.example.org."])
        self.assertEqual(self.contents(z, "two." + z, "CNAME"),
                         ["a.b.example.net."])
        self.assert_converged(path)

    def test_prune_scope_items(self):
        """prune_scope with items: of the items a declared rrset does not
        list, only those the scope selects go, with and without --prune;
        a pruned rrset keeps the items outside the scope."""
        for opts in ([], ["--prune"]):
            with self.subTest(opts=opts):
                z = self.zone("p" if opts else "")
                self.fresh_zone(z, [
                    rr(z, "MX", ["10 mx.example.net.", "20 old.example.org."]),
                    rr("gone." + z, "MX", ["10 a.example.org.",
                                           "10 b.example.net."])])
                path = self.desired([z], [rr("@", "MX",
                                             ["10 new.example.org."])],
                                    extra=["prune_scope:",
                                           "  - match: {type: MX}",
                                           "    items: {records: {glob: "
                                           "'**.example.org.'}}"])
                rep = self.trueup("apply", *opts, path).report
                self.assertEqual(self.contents(z, z, "MX"), [
                    "10 mx.example.net.", "10 new.example.org."])
                self.assertEqual(self.contents(z, "gone." + z, "MX"),
                                 ["10 b.example.net."] if opts else
                                 ["10 a.example.org.", "10 b.example.net."])
                reasons = {r for _, _, r in self.left_items(rep)}
                self.assertTrue(all(r.startswith("outside the items of "
                                                 "prune_scope[0] (")
                                    for r in reasons), reasons)
                self.assert_converged(path, *opts)

    def test_bulk_match_on_one_content(self):
        """A bulk --match on one content, a shell pattern or a glob selects
        the rrsets holding such a content (before, a value matched a list
        field only when equal to the whole list)."""
        z = self.zone()
        self.glob_zone(z)
        for match, want in (("records=10 mx.example.net.", {(z, "MX")}),
                            # a shell pattern: * spans the MX's priority
                            ("records=*.example.org.",
                             {("other." + z, "CNAME"), (z, "MX"),
                              ("_sip._tcp." + z, "SRV")}),
                            ('records={glob: "**.example.net."}',
                             {("one." + z, "CNAME"), ("two." + z, "CNAME"),
                              ("apex." + z, "CNAME"), (z, "MX"),
                              ("_sip._tcp." + z, "SRV")})):
            with self.subTest(match=match):
                path = self.desired([z], [])
                rep = self.trueup("plan", path, "--match", match, "--set",
                                  "ttl=600").report
                got = {tuple(r["key"].split("|")) for r in rep["results"]
                       if r["action"] == "update"}
                self.assertEqual(got, want)

    # ---- errors at load

    def test_unknown_rule_key_is_a_located_error(self):
        """`content:` (a desired shorthand) and a typo are errors naming
        the file, line and key with a suggestion; nothing is sent."""
        z = self.zone()
        self.fresh_zone(z, [rr("www." + z, "A", ["192.0.2.1"])])
        cases = [("  - match: {content: 192.0.2.1}", "match key 'content'",
                  "did you mean 'records'?"),
                 ("  - match: {tpye: A}", "match key 'tpye'",
                  "did you mean 'type'?"),
                 ("  - items: {record: 192.0.2.1}", "items key 'record'",
                  "did you mean 'records'?"),
                 ("  - items: {name: www}", "items key 'name'",
                  "select records by it in match")]
        for rule, key, hint in cases:
            with self.subTest(key=key):
                path = self.desired([z], [], extra=["protect:", rule])
                serial = self.pdns.serial(z)
                run = self.trueup("apply", "--prune", path, expect=1)
                self.assertIn("%s:%d:" % (path, line_of(path, rule.strip())),
                              run.stderr)
                self.assertIn("protect[0]: " + key, run.stderr)
                self.assertIn(hint, run.stderr)
                self.assertEqual(self.pdns.serial(z), serial)

    def test_bad_glob_is_a_located_error(self):
        z = self.zone()
        self.fresh_zone(z, [])
        path = self.desired([z], [], extra=[
            "protect:", "  - items: {records: {glob: 'a**.example.'}}"])
        run = self.trueup("plan", path, expect=1)
        self.assertIn("%s:%d:" % (path, line_of(path, "glob:")), run.stderr)
        self.assertIn("whole labels", run.stderr)


REG = '"heritage=trueup,trueup/owner=%s"'


class TxtRegistry(Case):
    """target.ownership: txt: marks as TXT records beside the records they
    mark (external-dns's TXT registry), for DNS APIs without comments."""

    def registry_file(self, z, owner, records, prefix=None, extra=None):
        lines = ["  ownership: txt"]
        if prefix is not None:
            lines.append("  txt_prefix: %s" % flow(prefix))
        path = self.desired([z], records, settings={"owner": owner},
                            extra=extra, name=owner + ".yaml")
        with open(path) as f:
            text = f.read()
        text = text.replace("  auth:", "\n".join(lines) + "\n  auth:", 1)
        with open(path, "w") as f:
            f.write(text)
        return path

    def marks(self, z):
        """{registry name: owner} of the zone's marks."""
        out = {}
        for (name, rtype), (_, contents) in self.pdns.rrsets(z).items():
            if rtype == "TXT" and len(contents) == 1 and \
                    contents[0].startswith('"heritage=trueup,'):
                out[name] = contents[0].split("owner=")[1].rstrip('"')
        return out

    def test_registry_created_respected_and_taken_over(self):
        z = self.zone()
        self.fresh_zone(z, [rr("legacy." + z, "A", ["192.0.2.99"])])
        www = rr("www", "A", ["192.0.2.1"])
        mine = [www, rr("alias", "CNAME", ["www." + z]),
                rr("@", "MX", ["10 mx.example.net."])]
        a = self.registry_file(z, "team-a", mine)
        rep = self.trueup("apply", a).report
        self.assertEqual(rep["created"], 3)
        # one mark per rrset, below its name (the apex and a CNAME too)
        self.assertEqual(self.marks(z), {"_trueup-a.www." + z: "team-a",
                                         "_trueup-cname.alias." + z: "team-a",
                                         "_trueup-mx." + z: "team-a"})
        self.assertEqual(self.comments(z, "www." + z, "A"), [])
        self.assertEqual(self.trueup("plan", a).report["updated"], 0)
        # the marks are no records of their own: export and prune skip them
        export = self.trueup("export", a).stdout
        self.assertNotIn("_trueup-", export)
        # a second owner prunes none of them, and may not change them
        b = self.registry_file(z, "team-b", [], extra=None)
        rep = self.trueup("apply", "--prune", b).report
        self.assertEqual(rep["deleted"], 0)
        # 3 of team-a's, the unmarked legacy A, SOA and apex NS
        self.assertEqual(rep["not_owned"], 6)
        b = self.registry_file(z, "team-b", [dict(www, records=["192.0.2.2"])])
        run = self.trueup("apply", b, expect=3)
        self.assertEqual(run.report["results"][0]["refused"], "owned")
        self.assertEqual(self.marks(z)["_trueup-a.www." + z], "team-a")
        # takeover: changed, and re-marked as team-b's
        b = self.registry_file(z, "team-b", [dict(www, records=["192.0.2.2"],
                                                  takeover=True)])
        self.trueup("apply", b)
        self.assertEqual(self.contents(z, "www." + z, "A"), ["192.0.2.2"])
        self.assertEqual(self.marks(z)["_trueup-a.www." + z], "team-b")
        # team-a's prune now leaves www alone; dropping the MX deletes it
        # and its mark
        a = self.registry_file(z, "team-a", mine[1:2])
        rep = self.trueup("apply", "--prune", a).report
        self.assertEqual(rep["deleted"], 1)
        self.assertEqual(self.marks(z), {"_trueup-a.www." + z: "team-b",
                                         "_trueup-cname.alias." + z: "team-a"})
        self.assertIn(("www." + z, "A"), self.pdns.rrsets(z))
        self.assertNotIn((z, "MX"), self.pdns.rrsets(z))

    def contents(self, z, name, rtype):
        got = self.pdns.rrsets(z).get((name, rtype))
        return got[1] if got else None

    def test_adoption_and_custom_prefix(self):
        """An unmarked rrset declared by an owner is adopted (its mark
        created); a prefix without %{record_type} gets "type-" before the
        first label, as external-dns does."""
        z = self.zone()
        self.fresh_zone(z, [rr("www." + z, "A", ["192.0.2.1"])])
        path = self.registry_file(z, "ops", [rr("www", "A", ["192.0.2.1"])],
                                  prefix="Own.")   # names are lower case
        rep = self.trueup("apply", path).report
        self.assertEqual(rep["updated"], 1)
        self.assertEqual(self.marks(z), {"own.a-www." + z: "ops"})
        self.assertEqual(self.trueup("plan", path).report["updated"], 0)

    def test_comment_marks_stay_the_default(self):
        """Without ownership: txt the mark is an rrset comment, and a TXT
        that looks like a mark is an ordinary record."""
        z = self.zone()
        self.fresh_zone(z, [rr("_trueup-a.x." + z, "TXT", [REG % "zz"])])
        path = self.desired([z], [rr("x", "A", ["192.0.2.5"])],
                            settings={"owner": "team-a"})
        self.trueup("apply", path)
        self.assertEqual(self.comments(z, "x." + z, "A"),
                         [("trueup", "heritage=trueup,trueup/owner=team-a")])
        rep = self.trueup("plan", "--prune", path).report
        # the TXT is unmarked, as are the SOA and apex NS
        self.assertEqual(rep["not_owned"], 3)

    def test_wildcard_record_mark(self):
        """PowerDNS refuses a `*` label anywhere but first, so a wildcard
        rrset's mark has it replaced (txt_wildcard, default _wildcard), as
        external-dns's --txt-wildcard-replacement does."""
        for wildcard in (None, "star"):
            with self.subTest(wildcard=wildcard):
                z = self.zone(wildcard or "")
                self.fresh_zone(z, [])
                path = self.registry_file(z, "ops", [rr("*.dev", "A",
                                                        ["192.0.2.7"])])
                if wildcard:
                    with open(path) as f:
                        text = f.read().replace(
                            "  ownership: txt\n", "  ownership: txt\n"
                            "  txt_wildcard: %s\n" % wildcard)
                    with open(path, "w") as f:
                        f.write(text)
                self.trueup("apply", path)
                self.assertEqual(self.marks(z), {
                    "_trueup-a.%s.dev.%s" % (wildcard or "_wildcard", z):
                    "ops"})
                self.assertEqual(self.trueup("plan", path).report["updated"],
                                 0)

    def test_bad_prefix_is_a_located_error(self):
        z = self.zone()
        self.fresh_zone(z, [])
        path = self.registry_file(z, "x", [], prefix="a b.")
        run = self.trueup("plan", path, expect=1)
        self.assertIn("%s:%d:" % (path, line_of(path, "txt_prefix")),
                      run.stderr)
        self.assertIn("blank", run.stderr)


if __name__ == "__main__":
    unittest.main()
