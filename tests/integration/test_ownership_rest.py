"""Protect rules, prune scope and ownership marks in a REST field, against a
real json-server (one server for the file).

- `protect` keeps a record from prune (listed in left_alone with the rule)
  while a declared protected record is still changed;
- `prune_scope` limits prune, and the report counts what it left out;
- with settings.owner and target.resource.owner_field: records are created
  with the mark, adopted by export + apply, pruned only when marked as this
  owner's, another owner's record is refused until `takeover: true`.
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, by_key, records_yaml, run_trueup,  # noqa
                     target_yaml, trueup_available)


def setUpModule():
    if not trueup_available():
        raise unittest.SkipTest("the trueup binary is not built")


def rec(i, name, **extra):
    r = {"id": i, "name": name, "type": "A", "content": "192.0.2.%d" % i}
    r.update(extra)
    return r


def want(name, **extra):
    r = {"name": name, "type": "A", "content": "192.0.2.1"}
    r.update(extra)
    return r


class Rest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="trueup-own-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.server = JsonServer([], tmpdir=cls.tmp.name)
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()

    def setUp(self):
        self.server.reset([])

    def file(self, name, text):
        path = os.path.join(self.tmp.name, "%s-%s" % (self._testMethodName,
                                                      name))
        with open(path, "w") as f:
            f.write(text)
        return path

    def desired(self, records, extra="", resource=None, settings=None):
        text = target_yaml(self.server.url, resource=resource)
        if settings:
            text += "settings: %s\n" % json.dumps(settings)
        return self.file("desired.yaml", text + records_yaml(records) + extra)

    def trueup(self, *args, expect=0):
        run = run_trueup(list(args))
        self.assertEqual(run.code, expect, run.describe())
        return run

    def live(self):
        return by_key(self.server.get_records())

    def test_protect_and_scope(self):
        self.server.reset([rec(1, "guest"), rec(2, "q.old"), rec(3, "other"),
                           rec(4, "q.admin")])
        path = self.desired(
            [want("guest")],
            extra='protect:\n  - match: {name: [guest, "*.admin"]}\n'
                  'prune_scope:\n  - match: {name: "q.*"}\n')
        with open(path) as f:
            line = 1 + [i for i, t in enumerate(f) if "guest, " in t][0]
        rep = self.trueup("apply", "--prune", "--force", path).report
        self.assertEqual(sorted(self.live()), ["guest|A", "other|A",
                                               "q.admin|A"])
        self.assertEqual(self.live()["guest|A"]["content"], "192.0.2.1")
        self.assertEqual(rep["out_of_scope"], 1)
        self.assertEqual(rep["left_alone"], [{
            "key": "q.admin|A",
            "reason": "protected by protect[0] (%s:%d)" % (path, line)}])

    def test_ownership_marks(self):
        self.server.reset([rec(1, "old"), rec(2, "theirs", owner="b")])
        res = {"owner_field": "owner"}
        a = {"owner": "a"}
        path = self.desired([want("www")], resource=res, settings=a)
        rep = self.trueup("apply", "--prune", path).report
        self.assertEqual((rep["created"], rep["deleted"], rep["not_owned"]),
                         (1, 0, 2))
        self.assertEqual(self.live()["www|A"]["owner"], "a")
        self.trueup("plan", "--detailed-exitcode", "--prune", path)
        # dropped from the file, www goes: it carries a's mark
        path = self.desired([want("theirs")], resource=res, settings=a)
        run = self.trueup("apply", "--prune", path, expect=3)
        results = {r["key"]: r for r in run.report["results"]}
        self.assertEqual(results["www|A"]["action"], "delete")
        self.assertEqual(results["theirs|A"]["refused"], "owned")
        self.assertNotIn("www|A", self.live())
        self.assertEqual(self.live()["theirs|A"]["owner"], "b")
        path = self.desired([want("theirs", takeover=True)], resource=res,
                            settings=a)
        self.trueup("apply", path)
        self.assertEqual(self.live()["theirs|A"]["owner"], "a")
        # a record may not declare another mark
        path = self.desired([want("x", owner="c")], resource=res, settings=a)
        run = self.trueup("plan", path, expect=1)
        self.assertIn("'owner' holds the ownership mark", run.stderr)
        # no owner_field: settings.owner is an error naming the key
        path = self.desired([want("x")], settings=a)
        run = self.trueup("plan", path, expect=1)
        self.assertIn("target.resource.owner_field", run.stderr)

    def test_adopt_by_export(self):
        self.server.reset([rec(1, "a"), rec(2, "b")])
        res = {"owner_field": "owner"}
        target = self.file("target.yaml", target_yaml(
            self.server.url, resource=res) + 'settings: {owner: ops}\n')
        exported = self.file("export.yaml",
                             self.trueup("export", target).stdout)
        rep = self.trueup("apply", target, exported).report
        self.assertEqual(rep["updated"], 2)
        self.assertEqual({k: r["owner"] for k, r in self.live().items()},
                         {"a|A": "ops", "b|A": "ops"})
        # now theirs to prune
        rep = self.trueup("apply", "--prune", "--force", target).report
        self.assertEqual(rep["deleted"], 2)
        self.assertEqual(self.live(), {})


if __name__ == "__main__":
    unittest.main(verbosity=2)
