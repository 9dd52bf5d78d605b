#!/usr/bin/env python3
"""A desired state of several resources (docs/systems.md) against a real
json-server 0.17.4 on a free port: tenants and the addresses that name them
by name (a reference sent as the tenant's id). One run from empty uses the
ids the creates answered; a re-run sends nothing; prune deletes the
addresses before the tenant they name; a failed create fails what names it,
unsent, and the rest goes on; a dangling reference and a circle are errors
before anything is sent; export plans with no changes; the text format names
each record's resource."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, run_trueup, temp_dir,  # noqa: E402
                     trueup_available, trueup_binary, write_yaml)


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


TENANTS = """  tenants:
    target:
      resource:
        list: /tenants
        key: name
        create: POST /tenants
        update: PATCH /tenants/{id}
        delete: DELETE /tenants/{id}
"""

# the same collection, of other records
VRFS = TENANTS.replace("tenants", "vrfs")

SYSTEM = """
settings: {concurrency: 4, max_deletes: 100}
target:
  provider: rest
  base_url: %(url)s
resources:
""" + TENANTS + """  addresses:
    target:
      fields:
        tenant: {ref: tenants}
      resource:
        list: /addresses
        key: address
        create: POST /addresses
        update: PATCH /addresses/{id}
        delete: DELETE /addresses/{id}
"""


RECORDS = """
resources:
  tenants:
    records:
      - {name: acme}
      - {name: beta}
  addresses:
    records:
      - {address: 10.0.0.1, tenant: acme}
      - {address: 10.0.0.2, tenant: beta}
      - {address: 10.0.0.3}
"""


class SystemJsonServerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-system-")
        self.server = JsonServer([])
        with open(self.server.db_path, "w") as f:
            json.dump({"tenants": [{"id": 7, "name": "old"}], "vrfs": [],
                       "addresses": [{"id": 1, "address": "10.9.9.9",
                                      "tenant": 7}]}, f)
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.system = write_yaml(os.path.join(self.tmp, "system.yaml"),
                                 SYSTEM % {"url": self.server.url})
        self.records = write_yaml(os.path.join(self.tmp, "records.yaml"),
                                  RECORDS)

    def run_ok(self, *args):
        r = run_trueup(list(args))
        self.assertEqual(r.code, 0, r.describe())
        return r

    def test_one_run_from_empty_then_nothing(self):
        plan = self.run_ok("plan", self.system, self.records).report
        self.assertEqual(plan["created"], 5)
        self.assertEqual(plan["resources"]["tenants"]["created"], 2)
        self.assertEqual(plan["resources"]["addresses"]["created"], 3)
        notes = [r.get("note", "") for r in plan["results"]
                 if r["resource"] == "addresses"]
        self.assertIn("tenant: the id of tenants 'acme' is known after its "
                      "create", notes)
        applied = self.run_ok("apply", self.system, self.records).report
        self.assertEqual((applied["succeeded"], applied["failed"]), (5, 0))
        ids = {t["name"]: t["id"]
               for t in self.server.get_records("/tenants")}
        sent = {a["address"]: a.get("tenant")
                for a in self.server.get_records("/addresses")}
        # the ids the creates answered, as numbers, as the server keeps them
        self.assertEqual(sent["10.0.0.1"], ids["acme"])
        self.assertEqual(sent["10.0.0.2"], ids["beta"])
        self.assertIsNone(sent["10.0.0.3"])
        # order: every address POST after the tenant POSTs it could name
        writes = self.server.writes()
        last_tenant = max(i for i, w in enumerate(writes)
                          if w[1] == "/tenants")
        first_named = min(i for i, w in enumerate(writes)
                          if w[1] == "/addresses")
        self.assertLess(last_tenant, first_named, writes)
        mark = self.server.mark()
        again = self.run_ok("apply", self.system, self.records).report
        self.assertFalse(again["changed"])
        self.assertEqual(self.server.writes(mark), [])

    def test_a_record_naming_two_new_records_gets_both_ids(self):
        # a write waiting for two creates of two resources sends both ids
        system = write_yaml(os.path.join(self.tmp, "two.yaml"),
                            (SYSTEM % {"url": self.server.url}).replace(
                                "        tenant: {ref: tenants}\n",
                                "        tenant: {ref: tenants}\n"
                                "        vrf: {ref: vrfs}\n").replace(
                                "  addresses:\n", VRFS + "  addresses:\n"))
        records = write_yaml(os.path.join(self.tmp, "two-records.yaml"), """
resources:
  tenants: {records: [{name: acme}]}
  vrfs: {records: [{name: red}, {name: blue}]}
  addresses: {records: [{address: 10.0.0.1, tenant: acme, vrf: red}]}
""")
        r = self.run_ok("apply", system, records).report
        self.assertEqual((r["succeeded"], r["failed"]), (4, 0), r)
        tenant = self.server.get_records("/tenants")[-1]
        vrf = [v for v in self.server.get_records("/vrfs")
               if v["name"] == "red"][0]
        address = self.server.get_records("/addresses")[-1]
        self.assertEqual((address["tenant"], address["vrf"]),
                         (tenant["id"], vrf["id"]))
        self.assertFalse(self.run_ok("plan", system, records).report["changed"])

    def test_prune_deletes_the_names_first(self):
        self.run_ok("apply", self.system, self.records)
        mark = self.server.mark()
        r = self.run_ok("apply", "--prune", self.system, self.records).report
        self.assertEqual(r["deleted"], 2, r)
        self.assertEqual(self.server.writes(mark),
                         [("DELETE", "/addresses/1", 200),
                          ("DELETE", "/tenants/7", 200)])

    def test_failed_create_fails_what_names_it(self):
        # json-server refuses a second record with an id it has: a 500
        records = write_yaml(os.path.join(self.tmp, "bad.yaml"), RECORDS.replace(
            "{name: beta}", "{name: beta, id: 7}"))
        r = run_trueup(["apply", self.system, records])
        self.assertEqual(r.code, 3, r.describe())
        by_key = {x["key"]: x for x in r.report["results"]}
        self.assertEqual(by_key["beta"]["status"], "failed")
        self.assertEqual(by_key["10.0.0.2"]["status"], "failed")
        self.assertEqual(by_key["10.0.0.2"].get("attempts"), None)
        self.assertIn("not sent: it waits for the create of tenants record "
                      "'beta', which failed", by_key["10.0.0.2"]["error"])
        self.assertEqual(by_key["acme"]["status"], "ok")
        self.assertEqual(by_key["10.0.0.1"]["status"], "ok")
        self.assertEqual(by_key["10.0.0.3"]["status"], "ok")

    def test_dangling_reference_sends_nothing(self):
        records = write_yaml(os.path.join(self.tmp, "dangling.yaml"),
                             RECORDS.replace("tenant: beta", "tenant: gamma"))
        r = run_trueup(["apply", self.system, records])
        self.assertEqual(r.code, 1, r.describe())
        self.assertIn("dangling.yaml:", r.stderr)
        self.assertIn("resources.addresses record '10.0.0.2': tenant names "
                      "tenants record 'gamma', which is neither declared nor "
                      "live", r.stderr)
        self.assertEqual(self.server.writes(), [])

    def test_circle_is_refused_at_load(self):
        circle = write_yaml(os.path.join(self.tmp, "circle.yaml"),
                            (SYSTEM % {"url": self.server.url}).replace(
                                "  tenants:\n    target:\n",
                                "  tenants:\n    target:\n      fields: "
                                "{boss: {ref: addresses}}\n", 1))
        r = run_trueup(["plan", circle])
        self.assertEqual(r.code, 1, r.describe())
        self.assertIn("in a circle", r.stderr)
        self.assertEqual(self.server.requests(), [])

    def test_a_saved_plan_of_every_resource_applies_once(self):
        plan_path = os.path.join(self.tmp, "plan.json")
        self.run_ok("plan", "--out", plan_path, self.system, self.records)
        with open(plan_path) as f:
            saved = json.load(f)
        self.assertEqual(sorted(saved["resources"]), ["addresses", "tenants"])
        self.assertEqual(self.server.writes(), [])
        applied = self.run_ok("apply", plan_path).report
        self.assertEqual((applied["succeeded"], applied["failed"]), (5, 0))
        ids = {t["name"]: t["id"]
               for t in self.server.get_records("/tenants")}
        sent = {a["address"]: a.get("tenant")
                for a in self.server.get_records("/addresses")}
        self.assertEqual(sent["10.0.0.1"], ids["acme"])
        again = run_trueup(["apply", plan_path])
        self.assertEqual(again.code, 1, again.describe())
        self.assertIn("applied already", again.stderr)

    def test_a_replaced_record_takes_what_names_it_along(self):
        system = write_yaml(os.path.join(self.tmp, "immutable.yaml"),
                            (SYSTEM % {"url": self.server.url}).replace(
                                "  tenants:\n    target:\n",
                                "  tenants:\n    target:\n      fields: "
                                "{region: immutable}\n", 1))
        self.run_ok("apply", system, self.records)
        old = {t["name"]: t["id"] for t in self.server.get_records("/tenants")}
        moved = write_yaml(os.path.join(self.tmp, "moved.yaml"),
                           RECORDS.replace("{name: acme}",
                                           "{name: acme, region: eu}"))
        plan = self.run_ok("plan", system, moved).report
        kinds = {x["key"]: x["action"] for x in plan["results"]}
        self.assertEqual(kinds, {"acme": "replace", "10.0.0.1": "replace"})
        mark = self.server.mark()
        r = self.run_ok("apply", system, moved).report
        self.assertEqual((r["succeeded"], r["failed"]), (2, 0), r)
        writes = [(m, p.rsplit("/", 1)[0] if m == "DELETE" else p)
                  for m, p, _ in self.server.writes(mark)]
        self.assertEqual(writes, [("DELETE", "/tenants"), ("POST", "/tenants"),
                                  ("DELETE", "/addresses"),
                                  ("POST", "/addresses")])
        now = {t["name"]: t["id"] for t in self.server.get_records("/tenants")}
        self.assertNotEqual(now["acme"], old["acme"])
        sent = {a["address"]: a.get("tenant")
                for a in self.server.get_records("/addresses")}
        self.assertEqual(sent["10.0.0.1"], now["acme"])
        self.assertFalse(self.run_ok("plan", system, moved).report["changed"])

    def test_export_plans_no_changes_and_text_names_resources(self):
        self.run_ok("apply", self.system, self.records)
        out = self.run_ok("export", self.system).stdout
        self.assertIn("tenant: acme", out)
        exported = write_yaml(os.path.join(self.tmp, "exported.yaml"), out)
        plan = self.run_ok("plan", self.system, exported).report
        self.assertFalse(plan["changed"], plan)
        text = run_trueup(["plan", "--format", "text", "--prune", self.system,
                           self.records])
        self.assertIn("- addresses: 10.9.9.9", text.stdout)
        self.assertIn("- tenants: old", text.stdout)


if __name__ == "__main__":
    unittest.main()
