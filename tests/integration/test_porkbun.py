#!/usr/bin/env python3
"""Porkbun's API v3 with the recipe's target, docs/recipes/porkbun/records.yaml,
run as it is written but for base_url (the simulator's port); records in a
file of their own, as docs/recipes/porkbun.md says.

Against porkbun_sim.Porkbun (in-process, free port): plan from the
server's state, apply, a re-run that writes nothing, prune, and export then
plan with no change; and the API's quirks: every call (the list too) is a
POST whose JSON body holds the keys, read from the environment and never
in trueup's output; a name listed in full is written as the subdomain
(strip_suffix); "600" listed compares equal to 600 declared; an edit
replaces the record (merged sends every field back); and an error answered
with HTTP 200 ({"status": "ERROR", ...}) fails the write, or the list,
with the server's message.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (recipe_files_not_shown, recipe_text,  # noqa: E402
                     records_yaml, results_by_key, run_trueup, temp_dir,
                     trueup_available, trueup_binary, write_yaml)
from porkbun_sim import Porkbun  # noqa: E402

RECIPE = "porkbun/records.yaml"
KEY, SECRET = "pk1_0123456789abcdef", "sk1_fedcba9876543210"
ENV = {"PORKBUN_API_KEY": KEY, "PORKBUN_SECRET_API_KEY": SECRET}
SEED = [{"name": "www.example.com", "type": "A", "content": "192.0.2.1"},
        {"name": "old.example.com", "type": "A", "content": "192.0.2.9"},
        {"name": "example.com", "type": "MX", "content": "mx.example.com",
         "prio": 10}]
DESIRED = [{"name": "www.example.com", "type": "A", "content": "192.0.2.2",
            "ttl": 3600},
           {"name": "example.com", "type": "MX", "content": "mx.example.com",
            "prio": 10, "ttl": 600},
           {"name": "new.example.com", "type": "A", "content": "192.0.2.3"},
           {"name": "example.com", "type": "TXT", "content": "v=spf1 -all"}]


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


class PorkbunCase(unittest.TestCase):
    error_status = 400

    def setUp(self):
        self.tmp = temp_dir(self, "tu-pb-")
        self.pb = Porkbun(domains={"example.com": SEED}, apikey=KEY,
                          secretapikey=SECRET,
                          error_status=self.error_status).start()
        self.addCleanup(self.pb.stop)

    def target(self, edit=None):
        return write_yaml(os.path.join(self.tmp, "target.yaml"),
                          recipe_text(RECIPE, self.pb.url, edit))

    def records(self, recs, name="records.yaml"):
        return write_yaml(os.path.join(self.tmp, name), records_yaml(recs))

    def trueup(self, *args, env=None, expect=0):
        run = run_trueup(list(args), env=dict(ENV, **(env or {})))
        self.assertEqual(run.code, expect, run.describe())
        for secret in (KEY, SECRET):
            self.assertNotIn(secret, run.stdout + run.stderr, run.describe())
        return run

    def live(self):
        return sorted((r["name"], r["type"], r["content"], r["ttl"], r["prio"])
                      for r in self.pb.records("example.com"))


class TestRecipe(PorkbunCase):
    def test_plan_apply_rerun_prune_export(self):
        target, recs = self.target(), self.records(DESIRED)
        plan = results_by_key(self.trueup("plan", target, recs).report)
        self.assertEqual({k: r["action"] for k, r in plan.items()}, {
            "www.example.com|A": "update", "new.example.com|A": "create",
            "example.com|TXT": "create"})
        self.assertEqual(self.pb.writes(), [])

        rep = self.trueup("apply", target, recs).report
        self.assertEqual((rep["created"], rep["updated"], rep["failed"]),
                         (2, 1, 0), rep)
        self.assertEqual(self.live(), [
            ("example.com", "MX", "mx.example.com", "600", "10"),
            ("example.com", "TXT", "v=spf1 -all", "600", "0"),
            ("new.example.com", "A", "192.0.2.3", "600", "0"),
            ("old.example.com", "A", "192.0.2.9", "600", "0"),
            ("www.example.com", "A", "192.0.2.2", "3600", "0")])
        ids = {r["name"] + "|" + r["type"]: r["id"]
               for r in self.pb.records("example.com")}
        res = results_by_key(rep)
        self.assertEqual(res["new.example.com|A"]["id"],
                         ids["new.example.com|A"])
        self.assert_posts_with_keys_and_subdomains()

        writes = len(self.pb.writes())
        again = self.trueup("apply", target, recs).report
        self.assertEqual((again["changed"], again["failed"]), (False, 0))
        self.assertEqual(len(self.pb.writes()), writes, "a re-run writes")

        pruned = self.trueup("apply", "--prune", target, recs).report
        self.assertEqual(pruned["deleted"], 1, pruned)
        self.assertEqual(self.pb.writes()[-1].path,
                         "/api/json/v3/dns/delete/example.com/" +
                         ids["old.example.com|A"])
        self.assertNotIn("old.example.com", [r[0] for r in self.live()])

        text = self.trueup("export", target).stdout
        self.assertEqual(text.count("\n- {"), 4, text)
        self.assertIn("- {name: www.example.com, type: A, content: 192.0.2.2,"
                      " ttl: \"3600\", prio: \"0\", notes: \"\"}\n", text)
        exported = self.records([], "exported.yaml")
        with open(exported, "w") as f:
            f.write(text)
        plan = self.trueup("plan", target, exported).report
        self.assertEqual((plan["changed"], plan["failed"]), (False, 0), plan)

    def assert_posts_with_keys_and_subdomains(self):
        calls = self.pb.requests()
        self.assertEqual({r.method for r in calls}, {"POST"})
        for r in calls:
            self.assertEqual((r.json["apikey"], r.json["secretapikey"]),
                             (KEY, SECRET), r.path)
            self.assertEqual(r.headers["content-type"], "application/json")
        sent = sorted((r.path.split("/")[5], r.json["name"], r.json["type"])
                      for r in self.pb.writes())
        self.assertEqual(sent, [("create", "", "TXT"),
                                ("create", "new", "A"),
                                ("edit", "www", "A")])

    def test_the_list_with_a_wrong_key_fails_with_the_message(self):
        run = self.trueup("apply", self.target(), self.records(DESIRED),
                          env={"PORKBUN_API_KEY": "bad"}, expect=1)
        self.assertIn("Invalid API key. (001)", run.stderr)
        self.assertIn("POST ", run.stderr)
        self.assertEqual(self.pb.writes(), [])


class TestListMessages(PorkbunCase):
    """What goes wrong reading the list names its real method, POST."""

    def plan_fails(self, old, new):
        target = self.target(lambda t: t.replace(old, new))
        none = write_yaml(os.path.join(self.tmp, "none.yaml"), "records: []")
        return self.trueup("plan", "--prune", target, none, expect=1).stderr

    def test_a_wrong_items_path(self):
        self.assertIn("error: POST %s/dns/retrieve/example.com: the response "
                      "has nothing at items path 'recordz'" % self.pb.url,
                      self.plan_fails("items: records", "items: recordz"))

    def test_a_key_field_the_records_lack(self):
        self.assertIn("error: POST %s/dns/retrieve/example.com: item 0 has "
                      "no usable key field 'nosuch'" % self.pb.url,
                      self.plan_fails("key: [name, type]",
                                      "key: [name, nosuch]"))


class TestReadOneByOne(PorkbunCase):
    """resource.get by POST /dns/retrieve/{domain}/{id}: an unknown id is
    answered {"status": "SUCCESS", "records": []}, a record that does not
    exist (items: records.0 indexes an empty list), not an error."""

    def test_get_by_id_with_an_absent_record(self):
        ids = {r["name"]: r["id"] for r in self.pb.records("example.com")}
        target = self.target(lambda t: t.replace(
            "    list:\n      request: POST /dns/retrieve/{domain}\n",
            "    get:\n      request: POST /dns/retrieve/{domain}/{id}\n"
        ).replace("items: records\n", "items: records.0\n"))
        recs = self.records([
            {"id": ids["www.example.com"], "name": "www.example.com",
             "type": "A", "content": "192.0.2.2"},
            {"id": "999", "name": "new.example.com", "type": "A",
             "content": "192.0.2.3"}])
        plan = results_by_key(self.trueup("plan", target, recs).report)
        self.assertEqual({k: r["action"] for k, r in plan.items()},
                         {"www.example.com|A": "update",
                          "new.example.com|A": "create"})
        self.assertEqual(sorted(r.path.rsplit("/", 1)[1]
                                for r in self.pb.requests()),
                         sorted([ids["www.example.com"], "999"]))


class TestErrorsInside200(PorkbunCase):
    """Porkbun as oinker's tests model it: every error answered 200."""
    error_status = 200

    def test_an_error_in_a_200_fails_the_write_with_its_message(self):
        self.pb.fail_next(1, 200, message="Create error: We were unable to "
                          "create the DNS record.", path="/dns/create/")
        run = self.trueup("apply", self.target(), self.records(DESIRED),
                          expect=3)
        rep = run.report
        self.assertEqual((rep["updated"], rep["created"], rep["failed"]),
                         (1, 1, 1), rep)
        failed = [r for r in rep["results"] if r["status"] == "failed"]
        self.assertIn('the server answered 200 but status is "ERROR": '
                      'Create error: We were unable to create the DNS '
                      'record.', failed[0]["error"])

    def test_a_list_answered_200_with_an_error_fails_the_run(self):
        run = self.trueup("plan", self.target(), self.records(DESIRED),
                          env={"PORKBUN_SECRET_API_KEY": "wrong"}, expect=1)
        self.assertIn('status is "ERROR": Invalid API key. (002)', run.stderr)
        self.assertIn("POST ", run.stderr)


class TestRecipeDoc(unittest.TestCase):
    def test_page_shows_the_file_as_it_is(self):
        self.assertEqual(recipe_files_not_shown("porkbun.md", [RECIPE]), [])

if __name__ == "__main__":
    unittest.main()
