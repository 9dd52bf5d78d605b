#!/usr/bin/env python3
"""SOLIDserver's dns_rr API with the recipe's target,
docs/recipes/solidserver/records.yaml, run as it is written but for
base_url (the simulator's port); records in a file of their own, as
docs/recipes/solidserver.md says.

Against solidserver_sim.SolidServer (in-process, free port): plan from the
server's state, apply, a re-run that writes nothing, prune, and export then
plan with no change; and the API's quirks: the X-IPM-* headers are the
base64 of environment secrets (never in trueup's output, even in an error
quoting them), the list is paged by limit/offset and ends on a 204, a TTL
goes in the query string as rr_ttl (the simulator ignores a JSON body: the
TTL is checked on the server), TTLs listed as "300" compare equal to 300,
and a create's new id ([{"ret_oid": "N"}]) is shown in the report.
"""

import base64
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (recipe_files_not_shown, recipe_text,  # noqa: E402
                     records_yaml, results_by_key, run_trueup, temp_dir,
                     trueup_available, trueup_binary, write_yaml)
from solidserver_sim import SolidServer, make_zone  # noqa: E402

RECIPE = "solidserver/records.yaml"
USER, PASSWORD = "ipmadmin", "S3cret-pa55word"
ENV = {"SDS_USER": USER, "SDS_PASSWORD": PASSWORD}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def record(i, ttl, zone="example.org"):
    return {"rr_full_name": "host%d.%s" % (i, zone), "rr_type": "A",
            "value1": "10.0.0.%d" % i, "ttl": ttl}


class SolidServerCase(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-sds-")
        # pages of at most 3 rows: 9 rows are read at offsets 0, 3, 6, and
        # the server answers 204 at 9
        self.sds = SolidServer(records=make_zone(9, ttl="300"), user=USER,
                               password=PASSWORD, max_limit=3).start()
        self.addCleanup(self.sds.stop)

    def target(self, edit=None):
        return write_yaml(os.path.join(self.tmp, "target.yaml"),
                          recipe_text(RECIPE, self.sds.url, edit))

    def records(self, recs):
        return write_yaml(os.path.join(self.tmp, "records.yaml"),
                          records_yaml(recs))

    def trueup(self, *args, env=None, expect=0):
        run = run_trueup(list(args), env=dict(ENV, **(env or {})))
        self.assertEqual(run.code, expect, run.describe())
        self.assert_no_secret(run)
        return run

    def assert_no_secret(self, run):
        for secret in (USER, PASSWORD, b64(PASSWORD), b64(USER)):
            self.assertNotIn(secret, run.stdout + run.stderr, run.describe())


class TestRecipe(SolidServerCase):
    DESIRED = [record(1, 600), record(2, 300), record(3, "900"),
               record(4, 300), record(5, 300), record(6, 300),
               record(7, 300), record(8, 300),
               {"rr_full_name": "new.example.org", "rr_type": "A",
                "value1": "192.0.2.1", "ttl": 600}]

    def test_plan_apply_rerun_prune_export(self):
        target, recs = self.target(), self.records(self.DESIRED)
        plan = results_by_key(self.trueup("plan", target, recs).report)
        self.assertEqual({k: r["action"] for k, r in plan.items()}, {
            "host1.example.org|A|10.0.0.1": "update",
            "host3.example.org|A|10.0.0.3": "update",
            "new.example.org|A|192.0.2.1": "create"})
        self.assertEqual(self.sds.writes(), [])
        self.assert_paged_to_a_204()

        mark = len(self.sds.requests())
        rep = self.trueup("apply", target, recs).report
        self.assertEqual((rep["created"], rep["updated"], rep["failed"]),
                         (1, 2, 0), rep)
        ttls = {r["rr_full_name"]: r["ttl"] for r in self.sds.records()}
        self.assertEqual((ttls["host1.example.org"], ttls["host3.example.org"],
                          ttls["host2.example.org"]), ("600", "900", "300"))
        new = next(r for r in self.sds.records()
                   if r["rr_full_name"] == "new.example.org")
        self.assertEqual(new["ttl"], "600")
        res = results_by_key(rep)
        self.assertEqual(res["new.example.org|A|192.0.2.1"]["id"],
                         new["rr_id"])
        self.assert_writes_in_the_query(self.sds.writes(mark), new["rr_id"])

        mark = len(self.sds.requests())
        again = self.trueup("apply", target, recs).report
        self.assertEqual((again["changed"], again["failed"]), (False, 0))
        self.assertEqual(self.sds.writes(mark), [])

        pruned = self.trueup("apply", "--prune", target, recs).report
        self.assertEqual(pruned["deleted"], 1, pruned)
        gone = self.sds.writes(mark)
        self.assertEqual([(w.method, w.path.split("?")[0], w.query)
                          for w in gone],
                         [("DELETE", "/rest/dns_rr_delete", {"rr_id": "9"})])
        self.assertNotIn("host9.example.org",
                         [r["rr_full_name"] for r in self.sds.records()])

        text = self.trueup("export", target).stdout
        self.assertEqual(text.count("\n- {"), 9, text)
        self.assertIn("- {rr_full_name: host1.example.org, rr_type: A, "
                      "value1: 10.0.0.1, ttl: \"600\"}\n", text)
        exported = write_yaml(os.path.join(self.tmp, "exported.yaml"), text)
        plan = self.trueup("plan", target, exported).report
        self.assertEqual((plan["changed"], plan["failed"]), (False, 0), plan)

    def assert_paged_to_a_204(self):
        lists = [(r.query.get("offset"), r.query.get("limit"), r.status)
                 for r in self.sds.requests()
                 if r.path.startswith("/rest/dns_rr_list")]
        self.assertEqual(sorted(lists), [("0", "1000", 200),
                                         ("3", "1000", 200),
                                         ("6", "1000", 200),
                                         ("9", "1000", 204)])

    def assert_writes_in_the_query(self, writes, new_id):
        for w in writes:
            self.assertEqual(w.body, b"", w)
        got = sorted(((w.method, w.path.split("?")[0], w.query)
                      for w in writes), key=repr)
        self.assertEqual(got, [
            ("POST", "/rest/dns_rr_add", {
                "add_flag": "new_only", "dns_name": "ns1.example.org",
                "rr_name": "new.example.org", "rr_type": "A",
                "value1": "192.0.2.1", "rr_ttl": "600"}),
            ("PUT", "/rest/dns_rr_add",
             {"rr_id": "1", "add_flag": "edit_only", "rr_ttl": "600"}),
            ("PUT", "/rest/dns_rr_add",
             {"rr_id": "3", "add_flag": "edit_only", "rr_ttl": "900"})])
        self.assertNotEqual(new_id, "")

    def test_a_failed_write_fails_its_record_only(self):
        target = self.target()
        recs = self.records([record(1, 600), record(2, 900)])
        self.sds.set_fail(1, 400, apply=False)
        run = self.trueup("apply", target, recs, expect=3)
        rep = run.report
        self.assertEqual((rep["updated"], rep["failed"]), (1, 1), rep)
        failed = [r for r in rep["results"] if r["status"] == "failed"]
        self.assertIn("Simulated failure", failed[0]["error"])


class TestAuth(SolidServerCase):
    def test_headers_are_the_base64_of_the_environment(self):
        target, recs = self.target(), self.records([record(1, 300)])
        self.trueup("apply", target, recs)
        heads = {(r.headers["x-ipm-username"], r.headers["x-ipm-password"])
                 for r in self.sds.requests()}
        self.assertEqual(heads, {(b64(USER), b64(PASSWORD))})
        wrong = run_trueup(["apply", target, recs],
                           env=dict(ENV, SDS_PASSWORD="nope"))
        self.assertNotEqual(wrong.code, 0, wrong.describe())
        self.assertIn("401", wrong.stdout + wrong.stderr)

    def test_an_unset_variable_is_an_error_naming_it(self):
        target, recs = self.target(), self.records([record(1, 300)])
        line = recipe_text(RECIPE, self.sds.url).split("\n").index(
            '    X-IPM-Password: "{env.SDS_PASSWORD | base64}"') + 1
        run = run_trueup(["apply", target, recs],
                         env={"SDS_USER": USER, "SDS_PASSWORD": None})
        self.assertNotEqual(run.code, 0, run.describe())
        self.assertIn("target.yaml:%d:" % line, run.stderr)
        self.assertIn("SDS_PASSWORD is not set", run.stderr)
        self.assertEqual(self.sds.requests(), [])

    def test_a_secret_in_an_error_is_scrubbed(self):
        # The password reaches a failing list's URL and the server's answer
        # (400, quoting the WHERE clause): the message shows *** instead.
        where = urllib.parse.quote("nofield='{env.SDS_PASSWORD}'", "{}=")
        target = self.target(lambda t: t.replace(
            "list: /rest/dns_rr_list",
            'list: "/rest/dns_rr_list?WHERE=%s"' % where))
        run = self.trueup("apply", target, self.records([record(1, 300)]),
                          expect=1)
        self.assertIn("***", run.stdout + run.stderr, run.describe())
        sent = [r.query.get("WHERE") for r in self.sds.requests()]
        self.assertIn("nofield='%s'" % PASSWORD, sent)


class TestRecipeDoc(unittest.TestCase):
    def test_page_shows_the_file_as_it_is(self):
        self.assertEqual(recipe_files_not_shown("solidserver.md", [RECIPE]), [])

if __name__ == "__main__":
    unittest.main()
