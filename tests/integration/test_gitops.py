#!/usr/bin/env python3
"""GitOps against a real json-server 0.17.4: Markdown plans for pull
requests (--format markdown), the report's schema version and target, plan
files (plan --out, apply PLANFILE: exact, stale, altered, used), and shards
(--shard I/N), examples/gitops/ (the GitHub Actions and GitLab CI files:
their trueup command lines run as CI would), and examples/shards/job.yaml (a Kubernetes Indexed Job)
run pod by pod.

Every test starts its own json-server on a free loopback port and stops it
in a cleanup.
"""

import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, by_key, host, results_by_key,  # noqa: E402
                     run_trueup, trueup_available, trueup_binary,
                     write_desired)
from pdns_server import PowerDNS, pdns_unavailable  # noqa: E402
import shards_example  # noqa: E402
import yaml  # noqa: E402  (python3-yaml)

TOKEN = "tu-gitops-token-5d0c2b71"


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s (build it, or set "
                           "TRUEUP)" % trueup_binary())


def name(i):
    return "host%d.example.org." % i


def mx(i, **extra):
    r = {"id": 5000 + i, "name": "mail%d.example.org." % i, "type": "MX",
         "content": "10 mx%d.example.org." % i, "ttl": 3600}
    r.update(extra)
    return r


class GitOpsCase(unittest.TestCase):
    maxDiff = 8000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="trueup-gitops-")
        if not os.environ.get("KEEP_TMP"):
            self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, records):
        srv = JsonServer(records, self.tmp)
        self.addCleanup(srv.stop)
        self.srv = srv.start()
        return self.srv

    def path(self, name):
        return os.path.join(self.tmp, name)

    def target(self, **kw):
        return write_desired(self.path("target.yaml"), self.srv.url, None,
                             auth={"type": "bearer", "token_env": "API_TOKEN"},
                             **kw)

    def records(self, records, fname="records.yaml"):
        return write_desired(self.path(fname), None, records)

    def trueup(self, *args, expect=None, env=None):
        full = {"API_TOKEN": TOKEN}
        full.update(env or {})
        run = run_trueup(list(args), env=full, cwd=self.tmp)
        if expect is not None:
            self.assertEqual(run.code, expect, run.describe())
        self.assertNotIn(TOKEN, run.stdout + run.stderr)
        return run

    def live(self):
        return by_key(self.srv.get_records())


# ---- Markdown ----------------------------------------------------------------

class MarkdownTest(GitOpsCase):
    def setUp(self):
        super().setUp()
        live = [host(i) for i in range(1, 301)] + [mx(i) for i in range(1, 4)]
        self.start(live)
        self.t = self.target()

    def test_grouped_summary_first_and_stable(self):
        recs = self.records([
            {"name": "new.example.org.", "type": "A", "content": "192.0.2.250"},
            {"name": name(1), "type": "A", "content": "198.51.100.1"},
            {"name": "mail1.example.org.", "type": "MX", "state": "absent"},
            {"name": "mail2.example.org.", "type": "MX", "state": "absent"},
        ])
        args = ("plan", "--format", "markdown", self.t, recs,
                "--match", "type=A", "--set", "ttl=600")
        md = self.trueup(*args, expect=0).stdout
        self.assertEqual(md, self.trueup(*args, expect=0).stdout,
                         "the same plan must give the same text")
        lines = md.splitlines()
        self.assertEqual(lines[0], "### trueup plan: 1 to create, 300 to "
                         "update, 2 to delete, 0 failed")
        self.assertIn("`http://127.0.0.1:%d`" % self.srv.port, lines[2])
        self.assertIn("303 records, 0 unchanged.", lines[2])
        # 299 identical TTL changes: one line, names folded
        group = [l for l in lines if l.startswith("- **update** `ttl`")]
        self.assertEqual(group, ["- **update** `ttl` `3600` \u2192 `600` on "
                                 "299 A records"])
        self.assertIn("<details><summary>299 records</summary>", md)
        self.assertIn("`%s|A`" % name(2), md)
        # host1 differs in two fields: a line of its own
        self.assertIn("- **update** `%s|A`: `content` `192.0.2.1` \u2192 "
                      "`198.51.100.1`, `ttl` `3600` \u2192 `600`" % name(1), md)
        self.assertIn("- **delete** 2 MX records", md)
        # order: creates, updates, deletes
        order = [l.split("**")[1] for l in lines if l.startswith("- **")]
        self.assertEqual(order, ["create", "update", "update", "delete"])
        # names within a group are sorted
        names = re.findall(r"`(host\d+\.example\.org\.\|A)`",
                           md.split("<details>")[1].split("</details>")[0])
        self.assertEqual(names, sorted(names))

    def test_values_cannot_inject_markdown(self):
        evil = "x` <b>bold</b> </details> **y**\n# h"
        recs = self.records([{"name": name(5), "type": "A", "content": evil}])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        line = [l for l in md.splitlines() if name(5) in l]
        self.assertEqual(len(line), 1, md)
        self.assertIn("``x` <b>bold</b> </details> **y**\\x0a# h``", line[0])

    def test_long_plan_is_capped(self):
        # 300 different contents: 300 lines that cannot be grouped, each
        # with a long value; the comment must stay under 60,000 bytes
        recs = self.records([{"name": name(i), "type": "A",
                              "content": "v%d-" % i + "x" * 300,
                              "comment": "c%d-" % i + "y" * 300}
                             for i in range(1, 301)])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        self.assertLess(len(md.encode()), 60000)
        shown = len([l for l in md.splitlines() if l.startswith("- **update")])
        self.assertLess(shown, 300)
        self.assertIn("\n%d more records not shown here" % (300 - shown), md)
        self.assertIn("\u2026", md)   # long values are cut

    def test_no_changes(self):
        recs = self.records([{"name": name(1), "type": "A"}])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        self.assertTrue(md.startswith("### trueup plan: 0 to create, 0 to "
                                      "update, 0 to delete, 0 failed\n"), md)
        self.assertIn("\nNo changes.\n", md)

    def test_threshold_warning_and_apply(self):
        recs = self.records([{"name": name(i), "type": "A", "ttl": 60}
                             for i in range(1, 301)])
        strict = self.target(settings={"max_updates": 30})
        md = self.trueup("plan", "--format", "markdown", strict, recs,
                         expect=0).stdout
        self.assertRegex(md, r"\n> \*\*Warning:\*\* .*updates")
        small = self.records([{"name": name(1), "type": "A", "ttl": 60}],
                             "small.yaml")
        md = self.trueup("apply", "--format", "markdown", self.t, small,
                         expect=0).stdout
        self.assertTrue(md.startswith("### trueup apply: 0 created, 1 "
                                      "updated, 0 deleted, 0 failed"), md)

    def test_report_schema_and_target(self):
        recs = self.records([{"name": name(1), "type": "A", "ttl": 60}])
        report = self.trueup("plan", self.t, recs, expect=0).report
        self.assertEqual(report["schema_version"], 1)
        self.assertEqual(report["target"], {
            "provider": "rest", "base_url": self.srv.url,
            "key": ["name", "type"]})
        self.assertNotIn("shard", report)
    def test_replace_group(self):
        self.t = self.target(fields={"content": "immutable"})
        recs = self.records(
            [{"name": name(i), "type": "A", "content": "198.51.100.%d" % i}
             for i in (1, 2, 3)] +
            [{"name": name(4), "type": "A", "ttl": 60},
             {"name": "new.example.org.", "type": "A",
              "content": "192.0.2.250"}])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        lines = md.splitlines()
        self.assertEqual(lines[0], "### trueup plan: 1 to create, 1 to "
                         "update, 0 to delete, 3 to replace, 0 failed")
        for i in (1, 2, 3):
            self.assertIn("- **replace** (delete, then create) `%s|A`: "
                          "`content` `192.0.2.%d` \u2192 `198.51.100.%d`"
                          % (name(i), i, i), lines)
        order = [l.split("**")[1] for l in lines if l.startswith("- **")]
        self.assertEqual(order, ["create", "update"] + ["replace"] * 3)
        md = self.trueup("apply", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        self.assertEqual(md.splitlines()[0], "### trueup apply: 1 created, "
                         "1 updated, 0 deleted, 3 replaced, 0 failed")
        self.assertEqual(self.live()["%s|A" % name(2)]["content"],
                         "198.51.100.2")

    def test_left_alone_and_out_of_scope(self):
        recs = self.records([{"name": name(i), "type": "A"}
                             for i in range(1, 11)])
        rules = self.path("rules.yaml")
        with open(rules, "w") as f:
            f.write('protect:\n  - match: {name: "host29*"}\n'
                    'prune_scope:\n  - match: {type: A}\n')
        rep = self.trueup("plan", "--prune", self.t, recs, rules,
                          expect=0).report
        self.assertEqual((len(rep["left_alone"]), rep["out_of_scope"],
                          rep["deleted"]), (11, 3, 279))
        md = self.trueup("plan", "--prune", "--format", "markdown", self.t,
                         recs, rules, expect=0).stdout
        self.assertIn("279 to delete", md.splitlines()[0])
        self.assertIn("unchanged; 11 left alone (protected or owned); 3 "
                      "outside `prune_scope`.", md.splitlines()[2])
        # without either: the summary says nothing of them
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        self.assertNotIn("left alone", md)
        self.assertNotIn("prune_scope", md)



# ---- plan files ----------------------------------------------------------------

class KeyValueWithPipeTest(GitOpsCase):
    """A key value holding '|' (the label joins the key's values with it):
    the group's shared key field is read from the key's own fields, not by
    splitting the label, so the count still names the type."""

    def test_shared_type_named(self):
        live = [host(1, name="a|1.example.org."),
                host(2, name="a|2.example.org."), host(3)]
        self.start(live)
        self.t = self.target()
        recs = self.records([{"name": r["name"], "type": "A",
                              "content": r["content"], "ttl": 600}
                             for r in live])
        md = self.trueup("plan", "--format", "markdown", self.t, recs,
                         expect=0).stdout
        self.assertIn("- **update** `ttl` `3600` \u2192 `600` on 3 A "
                      "records\n", md)
        self.assertIn("`a|1.example.org.|A`", md)
        # the JSON report keeps the label as it was
        report = json.loads(self.trueup("plan", self.t, recs,
                                        expect=0).stdout)
        self.assertEqual(sorted(r["key"] for r in report["results"]),
                         ["a|1.example.org.|A", "a|2.example.org.|A",
                          "host3.example.org.|A"])


class PlanFileTest(GitOpsCase):
    def setUp(self):
        super().setUp()
        self.start([host(i) for i in range(1, 21)] + [mx(1), mx(2)])
        self.t = self.target()
        self.recs = self.records([
            {"name": "new.example.org.", "type": "A", "content": "192.0.2.250"},
            {"name": name(1), "type": "A", "ttl": 600},
            {"name": name(2), "type": "A", "ttl": 600},
            {"name": "mail1.example.org.", "type": "MX", "state": "absent"},
        ])
        self.plan = self.path("plan.json")

    def make_plan(self, *extra, env=None):
        return self.trueup("plan", "--out", self.plan, self.t, self.recs,
                           *extra, expect=0, env=env)

    def mark(self):
        self.srv.sync_log()
        return self.srv.mark()

    def writes_since(self, mark):
        self.srv.sync_log()
        return self.srv.writes(mark)

    def test_plan_file_content(self):
        self.make_plan()
        with open(self.plan) as f:
            text = f.read()
        pf = json.loads(text)
        self.assertNotIn(TOKEN, text)
        self.assertEqual(pf["format"], "trueup-plan")
        self.assertEqual(pf["format_version"], 1)
        self.assertRegex(pf["trueup_version"], r"^\d+\.\d+\.\d+")
        self.assertRegex(pf["desired_sha256"], r"^[0-9a-f]{64}$")
        self.assertEqual(pf["target"]["auth"],
                         {"type": "bearer", "token_env": "API_TOKEN"})
        self.assertEqual(pf["checksum"]["algorithm"], "sha256")
        self.assertEqual(pf["live_count"], 22)
        changes = {c["key"]: c for c in pf["changes"]}
        self.assertEqual(sorted(changes), sorted([
            "new.example.org.|A", name(1) + "|A", name(2) + "|A",
            "mail1.example.org.|MX"]))
        up = changes[name(1) + "|A"]
        self.assertEqual(up["action"], "update")
        self.assertEqual(up["live"], host(1))
        self.assertEqual(up["changes"], {"ttl": {"before": 3600,
                                                 "after": 600}})
        self.assertNotIn("live", changes["new.example.org.|A"])
        self.assertEqual(changes["mail1.example.org.|MX"]["live"], mx(1))
        # one change per line, so that a diff of two plans reads well
        self.assertEqual(len([l for l in text.splitlines()
                              if l.startswith('    {"key"')]), 4)
        # the same desired state gives the same digest
        first = pf["desired_sha256"]
        self.make_plan()
        with open(self.plan) as f:
            self.assertEqual(json.load(f)["desired_sha256"], first)

    def test_apply_exactly_the_plan_once(self):
        self.make_plan()
        # after the plan: another record drifts and the desired files grow;
        # neither is part of the plan
        self.srv.request("PATCH", "/records/10", {"ttl": 1})
        self.records([{"name": name(i), "type": "A", "ttl": 600}
                      for i in range(1, 21)])
        mark = self.mark()
        report = self.trueup("apply", self.plan, expect=0).report
        self.assertEqual((report["created"], report["updated"],
                          report["deleted"], report["failed"]), (1, 2, 1, 0))
        self.assertEqual(len(self.writes_since(mark)), 4)
        live = self.live()
        self.assertEqual(live[name(1) + "|A"]["ttl"], 600)
        self.assertEqual(live[name(10) + "|A"]["ttl"], 1, "not planned")
        self.assertEqual(live[name(3) + "|A"]["ttl"], 3600)
        self.assertIn("new.example.org.|A", live)
        self.assertNotIn("mail1.example.org.|MX", live)
        with open(self.plan + ".applied") as f:
            marker = json.load(f)
        with open(self.plan) as f:
            self.assertEqual(marker["checksum"],
                             json.load(f)["checksum"]["value"])
        # a second apply is refused, and so is one without the marker
        # (the planned records no longer hold the planned-against values)
        mark = self.mark()
        run = self.trueup("apply", self.plan, expect=1)
        self.assertIn("was applied already", run.stderr)
        self.assertIn("nothing was pushed", run.stderr)
        os.unlink(self.plan + ".applied")
        run = self.trueup("apply", self.plan, expect=1)
        self.assertIn("the plan is stale: 4 planned records changed", run.stderr)
        self.assertIn("new.example.org.|A (exists now: the plan would "
                      "create it)", run.stderr)
        self.assertIn("mail1.example.org.|MX (is gone: the plan would delete "
                      "it)", run.stderr)
        self.assertEqual(self.writes_since(mark), [])

    def test_stale_record_refuses_everything(self):
        self.make_plan()
        self.srv.request("PATCH", "/records/2", {"content": "198.51.100.2"})
        mark = self.mark()
        run = self.trueup("apply", self.plan, expect=1)
        self.assertIn("the plan is stale: 1 planned record changed on the "
                      "server since the plan was made: %s|A (content is now "
                      "198.51.100.2, was 192.0.2.2)" % name(2), run.stderr)
        self.assertEqual(self.writes_since(mark), [])
        self.assertFalse(os.path.exists(self.plan + ".applied"))
        # check mode says the same
        run = self.trueup("plan", self.plan, expect=1)
        self.assertIn("the plan is stale", run.stderr)

    def test_created_since_refuses(self):
        self.make_plan()
        self.srv.request("POST", "/records", {
            "name": "new.example.org.", "type": "A", "content": "192.0.2.7",
            "ttl": 3600})
        mark = self.mark()
        run = self.trueup("apply", self.plan, expect=1)
        self.assertIn("new.example.org.|A (exists now", run.stderr)
        self.assertEqual(self.writes_since(mark), [])

    def test_check_mode_shows_the_plan(self):
        self.make_plan()
        mark = self.mark()
        report = self.trueup("plan", self.plan, expect=0).report
        self.assertEqual(report["mode"], "plan")
        self.assertEqual(sorted(results_by_key(report)), sorted([
            "new.example.org.|A", name(1) + "|A", name(2) + "|A",
            "mail1.example.org.|MX"]))
        self.assertEqual(self.writes_since(mark), [])
        self.assertFalse(os.path.exists(self.plan + ".applied"))
        md = self.trueup("plan", "--format", "markdown", self.plan,
                         expect=0).stdout
        self.assertIn("to update", md.splitlines()[0])

    def test_altered_file_is_refused(self):
        self.make_plan()
        with open(self.plan) as f:
            text = f.read()
        mark = self.mark()
        altered = self.path("altered.json")
        with open(altered, "w") as f:
            f.write(text.replace('"after":600', '"after":6'))
        run = self.trueup("apply", altered, expect=1)
        self.assertIn("was altered after it was written", run.stderr)
        # damaged: cut short
        with open(altered, "w") as f:
            f.write(text[:len(text) // 2])
        run = self.trueup("apply", altered, expect=1)
        self.assertIn("not a trueup plan file", run.stderr)
        self.assertEqual(self.writes_since(mark), [])

    def test_keyed_plan(self):
        key = {"TRUEUP_PLAN_KEY": "k3y-for-plans-0123456789"}
        self.make_plan(env=key)
        with open(self.plan) as f:
            pf = json.load(f)
        self.assertEqual(pf["checksum"]["algorithm"], "hmac-sha256")
        run = self.trueup("apply", self.plan, expect=1)
        self.assertIn("sealed with a key", run.stderr)
        run = self.trueup("apply", self.plan, expect=1,
                          env={"TRUEUP_PLAN_KEY": "another-key-0123"})
        self.assertIn("was altered", run.stderr)
        # a forger who rewrites the file with a plain checksum is refused
        forged = dict(pf)
        del forged["checksum"]
        forged["changes"][1]["desired"]["ttl"] = 6
        canon = json.dumps(forged, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
        import hashlib
        forged["checksum"] = {"algorithm": "sha256", "value":
                              hashlib.sha256(canon.encode()).hexdigest()}
        path = self.path("forged.json")
        with open(path, "w") as f:
            json.dump(forged, f)
        run = self.trueup("apply", path, expect=1, env=key)
        self.assertIn("plain sha256 checksum, but TRUEUP_PLAN_KEY is set",
                      run.stderr)
        # ... which a plain checksum alone does not catch: it detects
        # accidental edits only (docs/plan-file.md)
        self.trueup("plan", path, expect=0)
        self.trueup("apply", self.plan, expect=0, env=key)

    def test_secrets_come_from_the_environment(self):
        self.make_plan()
        run = self.trueup("apply", self.plan, expect=1,
                          env={"API_TOKEN": None})
        self.assertIn("API_TOKEN", run.stderr)
        self.assertIn("not set", run.stderr)
        self.assertFalse(os.path.exists(self.plan + ".applied"))

    def test_options_that_belong_to_the_plan(self):
        self.make_plan()
        for opt in (["--prune"], ["--no-prune"],
                    ["--match", "type=A", "--set", "ttl=1"]):
            run = self.trueup("apply", *opt, self.plan, expect=1)
            self.assertIn("a plan file is applied exactly as it was planned",
                          run.stderr)
        run = self.trueup("apply", "--out", self.path("x.json"), self.t,
                          self.recs, expect=1)
        self.assertIn("--out goes with plan", run.stderr)

    def test_new_plan_resets_the_marker(self):
        self.make_plan()
        self.trueup("apply", self.plan, expect=0)
        self.assertTrue(os.path.exists(self.plan + ".applied"))
        self.records([{"name": name(3), "type": "A", "ttl": 60}])
        self.make_plan()
        self.assertFalse(os.path.exists(self.plan + ".applied"))
        report = self.trueup("apply", self.plan, expect=0).report
        self.assertEqual(report["updated"], 1)


# ---- shards ----------------------------------------------------------------------

def result_set(report):
    return {(r["key"], r["action"], json.dumps(r.get("changes"),
                                               sort_keys=True))
            for r in report["results"]}


class PlanFileIgnoredPathTest(GitOpsCase):
    """A change the target ignores (a path inside a field) does not make a
    plan file stale; a change of what it compares does."""

    def setUp(self):
        super().setUp()
        self.start([host(1, meta={"seen": 1, "team": "dns"})])
        self.t = self.target(resource={"ignore": ["meta.seen"]})
        self.recs = self.records([{"name": name(1), "type": "A",
                                   "ttl": 600}])
        self.plan = self.path("plan.json")
        self.trueup("plan", "--out", self.plan, self.t, self.recs, expect=0)

    def test_an_ignored_path_changed_since(self):
        self.srv.request("PATCH", "/records/1",
                         {"meta": {"seen": 2, "team": "dns"}})
        self.trueup("apply", self.plan, expect=0)
        self.assertEqual(self.live()["%s|A" % name(1)]["ttl"], 600)

    def test_a_compared_path_changed_since(self):
        self.srv.request("PATCH", "/records/1",
                         {"meta": {"seen": 1, "team": "web"}})
        run = self.trueup("apply", self.plan, expect=1)
        self.assertIn("the plan is stale", run.stderr)
        self.assertIn("meta is now", run.stderr)
        self.assertEqual(self.live()["%s|A" % name(1)]["ttl"], 3600)


class ShardTest(GitOpsCase):
    N = 4

    def setUp(self):
        super().setUp()
        live = [host(i) for i in range(1, 201)] + [mx(i) for i in range(1, 11)]
        self.start(live)
        self.t = self.target()
        # 60 updates, 20 deletes by state, 30 creates; prune deletes the MX
        recs = [{"name": name(i), "type": "A", "ttl": 60}
                for i in range(1, 61)]
        recs += [{"name": name(i), "type": "A"} for i in range(61, 181)]
        recs += [{"name": name(i), "type": "A", "state": "absent"}
                 for i in range(181, 201)]
        recs += [{"name": "new%d.example.org." % i, "type": "A",
                  "content": "198.51.100.%d" % i} for i in range(1, 31)]
        self.recs = self.records(recs)

    def test_union_of_shards_is_the_plan(self):
        whole = self.trueup("plan", "--prune", self.t, self.recs,
                            expect=0).report
        self.assertNotIn("shard", whole)
        seen, union, totals = {}, set(), 0
        for i in range(self.N):
            rep = self.trueup("plan", "--prune", "--shard", "%d/%d"
                              % (i, self.N), self.t, self.recs,
                              expect=0).report
            self.assertEqual(rep["shard"], {"index": i, "count": self.N})
            for r in rep["results"]:
                self.assertNotIn(r["key"], seen, "%s in shards %d and %d"
                                 % (r["key"], seen.get(r["key"], -1), i))
                seen[r["key"]] = i
            union |= result_set(rep)
            totals += rep["total"]
            self.assertGreater(len(rep["results"]), 0, "a shard is empty")
        self.assertEqual(union, result_set(whole))
        self.assertEqual(totals, whole["total"])
        self.assertEqual(len(whole["results"]), 60 + 20 + 30 + 10)
        # stable: the same split on every run
        again = self.trueup("plan", "--prune", "--shard", "1/4", self.t,
                            self.recs, expect=0).report
        self.assertEqual({r["key"] for r in again["results"]},
                         {k for k, i in seen.items() if i == 1})

    def test_prune_stays_in_its_shard(self):
        # desired: only the first 20 hosts; prune would delete the rest
        few = self.records([{"name": name(i), "type": "A"}
                            for i in range(1, 21)], "few.yaml")
        before = self.live()
        whole = self.trueup("plan", "--prune", self.t, few, expect=0).report
        shard_of = {}
        for i in range(self.N):
            rep = self.trueup("plan", "--prune", "--shard", "%d/4" % i,
                              self.t, few, expect=0).report
            for r in rep["results"]:
                shard_of[r["key"]] = i
        self.assertEqual(set(shard_of), set(results_by_key(whole)))
        rep = self.trueup("apply", "--prune", "--force", "--shard", "2/4",
                          self.t, few, expect=0).report
        deleted = {r["key"] for r in rep["results"]
                   if r["action"] == "delete" and r["status"] == "ok"}
        self.assertEqual(deleted, {k for k, i in shard_of.items() if i == 2})
        after = self.live()
        for k in before:
            if shard_of.get(k) == 2:
                self.assertNotIn(k, after)
            else:
                self.assertEqual(after.get(k), before[k],
                                 "%s is another shard's" % k)

    def test_sharded_plan_file(self):
        plan = self.path("plan-1.json")
        self.trueup("plan", "--out", plan, "--shard", "1/4", self.t,
                    self.recs, expect=0)
        with open(plan) as f:
            self.assertEqual(json.load(f)["shard"], {"index": 1, "count": 4})
        rep = self.trueup("apply", plan, expect=0).report
        self.assertEqual(rep["shard"], {"index": 1, "count": 4})
        self.assertGreater(rep["succeeded"], 0)
        run = self.trueup("apply", "--shard", "1/4", plan, expect=1)
        self.assertIn("--shard belongs to 'trueup plan --out'", run.stderr)

    def test_bad_shard(self):
        for bad in ("4/4", "-1/4", "1/0", "a/4", "1/", "1/4x", "1"):
            run = self.trueup("plan", "--shard", bad, self.t, self.recs,
                              expect=1)
            self.assertIn("--shard: shard '%s' is not I/N" % bad, run.stderr)


GITOPS_DIR = os.path.join(os.path.dirname(shards_example.EXAMPLE_DIR),
                          "gitops")


def ci_commands(node):
    """Every line starting with `trueup ` in the string values of a loaded
    CI file (run: blocks, script: items), in document order."""
    if isinstance(node, dict):
        return [c for v in node.values() for c in ci_commands(v)]
    if isinstance(node, list):
        return [c for v in node for c in ci_commands(v)]
    if isinstance(node, str):
        return [line.strip() for line in node.splitlines()
                if line.strip().startswith("trueup ")]
    return []


class GitOpsExampleTest(GitOpsCase):
    """examples/gitops/: both CI files are valid YAML with the expected
    jobs, and their trueup command lines, run in a checkout of the example
    against json-server, plan (exit 2, plan.md and plan.json written),
    apply the saved plan, and converge."""

    def load(self, fname):
        with open(os.path.join(GITOPS_DIR, fname)) as f:
            return yaml.safe_load(f)

    def run_line(self, line, repo, expect):
        argv = shlex.split(line)
        self.assertEqual(argv[0], "trueup")
        run = run_trueup(argv[1:], env={"API_TOKEN": TOKEN}, cwd=repo)
        self.assertEqual(run.code, expect, "%s\n%s" % (line, run.describe()))
        self.assertNotIn(TOKEN, run.stdout + run.stderr)
        return run

    def check_flow(self, plan_line, apply_line):
        live = [host(i) for i in range(1, 16)]
        self.start(live)
        repo = shards_example.copy_example(
            self.path("repo-%d" % len(os.listdir(self.tmp))), self.srv.url,
            GITOPS_DIR, os.path.join("trueup", "target.yaml"))
        self.run_line(plan_line, repo, 2)
        with open(os.path.join(repo, "plan.md")) as f:
            md = f.read()
        self.assertIn("host13.example.org.", md)  # pruned: in the plan
        self.assertTrue(os.path.exists(os.path.join(repo, "plan.json")))
        self.assertEqual(self.srv.get_records(), live)
        self.run_line(apply_line, repo, 0)
        self.assertTrue(os.path.exists(os.path.join(repo,
                                                    "plan.json.applied")))
        self.run_line(apply_line, repo, 1)     # a plan applies once
        self.run_line(plan_line, repo, 0)      # converged: nothing pending
        got = {k: v["ttl"] for k, v in self.live().items()}
        want = {"host%d.example.org.|A" % i: 600 for i in range(1, 13)}
        want["www.example.org.|CNAME"] = 3600
        self.assertEqual(got, want)
        # an error is exit 1: the CI job fails on it
        with open(os.path.join(repo, "trueup", "records.yaml"), "a") as f:
            f.write("  - {name: bad.example.org., bogus_key: [\n")
        self.run_line(plan_line, repo, 1)

    def test_github_actions(self):
        wf = self.load("github-actions.yml")
        self.assertEqual(set(wf["jobs"]), {"plan", "apply"})
        self.assertIn("pull_request", wf[True])   # YAML 1.1 reads on: as true
        self.assertEqual(wf[True]["push"]["branches"], ["main"])
        steps = " ".join(json.dumps(s) for s in wf["jobs"]["plan"]["steps"])
        self.assertIn("gh pr comment", steps)
        self.assertIn("actions/upload-artifact", steps)
        plan = ci_commands(wf["jobs"]["plan"])
        apply = ci_commands(wf["jobs"]["apply"])
        self.assertEqual(len(plan), 1, plan)
        self.assertEqual(len(apply), 1, apply)
        self.assertIn("--detailed-exitcode", plan[0])
        self.check_flow(plan[0], apply[0])

    def test_gitlab_ci(self):
        ci = self.load("gitlab-ci.yml")
        self.assertEqual(ci["stages"], ["plan", "apply"])
        self.assertIn("merge_request_event",
                      ci["trueup-plan"]["rules"][0]["if"])
        self.assertIn("plan.json", ci["trueup-plan"]["artifacts"]["paths"])
        self.assertIn("/notes", " ".join(ci["trueup-plan"]["script"]))
        plan = ci_commands(ci["trueup-plan"])
        apply = ci_commands(ci["trueup-apply"])
        self.assertEqual((len(plan), len(apply)), (1, 1), (plan, apply))
        self.check_flow(plan[0], apply[0])


class KubernetesJobExampleTest(GitOpsCase):
    """examples/shards/job.yaml: every pod's command, as Kubernetes would
    run it (JOB_COMPLETION_INDEX expanded, the ConfigMap's files mounted),
    run for each index 0 .. completions-1 against one json-server."""

    def job(self):
        with open(os.path.join(shards_example.EXAMPLE_DIR, "job.yaml")) as f:
            job = yaml.safe_load(f)
        self.assertEqual((job["apiVersion"], job["kind"]), ("batch/v1", "Job"))
        spec = job["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        self.assertGreater(spec["parallelism"], 1)
        self.assertLessEqual(spec["parallelism"], spec["completions"])
        container = spec["template"]["spec"]["containers"][0]
        mount = container["volumeMounts"][0]["mountPath"]
        return spec["completions"], container, mount

    def pod_argv(self, container, index, mount, files):
        """The pod's argv: $(VAR) expanded as Kubernetes does, trueup and
        the mounted ConfigMap directory mapped to this machine."""
        argv = container["command"] + container.get("args", [])
        self.assertEqual(argv[0], "trueup")
        out = [trueup_binary()]
        for a in argv[1:]:
            a = a.replace("$(JOB_COMPLETION_INDEX)", str(index))
            self.assertNotIn("$(", a, "unexpanded variable in %r" % a)
            out.append(a.replace(mount, files))
        return out

    def test_every_index(self):
        self.start(shards_example.live_records())
        example = shards_example.copy_example(self.path("shards"),
                                              self.srv.url)
        n, container, mount = self.job()
        self.assertIn("--shard", container["args"])
        shard_arg = container["args"][container["args"].index("--shard") + 1]
        self.assertEqual(shard_arg, "$(JOB_COMPLETION_INDEX)/%d" % n,
                         "the shard count must be completions")
        env = {e["name"] for e in container["env"]}
        self.assertIn("API_TOKEN", env)
        whole = self.trueup("plan", os.path.join(example, "target.yaml"),
                            os.path.join(example, "records.yaml"),
                            expect=0).report
        seen = {}
        for i in range(n):
            argv = self.pod_argv(container, i, mount, example)
            run = run_trueup(argv[1:], env={"API_TOKEN": TOKEN},
                             cwd=self.tmp)
            self.assertEqual(run.code, 0, run.describe())
            self.assertNotIn(TOKEN, run.stdout + run.stderr)
            rep = run.report
            self.assertEqual(rep["shard"], {"index": i, "count": n})
            for r in rep["results"]:
                self.assertEqual(r["status"], "ok", r)
                self.assertNotIn(r["key"], seen)
                seen[r["key"]] = i
        self.assertEqual(set(seen), {r["key"] for r in whole["results"]})
        self.assertEqual(len(set(seen.values())), n, "an index had nothing")
        self.assertEqual(shards_example.without_ids(self.srv.get_records()),
                         shards_example.expected_records())


class PowerDNSShardTest(unittest.TestCase):
    """--shard on PowerDNS: by zone, so each zone's batches stay in one."""

    @classmethod
    def setUpClass(cls):
        reason = pdns_unavailable()
        if reason:
            if os.environ.get("CI"):
                raise RuntimeError("CI must run the PowerDNS tests: " + reason)
            raise unittest.SkipTest(reason)
        cls.pdns = PowerDNS()
        cls.addClassCleanup(cls.pdns.cleanup)
        cls.pdns.start()
        cls.tmp = tempfile.mkdtemp(prefix="trueup-pdns-shard-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.zones = ["z%d.shard.test." % i for i in range(8)]
        for z in cls.zones:
            cls.pdns.create_zone(z, [
                {"name": "h%d.%s" % (i, z), "type": "A", "ttl": 300,
                 "records": ["192.0.2.%d" % i]} for i in range(1, 6)])

    def write(self, name, records):
        lines = ["target:", "  provider: powerdns",
                 "  base_url: %s" % json.dumps(self.pdns.base_url),
                 "  zones: %s" % json.dumps(self.zones),
                 "  auth: {type: header, name: X-API-Key, "
                 "value_env: PDNS_API_KEY}",
                 "records:"] + ["  - %s" % json.dumps(r) for r in records]
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def trueup(self, *args):
        run = run_trueup(list(args), env={"PDNS_API_KEY": self.pdns.api_key})
        self.assertEqual(run.code, 0, run.describe())
        return run.report

    def test_split_by_zone(self):
        # every zone: h1 gets a new TTL, h2 goes, n1 is new; prune takes
        # h5 (h3 and h4 are declared as they are)
        recs = []
        for z in self.zones:
            recs += [{"name": "h1." + z, "type": "A", "ttl": 60,
                      "records": ["192.0.2.1"]},
                     {"name": "h2." + z, "type": "A", "state": "absent"},
                     {"name": "h3." + z, "type": "A", "ttl": 300,
                      "records": ["192.0.2.3"]},
                     {"name": "h4." + z, "type": "A", "ttl": 300,
                      "records": ["192.0.2.4"]},
                     {"name": "n1." + z, "type": "A", "ttl": 300,
                      "records": ["198.51.100.1"]}]
        path = self.write("zones.yaml", recs)
        whole = self.trueup("plan", "--prune", path)
        union, zone_shard = set(), {}
        for i in range(3):
            rep = self.trueup("plan", "--prune", "--shard", "%d/3" % i, path)
            union |= result_set(rep)
            for r in rep["results"]:
                zone = r["key"].split("|")[0].split(".", 1)[1]
                self.assertEqual(zone_shard.setdefault(zone, i), i,
                                 "zone %s is in two shards" % zone)
        self.assertEqual(union, result_set(whole))
        self.assertEqual(len(whole["results"]), 8 * 4)
        self.assertEqual(sorted(zone_shard), sorted(self.zones))
        self.assertGreater(len(set(zone_shard.values())), 1)
        # apply one shard with prune: only its zones change
        mine = {z for z, i in zone_shard.items() if i == 0}
        before = {z: self.pdns.rrsets(z, include_soa=False)
                  for z in self.zones}
        self.trueup("apply", "--prune", "--shard", "0/3", path)
        for z in self.zones:
            after = self.pdns.rrsets(z, include_soa=False)
            if z in mine:
                self.assertNotIn(("h5." + z, "A"), after)
                self.assertIn(("n1." + z, "A"), after)
            else:
                self.assertEqual(after, before[z], "zone %s changed" % z)


if __name__ == "__main__":
    unittest.main()
