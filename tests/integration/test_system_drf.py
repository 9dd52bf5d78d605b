#!/usr/bin/env python3
"""Systems (issue 23) against a real Django REST framework API shaped like
NetBox's: tenants, VRFs (a tenant), prefixes and IP addresses (a VRF and a
tenant each), real foreign keys read nested ({id, name, ...}) and written as
ids (drf_server.py, drf_app/). Each test starts its own servers ("sites"),
empty, so that its write log (every write with its start and end time and
the foreign-key ids it named) holds only its own run.

- docs/recipes/netbox.yaml as it is: the whole system from empty in one
  command, records naming tenants and VRFs by name; a re-run writes
  nothing; export then plan shows no change; the page shows the file.
- Two sites whose ids differ: the same file gives each its own ids.
- Order, from the write log: no write names an id that did not exist yet
  (each was made by a write that had ended, or was there before the run);
  a pruned tenant goes after everything naming it (NetBox answers 409
  otherwise); max_deletes counts per resource. Concurrency: writes of
  independent records of different resources overlap in time (each write
  is held 100 ms by the server).
- A tenant the server refuses fails the records naming it, directly or
  through a VRF, with a reason naming it; everything else is written.
- A reference to a record neither live nor declared (or declared absent)
  fails the plan naming both records, with nothing pushed; a cycle of
  references between resources, or a self-reference, is an error at load.
"""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import SOURCE_DIR, recipe_text  # noqa: E402
from drf_server import DRFServer  # noqa: E402
# file(), trueup() (with the token in NETBOX_TOKEN) and a temporary dir
from test_drf import DRFTestCase, require_drf  # noqa: E402
PATHS = {"tenants": "/api/tenancy/tenants/", "vrfs": "/api/ipam/vrfs/",
         "prefixes": "/api/ipam/prefixes/",
         "ip-addresses": "/api/ipam/ip-addresses/"}
KEYS = {"tenants": "name", "vrfs": "name", "prefixes": "prefix",
        "ip-addresses": "address"}
SERVER_FIELDS = {f: "read_only"
                 for f in ("url", "display", "created", "last_updated")}
TENANT = {"ref": "tenants", "read": "id"}
VRF = {"ref": "vrfs", "read": "id"}
REFS = {"tenants": {}, "vrfs": {"tenant": TENANT},
        "prefixes": {"vrf": VRF, "tenant": TENANT, "status": {"read": "value"}},
        "ip-addresses": {"vrf": VRF, "tenant": TENANT,
                         "status": {"read": "value"}}}
# the model a foreign key in a write log line names, by its API path
REF_PATHS = {"tenant": PATHS["tenants"], "vrf": PATHS["vrfs"]}


def setUpModule():
    require_drf()


def resource_target(name, fields=None):
    path = PATHS[name]
    rules = dict(SERVER_FIELDS, **REFS[name])
    rules.update(fields or {})
    return {"fields": rules,
            "resource": {"list": path, "items": "results",
                         "paginate": "offset", "per_page": 1000,
                         "key": KEYS[name], "create": "POST " + path,
                         "update": "PATCH %s{id}/" % path,
                         "delete": "DELETE %s{id}/" % path}}


def system_yaml(url, records, fields=None, settings=None, own=None):
    """A system file: `records` is {resource: [record]}, `fields` {resource:
    more field rules}, `own` {resource: its settings}; each resource's
    target as resource_target says."""
    lines = ["target:", "  provider: rest", "  base_url: " + json.dumps(url),
             "  auth: {type: bearer, scheme: Token, token_env: NETBOX_TOKEN}",
             "settings: " + json.dumps(settings or {"concurrency": 8}),
             "resources:"]
    for name, recs in records.items():
        target = resource_target(name, (fields or {}).get(name))
        lines += ["  %s:" % name, "    target: " + json.dumps(target)]
        if name in (own or {}):
            lines.append("    settings: " + json.dumps(own[name]))
        lines.append("    records:")
        lines += ["      - " + json.dumps(r) for r in recs]
        if not recs:
            lines[-1] += " []"
    return "\n".join(lines) + "\n"


def without_records(text):
    """A system file's text with every resource's records left out."""
    return re.sub(r"(?m)^    records:\n(?:      .*\n)*", "", text)


def result(report, resource, key):
    """The report's result for `key` of `resource`."""
    found = [r for r in report["results"]
             if r.get("resource") == resource and r.get("key") == key]
    if len(found) != 1:
        raise AssertionError("%d results for %s %r in %s"
                             % (len(found), resource, key, report))
    return found[0]


def created_rows(writes):
    """{(API path of the model, id): write} of the rows writes created."""
    out = {}
    for w in writes:
        if w["method"] == "POST" and w["status"] == 201:
            out[(w["path"], w["id"])] = w
    return out


def order_violations(writes, existing):
    """The writes naming a foreign-key id that neither existed before the
    run (`existing`: {(path, id)}) nor was created by a write that had ended
    when this one started."""
    made = created_rows(writes)
    bad = []
    for w in writes:
        for field, ident in w["refs"].items():
            row = (REF_PATHS[field], ident)
            if row in existing:
                continue
            maker = made.get(row)
            if maker is None or maker["end"] > w["start"]:
                bad.append((w, field, ident, maker))
    return bad


def overlapping(writes, path_a, path_b):
    """Pairs of writes to path_a and path_b whose intervals overlap."""
    a = [w for w in writes if w["path"].startswith(path_a)]
    b = [w for w in writes if w["path"].startswith(path_b)]
    return [(x, y) for x in a for y in b
            if x["start"] < y["end"] and y["start"] < x["end"]]


class SystemCase(DRFTestCase):
    def site(self, **kw):
        """A new, empty server (a site); stopped when the test ends."""
        srv = DRFServer({}, tmpdir=self.tmp, **kw)
        self.addCleanup(srv.stop)
        srv.start()
        return srv

    def existing(self, srv):
        """{(API path, id)} of every tenant and VRF the server holds."""
        rows = set()
        for name in ("tenants", "vrfs"):
            table = "ipam_tenant" if name == "tenants" else "ipam_vrf"
            rows |= {(PATHS[name], r["id"])
                     for r in srv.query("SELECT id FROM " + table)}
        return rows

    def named(self, srv):
        """What the server holds, foreign keys as the names they point at:
        {table: {key: {field: value}}}."""
        def rows(sql, key):
            return {r.pop(key): r for r in srv.query(sql)}
        return {
            "tenants": rows("SELECT name, slug FROM ipam_tenant", "name"),
            "vrfs": rows("SELECT v.name, v.rd, t.name AS tenant FROM ipam_vrf v"
                         " LEFT JOIN ipam_tenant t ON t.id = v.tenant_id",
                         "name"),
            "prefixes": rows(
                "SELECT p.prefix, v.name AS vrf, t.name AS tenant, p.status "
                "FROM ipam_prefix p LEFT JOIN ipam_vrf v ON v.id = p.vrf_id "
                "LEFT JOIN ipam_tenant t ON t.id = p.tenant_id", "prefix"),
            "ip-addresses": rows(
                "SELECT a.address, v.name AS vrf, t.name AS tenant, a.status, "
                "a.dns_name FROM ipam_ipaddress a "
                "LEFT JOIN ipam_vrf v ON v.id = a.vrf_id "
                "LEFT JOIN ipam_tenant t ON t.id = a.tenant_id", "address")}


# the records of docs/recipes/netbox.yaml, as the server should hold them
RECIPE_STATE = {
    "tenants": {"Acme": {"slug": "acme"}, "Globex": {"slug": "globex"}},
    "vrfs": {"acme-prod": {"rd": "65000:100", "tenant": "Acme"},
             "globex": {"rd": "65000:200", "tenant": "Globex"}},
    "prefixes": {
        "10.10.0.0/16": {"vrf": "acme-prod", "tenant": "Acme",
                         "status": "container"},
        "10.10.1.0/24": {"vrf": "acme-prod", "tenant": "Acme",
                         "status": "active"},
        "10.20.0.0/16": {"vrf": "globex", "tenant": "Globex",
                         "status": "active"}},
    "ip-addresses": {
        "10.10.1.10/24": {"vrf": "acme-prod", "tenant": "Acme",
                          "status": "active",
                          "dns_name": "web1.acme.example"},
        "10.10.1.11/24": {"vrf": "acme-prod", "tenant": "Acme",
                          "status": "reserved",
                          "dns_name": "web2.acme.example"},
        "10.20.0.5/16": {"vrf": "globex", "tenant": "Globex",
                         "status": "active",
                         "dns_name": "gw.globex.example"}},
}


class RecipeTest(SystemCase):
    """docs/recipes/netbox.yaml as it is, base_url pointed at a server."""

    def recipe(self, srv):
        return self.file("netbox.yaml", recipe_text("netbox.yaml", srv.url))

    def test_page_shows_the_file(self):
        with open(os.path.join(SOURCE_DIR, "docs", "recipes",
                               "netbox.yaml")) as f:
            text = f.read()
        with open(os.path.join(SOURCE_DIR, "docs", "recipes",
                               "netbox.md")) as f:
            self.assertIn("```yaml\n" + text + "```\n", f.read(),
                          "netbox.md shows netbox.yaml whole")

    def test_whole_system_from_empty_then_nothing(self):
        srv = self.site()
        t = self.recipe(srv)
        rep = self.trueup("apply", t).report
        self.assertEqual((rep["created"], rep["failed"]), (10, 0), rep)
        self.assertEqual({n: c["created"] for n, c in rep["resources"].items()},
                         {"tenants": 2, "vrfs": 2, "prefixes": 3,
                          "ip-addresses": 3}, rep)
        self.assertTrue(all(r.get("resource") in PATHS
                            for r in rep["results"]), rep)
        self.assertEqual(self.named(srv), RECIPE_STATE)
        self.assertEqual(order_violations(srv.writes(), set()), [])

        n = len(srv.writes())
        rep = self.trueup("apply", t).report
        self.assertEqual((rep["changed"], rep["write_requests"],
                          rep["skipped"]), (False, 0, 10), rep)
        self.assertEqual(len(srv.writes()), n)

    def test_export_then_plan_shows_no_change(self):
        srv = self.site()
        t = self.recipe(srv)
        self.trueup("apply", t)
        bare = self.file("target.yaml", without_records(
            recipe_text("netbox.yaml", srv.url)))
        out = self.trueup("export", bare).stdout
        # references are exported as the names the file gives, not ids
        self.assertRegex(out, r"tenant: Acme\b")
        self.assertRegex(out, r"vrf: acme-prod\b")
        for owned in ("url:", "display:", "created:", "last_updated:",
                      "label:", "id:"):
            self.assertNotIn(owned, out)
        exported = self.file("exported.yaml", out)
        rep = self.trueup("plan", bare, exported).report
        self.assertEqual((rep["changed"], rep["skipped"]), (False, 10), rep)

        # a changed reference is an update sending the new tenant's id
        text = recipe_text("netbox.yaml", srv.url).replace(
            "{address: 10.20.0.5/16, vrf: globex, tenant: Globex",
            "{address: 10.20.0.5/16, vrf: globex, tenant: Acme")
        rep = self.trueup("apply", self.file("moved.yaml", text)).report
        self.assertEqual((rep["updated"], rep["write_requests"]), (1, 1), rep)
        acme = srv.query("SELECT id FROM ipam_tenant WHERE name = 'Acme'")
        self.assertEqual(srv.writes()[-1]["refs"]["tenant"], acme[0]["id"])
        self.assertEqual(self.named(srv)["ip-addresses"]["10.20.0.5/16"]
                         ["tenant"], "Acme")

    def test_two_sites_with_different_ids(self):
        a = self.site()
        b = self.site(id_offset=5000)
        # site b had Acme before: its VRF names the tenant that was there
        status, acme = b.api("POST", PATHS["tenants"],
                             {"name": "Acme", "slug": "acme"})
        self.assertEqual((status, acme["id"]), (201, 5001))
        before_b = self.existing(b)
        for srv, created in ((a, 10), (b, 9)):
            rep = self.trueup("apply", self.recipe(srv)).report
            self.assertEqual((rep["created"], rep["failed"]), (created, 0),
                             rep)
        self.assertEqual(self.named(a)["vrfs"], self.named(b)["vrfs"])
        self.assertEqual(self.named(a)["ip-addresses"],
                         self.named(b)["ip-addresses"])
        vrf = "SELECT tenant_id FROM ipam_vrf WHERE name = 'acme-prod'"
        acme_a = a.query("SELECT id FROM ipam_tenant WHERE name = 'Acme'")
        self.assertEqual(a.query(vrf)[0]["tenant_id"], acme_a[0]["id"])
        self.assertLess(acme_a[0]["id"], 5000)
        self.assertEqual(b.query(vrf)[0]["tenant_id"], 5001)
        ids_b = b.query("SELECT id FROM ipam_ipaddress")
        self.assertTrue(all(r["id"] > 5000 for r in ids_b), ids_b)
        self.assertEqual(order_violations(b.writes(), before_b), [])
        for srv in (a, b):
            rep = self.trueup("apply", self.recipe(srv)).report
            self.assertEqual((rep["changed"], rep["write_requests"]),
                             (False, 0), rep)


def wide_system():
    """Four tenants, each with a VRF, prefixes and addresses; plus VRFs
    and prefixes that name nothing, independent of every tenant."""
    recs = {"tenants": [], "vrfs": [], "prefixes": [], "ip-addresses": []}
    for t in range(4):
        name = "tenant-%d" % t
        recs["tenants"].append({"name": name, "slug": name})
        recs["vrfs"].append({"name": "vrf-%d" % t, "tenant": name})
        recs["vrfs"].append({"name": "free-vrf-%d" % t})
        for p in range(2):
            recs["prefixes"].append({"prefix": "10.%d.%d.0/24" % (t, p),
                                     "vrf": "vrf-%d" % t, "tenant": name})
            recs["prefixes"].append({"prefix": "172.16.%d.%d/32" % (t, p)})
            recs["ip-addresses"].append({"address": "10.%d.%d.1/24" % (t, p),
                                         "vrf": "vrf-%d" % t,
                                         "tenant": name})
    return recs


class OrderTest(SystemCase):
    def test_order_and_concurrency_from_the_write_log(self):
        srv = self.site(write_delay_ms=100)
        recs = wide_system()
        # room for every independent record at once, whatever the order
        t = self.file("wide.yaml", system_yaml(srv.url, recs,
                                               settings={"concurrency": 32}))
        rep = self.trueup("apply", t).report
        self.assertEqual((rep["created"], rep["failed"]), (36, 0), rep)
        writes = srv.writes()
        self.assertEqual(len(writes), 36)
        self.assertEqual(order_violations(writes, set()), [])
        # every write that names something names what the file said
        self.assertEqual(self.named(srv)["vrfs"]["vrf-2"]["tenant"],
                         "tenant-2")
        # independent records of different resources went at the same time
        self.assertTrue(overlapping(writes, PATHS["tenants"], PATHS["vrfs"]),
                        writes)
        self.assertTrue(overlapping(writes, PATHS["tenants"],
                                    PATHS["prefixes"]), writes)

    def test_prune_deletes_what_names_a_record_before_it(self):
        srv = self.site(write_delay_ms=20)
        recs = wide_system()
        self.trueup("apply", self.file("wide.yaml",
                                       system_yaml(srv.url, recs)))
        mark = len(srv.writes())
        # tenant-1 leaves the file, and with it everything naming it
        kept = {name: [r for r in rs
                       if r.get("tenant") != "tenant-1"
                       and r.get("name") != "tenant-1"]
                for name, rs in recs.items()}
        t = self.file("fewer.yaml", system_yaml(srv.url, kept))
        rep = self.trueup("apply", "--prune", t).report
        self.assertEqual((rep["deleted"], rep["failed"]), (6, 0), rep)
        self.assertEqual({n: c["deleted"] for n, c in rep["resources"].items()},
                         {"tenants": 1, "vrfs": 1, "prefixes": 2,
                          "ip-addresses": 2}, rep)
        deletes = srv.writes()[mark:]
        self.assertEqual({w["status"] for w in deletes}, {204}, deletes)

        def ends(path):
            return [w["end"] for w in deletes if w["path"].startswith(path)]

        def start(path):
            return min(w["start"] for w in deletes
                       if w["path"].startswith(path))
        self.assertLessEqual(max(ends(PATHS["prefixes"]) +
                                 ends(PATHS["ip-addresses"])),
                             start(PATHS["vrfs"]))
        self.assertLessEqual(max(ends(PATHS["vrfs"])), start(PATHS["tenants"]))
        self.assertNotIn("tenant-1", self.named(srv)["tenants"])


    def test_max_deletes_counts_per_resource(self):
        srv = self.site()
        recs = wide_system()
        self.trueup("apply", self.file("wide.yaml",
                                       system_yaml(srv.url, recs)))
        mark = len(srv.writes())
        kept = {name: [r for r in rs if "tenant-1" not in json.dumps(r)]
                for name, rs in recs.items()}
        # 6 deletes in all, 2 of them prefixes: the prefixes' own limit
        # stops the run; the same limit on the tenants (1 delete) does not
        for own, code in (({"prefixes": {"max_deletes": 1}}, 1),
                          ({"tenants": {"max_deletes": 1}}, 0)):
            with self.subTest(own=own):
                t = self.file("fewer.yaml",
                              system_yaml(srv.url, kept, own=own))
                run = self.trueup("plan", "--prune", t)
                self.assertEqual(run.report["deleted"], 6, run.report)
                run = self.trueup("apply", "--prune", t, code=code)
                if code:
                    self.assertIn("prefixes", run.stderr)
                    self.assertIn("max_deletes", run.stderr)
                    self.assertEqual(len(srv.writes()), mark)
        self.assertEqual(len(srv.writes()), mark + 6)


class FailureTest(SystemCase):
    def test_a_refused_tenant_fails_its_dependents_only(self):
        srv = self.site()
        recs = {
            "tenants": [{"name": "Good", "slug": "good"},
                        {"name": "Bad", "slug": "not a slug"}],
            "vrfs": [{"name": "good-vrf", "tenant": "Good"},
                     {"name": "bad-vrf", "tenant": "Bad"}],
            "prefixes": [{"prefix": "10.1.0.0/16", "vrf": "good-vrf"},
                         {"prefix": "10.2.0.0/16", "vrf": "bad-vrf"}],
            "ip-addresses": [{"address": "10.1.0.1/16", "tenant": "Good"},
                             {"address": "10.9.0.1/16", "tenant": "Bad"},
                             {"address": "192.0.2.1/32"}],
        }
        t = self.file("mixed.yaml", system_yaml(srv.url, recs))
        run = self.trueup("apply", t, code=3)
        rep = run.report
        self.assertEqual((rep["created"], rep["failed"]), (5, 4), rep)
        self.assertEqual(result(rep, "tenants", "Bad")["http_status"], 400)
        # "not sent: it waits for the create of tenants record 'Bad', ..."
        for resource, key, named in (("vrfs", "bad-vrf", r"tenants\b.*'Bad'"),
                                     ("ip-addresses", "10.9.0.1/16",
                                      r"tenants\b.*'Bad'"),
                                     ("prefixes", "10.2.0.0/16",
                                      r"vrfs\b.*'bad-vrf'")):
            with self.subTest(key):
                r = result(rep, resource, key)
                self.assertEqual(r["status"], "failed", r)
                self.assertIn("not sent", r["error"])
                self.assertRegex(r["error"], named)
        sent = {w["path"] for w in srv.writes()}
        self.assertEqual(len(srv.writes()), 6)  # 5 created, Bad refused
        self.assertEqual(sent, {PATHS["tenants"], PATHS["vrfs"],
                                PATHS["prefixes"], PATHS["ip-addresses"]})
        named = self.named(srv)
        self.assertEqual(sorted(named["tenants"]), ["Good"])
        self.assertEqual(sorted(named["vrfs"]), ["good-vrf"])
        self.assertEqual(sorted(named["ip-addresses"]),
                         ["10.1.0.1/16", "192.0.2.1/32"])

    def test_a_dangling_reference_fails_the_plan(self):
        srv = self.site()
        cases = {
            "undeclared": {"tenants": [{"name": "Acme", "slug": "acme"}],
                           "vrfs": [{"name": "orphan-vrf",
                                     "tenant": "Nobody"}]},
            "declared absent": {"tenants": [{"name": "Nobody",
                                             "state": "absent"}],
                                "vrfs": [{"name": "orphan-vrf",
                                          "tenant": "Nobody"}]},
        }
        for case, recs in cases.items():
            t = self.file("dangling.yaml", system_yaml(srv.url, recs))
            for command in ("plan", "apply"):
                with self.subTest(case=case, command=command):
                    run = self.trueup(command, t, code=1)
                    for name in ("vrfs", "orphan-vrf", "tenants", "Nobody"):
                        self.assertIn(name, run.stderr)
        self.assertEqual(srv.writes(), [])

    def test_a_cycle_is_an_error_at_load(self):
        srv = self.site()
        cycle = system_yaml(srv.url, {
            "tenants": [{"name": "Acme", "slug": "acme", "vrf": "v"}],
            "vrfs": [{"name": "v", "tenant": "Acme"}]},
            fields={"tenants": {"vrf": {"ref": "vrfs", "read": "id"}}})
        itself = system_yaml(srv.url, {
            "tenants": [{"name": "Acme", "slug": "acme", "parent": "Acme"}]},
            fields={"tenants": {"parent": {"ref": "tenants"}}})
        mark = srv.mark()
        # the error names the circle: "tenants -> vrfs -> tenants"
        for case, text, circle in (
                ("cycle", cycle, r"(tenants -> vrfs -> tenants|"
                                 r"vrfs -> tenants -> vrfs)"),
                ("self", itself, r"tenants -> tenants\b")):
            t = self.file(case + ".yaml", text)
            for command in ("plan", "apply"):
                with self.subTest(case=case, command=command):
                    run = self.trueup(command, t, code=1)
                    self.assertRegex(run.stderr, circle)
        self.assertEqual(srv.requests(mark), [], "nothing was read")


if __name__ == "__main__":
    unittest.main(verbosity=2)
