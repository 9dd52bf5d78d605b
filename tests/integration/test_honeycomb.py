"""Honeycomb triggers declared with only the keys their author cares about,
end to end: the trueup binary against honeycomb_sim.py, which answers
every trigger with keys nobody sent (query.time_range, threshold.
exceeded_limit, recipients[].id, query_id, ...) and whose PUT replaces the
whole trigger and refuses `query` with `query_id`.

Two ways to say what matters: `compare: declared` on query, threshold and
recipients (only the declared keys are compared, at any depth), or
`ignore: [query.time_range, ...]` (dotted paths into the values). Either
way: plan from empty, apply, a re-run writes nothing, drift made on the
server is corrected, prune deletes an undeclared trigger, and export then
plan shows no changes. SLOs (/1/slos/{dataset}) the same way. The API
key never shows in trueup's output.

The targets are the recipe's own files, docs/recipes/honeycomb/*.yaml, run
as they are written but for base_url (the simulator's port); the `ignore`
way edits the triggers' file as docs/recipes/honeycomb.md says.
"""

import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (recipe_files_not_shown, recipe_text,  # noqa: E402
                     results_by_key, run_trueup, trueup_available)
from honeycomb_sim import Honeycomb  # noqa: E402

KEY = "hcaik_test_key_0123456789"

TRIGGERS = [
    {"name": "errors", "frequency": 900,
     "query": {"calculations": [{"op": "COUNT"}],
               "filters": [{"column": "status", "op": ">=", "value": 500}]},
     "threshold": {"op": ">", "value": 10},
     "recipients": [{"type": "email", "target": "oncall@example.com"}]},
    {"name": "slow", "frequency": 300,
     "query": {"calculations": [{"op": "P99", "column": "duration_ms"}]},
     "threshold": {"op": ">=", "value": 1000}},
]


def flow(value):
    return json.dumps(value, ensure_ascii=False)


class Base:
    """The tests; a subclass says how the extra keys are left alone."""
    ignore = []
    kind = "triggers"

    @classmethod
    def setUpClass(cls):
        if not trueup_available():
            raise unittest.SkipTest("the trueup binary is not built")
        cls.tmp = tempfile.TemporaryDirectory(prefix="trueup-honeycomb-")
        cls.addClassCleanup(cls.tmp.cleanup)

    def setUp(self):
        self.hc = Honeycomb(api_key=KEY, datasets=["web"], seed=7)
        self.hc.start()
        self.addCleanup(self.hc.stop)

    def write(self, records, name="records.yaml"):
        """The recipe's target (docs/recipes/honeycomb/KIND.yaml, as written
        but for base_url, and `edit` applied) with `records`."""
        text = recipe_text("honeycomb/%s.yaml" % self.kind, self.hc.url,
                           self.edit)
        lines = [text.rstrip("\n"), "records:" if records else "records: []"]
        lines += ["  - " + flow(r) for r in records]
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    @staticmethod
    def edit(text):
        return text

    def trueup(self, *args, expect=0):
        run = run_trueup(list(args), env={"HONEYCOMB_API_KEY": KEY})
        self.assertEqual(run.code, expect, run.describe())
        self.assertNotIn(KEY, run.stdout + run.stderr)
        return run

    def plan(self, path, *args):
        """{key: action} of the records a plan changes (only those are
        listed in a report)."""
        run = self.trueup("plan", "-f", "json", *args, path)
        results = results_by_key(json.loads(run.stdout))
        return {k: r["action"] for k, r in results.items()}

    def applied(self, path):
        self.trueup("apply", path)
        self.assertEqual(self.plan(path), {})

    def exported(self, path):
        """A file of the target of `path` with the records export writes."""
        run = self.trueup("export", path)
        with open(path) as f:
            target = f.read().split("records:")[0]
        exported = os.path.join(self.tmp.name, "exported.yaml")
        with open(exported, "w") as f:
            f.write(target + run.stdout[run.stdout.index("records:"):])
        return exported, run.stdout


class Triggers(Base):
    def test_converge_drift_prune_export(self):
        path = self.write(TRIGGERS)
        self.assertEqual(self.plan(path),
                         {"errors": "create", "slow": "create"})
        self.applied(path)
        live = {t["name"]: t for t in self.hc.triggers("web")}
        self.assertEqual(live["errors"]["threshold"]["exceeded_limit"], 1)
        self.assertIn("id", live["errors"]["recipients"][0])
        self.assertEqual(live["slow"]["query"]["time_range"], 300)

        # a re-run sends no write
        before = len(self.hc.writes())
        self.trueup("apply", path)
        self.assertEqual(len(self.hc.writes()), before)

        # drift on the server is corrected, by a PUT that does not carry
        # query_id beside query
        self.hc.modify_trigger("web", live["errors"]["id"],
                               threshold={"value": 5})
        self.assertEqual(self.plan(path), {"errors": "update"})
        self.applied(path)
        put = [w for w in self.hc.writes() if w.method == "PUT"][-1]
        body = json.loads(put.body)
        self.assertNotIn("query_id", body)
        self.assertEqual(body["threshold"]["value"], 10)
        self.assertEqual(len(self.hc.writes()), before + 1)

        # prune deletes an undeclared trigger
        extra = self.hc.add_trigger(
            "web", name="extra", query={"calculations": [{"op": "COUNT"}]},
            threshold={"op": ">", "value": 1})
        self.assertEqual(self.plan(path, "--prune"), {"extra": "delete"})
        self.assertEqual(extra["name"], "extra")
        self.trueup("apply", "--prune", path)
        self.assertEqual(sorted(t["name"] for t in self.hc.triggers("web")),
                         ["errors", "slow"])

        # export, then plan the export (under the same target): no changes
        exported, text = self.exported(path)
        self.assertEqual(text.count("\n- {name: "), 2, text)
        for path_ignored in self.ignore:    # left out of the export too
            self.assertNotRegex(text, r"[{ ]%s:" % path_ignored.split(".")[1])
        self.assertEqual(self.plan(exported), {})


class TestDeclared(Triggers, unittest.TestCase):
    """The recipe as written: compare: declared."""


class TestIgnorePaths(Triggers, unittest.TestCase):
    """The recipe's other way: ignore the paths the server adds."""
    ignore = ["query.time_range", "threshold.exceeded_limit",
              "recipients.id"]

    @staticmethod
    def edit(text):
        text, n = re.subn(r"\n    (query|threshold|recipients): "
                          r"\{compare: declared\}", "", text)
        assert n == 3, "the recipe's compare: declared lines changed"
        return text.replace("  resource:\n", "  resource:\n    ignore: " +
                            flow(TestIgnorePaths.ignore) + "\n", 1)



class TestSLOs(Base, unittest.TestCase):
    """SLOs: a PUT that is not partial (merged sends every field back),
    dataset_slugs the server's."""
    kind = "slos"
    SLOS = [{"name": "availability", "sli": {"alias": "ok_requests"},
             "time_period_days": 30, "target_per_million": 999000},
            {"name": "latency", "sli": {"alias": "fast_requests"},
             "time_period_days": 7, "target_per_million": 990000,
             "tags": [{"key": "team", "value": "web"}]}]

    def test_converge_drift_prune_export(self):
        path = self.write(self.SLOS)
        self.assertEqual(self.plan(path), {"availability": "create",
                                           "latency": "create"})
        self.applied(path)
        writes = len(self.hc.writes())
        self.trueup("apply", path)
        self.assertEqual(len(self.hc.writes()), writes)
        live = {s["name"]: s for s in self.hc.slos("web")}
        self.hc.modify_slo("web", live["latency"]["id"],
                           target_per_million=900000)
        self.assertEqual(self.plan(path), {"latency": "update"})
        self.applied(path)
        put = json.loads(self.hc.writes()[-1].body)
        self.assertEqual(put["target_per_million"], 990000)
        self.assertEqual(put["tags"], [{"key": "team", "value": "web"}])
        self.assertNotIn("dataset_slugs", put)
        self.hc.add_slo("web", name="old", sli={"alias": "x"},
                        time_period_days=1, target_per_million=1)
        self.assertEqual(self.plan(path, "--prune"), {"old": "delete"})
        self.trueup("apply", "--prune", path)
        self.assertEqual(sorted(s["name"] for s in self.hc.slos("web")),
                         ["availability", "latency"])
        exported, text = self.exported(path)
        self.assertEqual(text.count("\n- {name: "), 2, text)
        self.assertEqual(self.plan(exported), {})


class TestRecipeDoc(unittest.TestCase):
    def test_page_shows_the_files_as_they_are(self):
        self.assertEqual(recipe_files_not_shown(
            "honeycomb.md", ["honeycomb/triggers.yaml", "honeycomb/slos.yaml"]),
            [])


if __name__ == "__main__":
    unittest.main()
