#!/usr/bin/env python3
"""trueup's command line against a real REST API (json-server 0.17.4), and
against an in-process recording server where the tests need to see request
headers and bodies.

Every class starts its own server(s) on free loopback ports and stops them in
its cleanups, whatever happens. Classes whose tests modify the data start a
fresh json-server per test; the others share one per class and only make runs
that must not write.
"""

import base64
import json
import os
import re
import shutil
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, RecordingServer, by_key, desired_yaml,  # noqa: E402
                     free_port, host, results_by_key, run_trueup,
                     trueup_available, trueup_binary, write_desired, write_yaml)

TOKEN = "tu-secret-token-7c1e5a90b3"
REPORT_KEYS = {"mode", "changed", "total", "succeeded", "skipped", "failed",
               "created", "updated", "deleted", "requests", "write_requests",
               "elapsed_ms", "results"}
COUNT_KEYS = ("total", "succeeded", "skipped", "failed", "created", "updated",
              "deleted", "requests", "write_requests", "elapsed_ms")


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s (build it, or set "
                           "TRUEUP)" % trueup_binary())


def std_records(n=200):
    return [host(i) for i in range(1, n + 1)]


def name(i):
    return "host%d.example.org." % i


def desired_host(i, **extra):
    """Host i as a desired record: no id, ttl left to defaults."""
    r = {"name": name(i), "type": "A", "content": "192.0.2.%d" % (i % 250)}
    r.update(extra)
    return r


def absent(i):
    return {"name": name(i), "type": "A", "state": "absent"}


def main_desired_records():
    """The main scenario: 50 differ (ttl 600 on hosts 1..50), 145 identical
    (51..195), 5 absent (196..200), 10 new (201..210)."""
    recs = []
    for i in range(1, 196):
        recs.append(desired_host(i, ttl=600) if i <= 50 else desired_host(i))
    recs += [absent(i) for i in range(196, 201)]
    recs += [desired_host(i) for i in range(201, 211)]
    return recs


def main_expected_state():
    """{key: record without id} after applying the main scenario, and
    {key: id} for the records that keep theirs."""
    state, ids = {}, {}
    for i in range(1, 196):
        r = host(i, ttl=600) if i <= 50 else host(i)
        ids["%s|A" % name(i)] = r.pop("id")
        state["%s|A" % name(i)] = r
    for i in range(201, 211):
        state["%s|A" % name(i)] = desired_host(i, ttl=3600)
    return state, ids


def line_of(text, needle, nth=1):
    """1-based number of the line holding the nth occurrence of needle."""
    seen = 0
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return n
    raise AssertionError("%r not found %d times" % (needle, nth))


def page_query(path):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    return {k: v[0] for k, v in q.items()}


class TrueupTestCase(unittest.TestCase):
    maxDiff = 6000

    # -- temp dirs and servers; all removed/stopped by cleanups
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="trueup-it-")
        if not os.environ.get("KEEP_TMP"):
            self.addCleanup(shutil.rmtree, self.tmp, True)

    def start_json_server(self, records):
        srv = JsonServer(records, self.tmp)
        self.addCleanup(srv.stop)
        return srv.start()

    @classmethod
    def start_class_json_server(cls, records):
        srv = JsonServer(records)
        cls.addClassCleanup(srv.cleanup)
        return srv.start()

    def assert_data_unchanged(self, srv, records):
        """For servers shared by a class: the data must still be `records`;
        if not, restore it (so later tests start clean) and fail."""
        now = srv.get_records()
        if now != records:
            srv.reset(records)
            self.assertEqual(now, records, "the shared server's data changed")

    def path(self, fname):
        return os.path.join(self.tmp, fname)

    def desired(self, fname, url, records, **kw):
        return write_desired(self.path(fname), url, records, **kw)

    # -- running
    def trueup(self, *args, expect=None, env=None):
        run = run_trueup(list(args), env=env)
        if expect is not None:
            self.assertEqual(run.code, expect, run.describe())
        return run

    # -- report checks
    def check_report(self, run, **expected):
        """Parse the report, check its shape and invariants, and compare the
        given fields exactly."""
        rep = run.report
        self.assertTrue(REPORT_KEYS <= set(rep), "missing report keys %s\n%s"
                        % (sorted(REPORT_KEYS - set(rep)), run.describe()))
        for k in COUNT_KEYS:
            self.assertIsInstance(rep[k], int, k)
            self.assertNotIsInstance(rep[k], bool, k)
            self.assertGreaterEqual(rep[k], 0, k)
        self.assertIsInstance(rep["changed"], bool)
        self.assertIsInstance(rep["results"], list)
        self.assertLessEqual(rep["write_requests"], rep["requests"])
        changes = rep["created"] + rep["updated"] + rep["deleted"]
        if rep["mode"] == "apply":
            self.assertEqual(rep["succeeded"], changes, "succeeded = created+updated+deleted")
            self.assertEqual(rep["total"], rep["succeeded"] + rep["skipped"] + rep["failed"],
                             "total = succeeded+skipped+failed")
        else:
            self.assertEqual(rep["mode"], "plan")
            self.assertEqual(rep["succeeded"], 0)
            self.assertEqual(rep["write_requests"], 0)
            self.assertEqual(rep["total"], changes + rep["skipped"] + rep["failed"],
                             "plan: total = planned changes+skipped+failed")
        self.assertEqual(len(rep["results"]), changes + rep["failed"],
                         "results list every change and failure, never skips")
        for r in rep["results"]:
            self.assertIsInstance(r.get("key"), str, r)
            if r.get("status") != "failed":
                self.assertIn(r.get("action"), ("create", "update", "delete"), r)
            want = ("planned", "failed") if rep["mode"] == "plan" else ("ok", "failed")
            self.assertIn(r.get("status"), want, r)
            if r["status"] == "failed":
                self.assertIsInstance(r.get("error"), str, r)
                self.assertTrue(r["error"], r)
        got = {k: rep.get(k) for k in expected}
        self.assertEqual(got, expected, run.describe())
        return rep

    def assert_no_token(self, run, secret=TOKEN):
        self.assertNotIn(secret, run.stdout, "secret printed on stdout")
        self.assertNotIn(secret, run.stderr, "secret printed on stderr")

    def assert_error_at(self, run, fname, line):
        """exit 1 and stderr `trueup: error: ...FNAME:LINE[:COL]: ...`."""
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("trueup: error:", run.stderr, run.describe())
        self.assertRegex(run.stderr, r"%s:%d(:\d+)?:" % (re.escape(fname), line),
                         run.describe())

    def assert_state(self, records, expected, ids):
        """records (from the server) equal `expected` ({key: record w/o id});
        keys in `ids` keep that id, the others have unique integer ids."""
        got = by_key(records)
        self.assertEqual(sorted(got), sorted(expected))
        seen_ids = set()
        for k, want in expected.items():
            rec = dict(got[k])
            rid = rec.pop("id", None)
            self.assertIsInstance(rid, int, k)
            self.assertNotIn(rid, seen_ids, "id %r twice" % rid)
            seen_ids.add(rid)
            if k in ids:
                self.assertEqual(rid, ids[k], k)
            self.assertEqual(rec, want, k)


# ---- a) the main scenario, n) concurrency 1, --quiet, --output ----------------

class MainScenarioTest(TrueupTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.start_json_server(std_records())
        self.file = self.desired("zone.yaml", self.srv.url, main_desired_records(),
                                 defaults={"ttl": 3600})

    def check_first_apply(self, run):
        self.assertEqual(run.code, 0, run.describe())
        rep = self.check_report(
            run, mode="apply", changed=True, total=210, created=10, updated=50,
            deleted=5, succeeded=65, skipped=145, failed=0, requests=66,
            write_requests=65)
        res = results_by_key(rep)
        want_keys = {"%s|A" % name(i) for i in
                     list(range(1, 51)) + list(range(196, 211))}
        self.assertEqual(set(res), want_keys)
        for i in range(1, 51):
            r = res["%s|A" % name(i)]
            self.assertEqual((r["action"], r["status"], r.get("http_status"),
                              r.get("attempts")), ("update", "ok", 200, 1), r)
            self.assertEqual(r.get("changes"), {"ttl": {"before": 3600, "after": 600}}, r)
        for i in range(201, 211):
            r = res["%s|A" % name(i)]
            self.assertEqual((r["action"], r["status"], r.get("http_status"),
                              r.get("attempts")), ("create", "ok", 201, 1), r)
            self.assertEqual(r.get("changes"), {
                "name": {"after": name(i)}, "type": {"after": "A"},
                "content": {"after": "192.0.2.%d" % i}, "ttl": {"after": 3600}}, r)
        for i in range(196, 201):
            r = res["%s|A" % name(i)]
            self.assertEqual((r["action"], r["status"], r.get("http_status"),
                              r.get("attempts")), ("delete", "ok", 200, 1), r)

    def check_first_apply_log(self, mark):
        want = ([("GET", "/records", 200)]
                + [("PATCH", "/records/%d" % i, 200) for i in range(1, 51)]
                + [("POST", "/records", 201)] * 10
                + [("DELETE", "/records/%d" % i, 200) for i in range(196, 201)])
        self.assertEqual(sorted(self.srv.requests(mark)), sorted(want))

    def check_second_apply(self, run, mark):
        self.assertEqual(run.code, 0, run.describe())
        rep = self.check_report(
            run, mode="apply", changed=False, total=210, created=0, updated=0,
            deleted=0, succeeded=0, skipped=210, failed=0, requests=1,
            write_requests=0, results=[])
        self.assertEqual(self.srv.requests(mark), [("GET", "/records", 200)],
                         "the second apply must send no write request at all")
        return rep

    def check_final_state(self):
        expected, ids = main_expected_state()
        self.assert_state(self.srv.get_records(), expected, ids)
        self.srv.stop()
        self.assert_state(self.srv.records_on_disk(), expected, ids)

    def test_apply_then_apply_again_changes_nothing(self):
        mark = self.srv.mark()
        self.check_first_apply(self.trueup("apply", self.file))
        self.check_first_apply_log(mark)
        expected, ids = main_expected_state()
        self.assert_state(self.srv.get_records(), expected, ids)

        mark = self.srv.mark()
        self.check_second_apply(self.trueup("apply", self.file), mark)
        self.check_final_state()

    def test_concurrency_one_gives_the_same_result(self):
        mark = self.srv.mark()
        self.check_first_apply(self.trueup("apply", "-c", "1", self.file))
        self.check_first_apply_log(mark)
        mark = self.srv.mark()
        self.check_second_apply(self.trueup("apply", "--concurrency", "1", self.file), mark)
        self.check_final_state()

    def test_quiet_and_output_file(self):
        out = self.path("report.json")
        run = self.trueup("apply", "--quiet", "-o", out, self.file, expect=0)
        self.assertEqual(run.stdout, "", "--quiet prints no report on stdout")
        self.assertEqual(run.stderr, "", "--quiet: no progress, no error")
        with open(out) as f:
            rep = json.load(f)
        self.assertEqual({k: rep.get(k) for k in
                          ("mode", "changed", "total", "created", "updated",
                           "deleted", "succeeded", "skipped", "failed")},
                         {"mode": "apply", "changed": True, "total": 210,
                          "created": 10, "updated": 50, "deleted": 5,
                          "succeeded": 65, "skipped": 145, "failed": 0})
        self.assertEqual(len(rep["results"]), 65)
        self.assertEqual(sorted(f for f in os.listdir(self.tmp) if "report" in f),
                         ["report.json"], "no temporary report file left behind")

        mark = self.srv.mark()
        run = self.trueup("apply", "-q", self.file, expect=0)
        self.assertEqual(run.stdout, "")
        self.assertEqual(self.srv.requests(mark), [("GET", "/records", 200)])
        self.check_final_state()


# ---- b) plan never writes, c) --detailed-exitcode, m) --format text -----------

class PlanTest(TrueupTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_json_server(std_records())

    def setUp(self):
        super().setUp()
        self.changes = self.desired("changes.yaml", self.srv.url,
                                    main_desired_records(), defaults={"ttl": 3600})
        self.same = self.desired("same.yaml", self.srv.url,
                                 [desired_host(i) for i in range(1, 201)],
                                 defaults={"ttl": 3600})

    def tearDown(self):
        # Whatever a test did, plan must have left the data alone.
        self.assert_data_unchanged(self.srv, std_records())

    def test_plan_never_writes(self):
        mark = self.srv.mark()
        run = self.trueup("plan", self.changes, expect=0)
        rep = self.check_report(
            run, mode="plan", changed=True, total=210, succeeded=0, skipped=145,
            failed=0, created=10, updated=50, deleted=5, requests=1,
            write_requests=0)
        self.assertEqual(self.srv.requests(mark), [("GET", "/records", 200)])
        res = results_by_key(rep)
        self.assertEqual(len(res), 65)
        for i in range(1, 51):
            r = res["%s|A" % name(i)]
            self.assertEqual((r["action"], r["status"]), ("update", "planned"), r)
            self.assertEqual(r.get("changes"), {"ttl": {"before": 3600, "after": 600}}, r)
        for i in range(201, 211):
            r = res["%s|A" % name(i)]
            self.assertEqual((r["action"], r["status"]), ("create", "planned"), r)
            self.assertEqual(r.get("changes"), {
                "name": {"after": name(i)}, "type": {"after": "A"},
                "content": {"after": "192.0.2.%d" % i}, "ttl": {"after": 3600}}, r)
        for i in range(196, 201):
            r = res["%s|A" % name(i)]
            self.assertEqual((r["action"], r["status"]), ("delete", "planned"), r)

    def test_plan_with_prune_never_writes(self):
        f = self.desired("half.yaml", self.srv.url,
                         [desired_host(i) for i in range(1, 101)],
                         defaults={"ttl": 3600})
        mark = self.srv.mark()
        run = self.trueup("plan", "--prune", f, expect=0)
        rep = self.check_report(run, mode="plan", changed=True, total=200,
                                created=0, updated=0, deleted=100, skipped=100,
                                failed=0)
        # deleting half of the records passes the 30% delete threshold: the
        # plan says so; an apply would refuse (see SafetyTest)
        self.assertEqual(rep["warnings"], [
            "too many deletes: 50.00% is over 30% (100 of 200 live records); "
            "review the plan, or raise settings.max_deletes"])
        self.assertIs(rep["threshold_exceeded"], True)
        self.assertIn("trueup: hint: --force goes past the safety thresholds",
                      run.stderr)
        self.assertEqual(set(results_by_key(rep)),
                         {"%s|A" % name(i) for i in range(101, 201)})
        self.assertEqual(self.srv.requests(mark), [("GET", "/records", 200)])

    def test_detailed_exitcode(self):
        mark = self.srv.mark()
        run = self.trueup("plan", "--detailed-exitcode", self.changes, expect=2)
        self.check_report(run, mode="plan", changed=True, updated=50)
        run = self.trueup("plan", self.changes, expect=0)
        self.check_report(run, mode="plan", changed=True, updated=50)
        run = self.trueup("plan", "--detailed-exitcode", self.same, expect=0)
        self.check_report(run, mode="plan", changed=False, total=200, skipped=200,
                          created=0, updated=0, deleted=0, failed=0, results=[])
        run = self.trueup("plan", self.same, expect=0)
        self.check_report(run, mode="plan", changed=False, skipped=200)
        self.assertEqual(self.srv.writes(mark), [])

    def test_format_text(self):
        mark = self.srv.mark()
        run = self.trueup("plan", "--format", "text", self.changes, expect=0)
        out = run.stdout
        with self.assertRaises(ValueError, msg="--format text is not JSON"):
            json.loads(out)
        self.assertRegex(out, r"(?m)^~ host1\.example\.org\.\|A\s+ttl: 3600 → 600\s*$")
        self.assertRegex(out, r"(?m)^~ host50\.example\.org\.\|A\s+ttl: 3600 → 600\s*$")
        self.assertRegex(out, r"(?m)^\+ host201\.example\.org\.\|A\b")
        self.assertRegex(out, r"(?m)^\+ host210\.example\.org\.\|A\b")
        self.assertRegex(out, r"(?m)^- host196\.example\.org\.\|A\b")
        self.assertRegex(out, r"(?m)^- host200\.example\.org\.\|A\b")
        self.assertNotRegex(out, r"host51\.example\.org\.", "skipped records are not listed")
        self.assertEqual(len(re.findall(r"(?m)^~ ", out)), 50)
        self.assertEqual(len(re.findall(r"(?m)^\+ ", out)), 10)
        self.assertEqual(len(re.findall(r"(?m)^- ", out)), 5)
        summary = [ln for ln in out.splitlines()
                   if not ln.startswith(("~ ", "+ ", "- "))
                   and re.search(r"\b10\b", ln) and re.search(r"\b50\b", ln)
                   and re.search(r"\b5\b", ln)]
        self.assertTrue(summary, "a summary line with the counts 10, 50, 5:\n" + out)
        self.assertEqual(self.srv.writes(mark), [])


# ---- d) pagination ----------------------------------------------------------------

class PaginationTest(TrueupTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_json_server(std_records())

    def tearDown(self):
        self.assert_data_unchanged(self.srv, std_records())

    def same_records(self):
        return [desired_host(i, ttl=3600) for i in range(1, 201)]

    def check_pages(self, mark, limit, pages):
        reqs = self.srv.requests(mark)
        self.assertEqual([r for r in reqs if r[0] != "GET"], [], "no writes")
        self.assertEqual(len(reqs), pages, reqs)
        got = sorted((page_query(p).get("_page"), page_query(p).get("_limit"),
                      p.split("?")[0], status) for _, p, status in reqs)
        want = sorted((str(n), str(limit), "/records", 200) for n in range(1, pages + 1))
        self.assertEqual(got, want)

    def test_link_pagination(self):
        f = self.desired("link.yaml", self.srv.url, self.same_records(),
                         resource={"list": "/records?_page=1&_limit=20",
                                   "paginate": "link"})
        mark = self.srv.mark()
        run = self.trueup("apply", f, expect=0)
        self.check_report(run, mode="apply", changed=False, total=200, skipped=200,
                          created=0, updated=0, deleted=0, failed=0, succeeded=0,
                          requests=10, write_requests=0, results=[])
        self.check_pages(mark, 20, 10)

    def test_link_pagination_sees_the_last_page(self):
        recs = self.same_records()
        recs[199]["ttl"] = 600            # host200, on page 10
        f = self.desired("link2.yaml", self.srv.url, recs,
                         resource={"list": "/records?_page=1&_limit=20",
                                   "paginate": "link"})
        run = self.trueup("plan", f, expect=0)
        rep = self.check_report(run, changed=True, total=200, skipped=199,
                                updated=1, created=0, deleted=0)
        self.assertEqual(rep["results"][0]["key"], "host200.example.org.|A")
        self.assertEqual(rep["results"][0].get("changes"),
                         {"ttl": {"before": 3600, "after": 600}})

    def test_page_pagination(self):
        f = self.desired("page.yaml", self.srv.url, self.same_records(),
                         resource={"list": "/records", "paginate": "page",
                                   "page_param": "_page", "per_page_param": "_limit",
                                   "per_page": 25})
        mark = self.srv.mark()
        run = self.trueup("apply", f, expect=0)
        self.check_report(run, mode="apply", changed=False, total=200, skipped=200,
                          created=0, updated=0, deleted=0, failed=0, succeeded=0,
                          requests=8, write_requests=0, results=[])
        self.check_pages(mark, 25, 8)


# ---- e) prune ------------------------------------------------------------------------

class PruneTest(TrueupTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.start_json_server(std_records(10))
        self.recs = [desired_host(i, ttl=3600) for i in range(1, 6)] + \
                    [desired_host(11, ttl=3600)]
        # these tests prune half of the records: allow it
        self.settings = {"max_deletes": 50}

    def names_on_server(self):
        return sorted(r["name"] for r in self.srv.get_records())

    def test_without_prune_unmanaged_records_stay(self):
        f = self.desired("d.yaml", self.srv.url, self.recs)
        mark = self.srv.mark()
        run = self.trueup("apply", f, expect=0)
        self.check_report(run, changed=True, total=6, created=1, updated=0,
                          deleted=0, skipped=5, failed=0)
        self.assertEqual(self.srv.writes(mark), [("POST", "/records", 201)])
        self.assertEqual(self.names_on_server(),
                         sorted(name(i) for i in list(range(1, 12))))

    def check_pruned(self, run, mark):
        self.assertEqual(run.code, 0, run.describe())
        rep = self.check_report(run, changed=True, total=11, created=1, updated=0,
                                deleted=5, skipped=5, failed=0, succeeded=6)
        res = results_by_key(rep)
        for i in range(6, 11):
            self.assertEqual(res["%s|A" % name(i)]["action"], "delete")
        self.assertEqual(sorted(self.srv.writes(mark)),
                         sorted([("POST", "/records", 201)]
                                + [("DELETE", "/records/%d" % i, 200) for i in range(6, 11)]))
        live = by_key(self.srv.get_records())
        self.assertEqual(sorted(r["id"] for k, r in live.items() if k != "%s|A" % name(11)),
                         [1, 2, 3, 4, 5])
        self.assertEqual(self.names_on_server(),
                         sorted(name(i) for i in [1, 2, 3, 4, 5, 11]))

    def test_prune_flag_deletes_unmanaged_records(self):
        f = self.desired("d.yaml", self.srv.url, self.recs,
                         settings=self.settings)
        mark = self.srv.mark()
        self.check_pruned(self.trueup("apply", "--prune", f), mark)
        mark = self.srv.mark()
        run = self.trueup("apply", "--prune", f, expect=0)
        self.check_report(run, changed=False, total=6, skipped=6, write_requests=0)
        self.assertEqual(self.srv.writes(mark), [])

    def test_prune_setting_in_file(self):
        f = self.desired("d.yaml", self.srv.url, self.recs,
                         settings=dict(self.settings, prune=True))
        mark = self.srv.mark()
        self.check_pruned(self.trueup("apply", f), mark)


class SafetyTest(TrueupTestCase):
    """The delete and update thresholds stop an apply before anything is
    pushed; --force overrides them."""

    def test_too_many_deletes_pushes_nothing(self):
        srv = self.start_json_server(std_records(20))
        f = self.desired("d.yaml", srv.url,
                         [desired_host(i, ttl=3600) for i in range(1, 11)])
        mark = srv.mark()
        run = self.trueup("apply", "--prune", f, expect=1)
        self.assertIn("trueup: error: too many deletes: 50.00% is over 30% "
                      "(10 of 20 live records); review the plan, or raise "
                      "settings.max_deletes\ntrueup: hint: --force goes past "
                      "the safety thresholds", run.stderr)
        self.assertIn("nothing was pushed", run.stderr)
        self.assertEqual(srv.writes(mark), [])
        run = self.trueup("apply", "--prune", "--force", f, expect=0)
        self.check_report(run, deleted=10, skipped=10)
        self.assertEqual(len(srv.get_records()), 10)

    def test_update_threshold_and_min_existing(self):
        srv = self.start_json_server(std_records(20))
        f = self.desired("d.yaml", srv.url,
                         [desired_host(i, ttl=60) for i in range(1, 21)],
                         settings={"max_updates": 50})
        run = self.trueup("apply", f, expect=1)
        self.assertIn("too many updates: 100.00% is over 50% (20 of 20 live "
                      "records)", run.stderr)
        self.assertEqual(srv.writes(), [])
        # under min_existing live records, nothing is checked
        f = self.desired("d2.yaml", srv.url,
                         [desired_host(i, ttl=60) for i in range(1, 21)],
                         settings={"max_updates": 50, "min_existing": 21})
        run = self.trueup("apply", f, expect=0)
        self.check_report(run, updated=20)


# ---- f) PATCH vs PUT, g) partial ownership, h) number equality -------------------

class UpdateMethodJsonServerTest(TrueupTestCase):
    def test_patch_and_put_keep_undeclared_fields(self):
        live = [host(i, comment="keep-%d" % i) for i in range(1, 4)]
        srv = self.start_json_server(live)
        f1 = self.desired("patch.yaml", srv.url, [desired_host(1, ttl=600)])
        f2 = self.desired("put.yaml", srv.url, [desired_host(2, ttl=600)],
                          resource={"update": "PUT /records/{id}"})
        mark = srv.mark()
        run = self.trueup("apply", f1, expect=0)
        self.check_report(run, updated=1, total=1, failed=0)
        run = self.trueup("apply", f2, expect=0)
        self.check_report(run, updated=1, total=1, failed=0)
        self.assertEqual(srv.writes(mark), [("PATCH", "/records/1", 200),
                                            ("PUT", "/records/2", 200)])
        self.assertEqual(srv.get_records(), [
            host(1, ttl=600, comment="keep-1"),
            host(2, ttl=600, comment="keep-2"),
            host(3, comment="keep-3")])


class RequestBodyTest(TrueupTestCase):
    """Bodies and headers, seen by a recording server."""

    def live(self):
        return [host(1, comment="mine"), host(2, comment="mine"), host(3)]

    def test_patch_sends_only_changed_fields_and_create_sends_no_state(self):
        with RecordingServer(self.live()) as rs:
            f = self.desired("d.yaml", rs.url, [
                desired_host(1, ttl=600, content="192.0.2.99"),
                desired_host(2, ttl=3600),
                {"name": name(3), "type": "A", "state": "absent"},
                desired_host(4, ttl=300)])
            run = self.trueup("apply", f, expect=0)
            self.check_report(run, total=4, updated=1, created=1, deleted=1,
                              skipped=1, failed=0)
            writes = sorted(rs.writes(), key=lambda r: r.method)
        self.assertEqual([(w.method, w.path) for w in writes],
                         [("DELETE", "/records/3"), ("PATCH", "/records/1"),
                          ("POST", "/records")])
        delete, patch, post = writes
        self.assertEqual(patch.json, {"ttl": 600, "content": "192.0.2.99"})
        self.assertTrue(patch.headers.get("content-type", "").startswith("application/json"))
        self.assertEqual(post.json, {"name": name(4), "type": "A",
                                     "content": "192.0.2.4", "ttl": 300})
        self.assertTrue(post.headers.get("content-type", "").startswith("application/json"))
        self.assertEqual(delete.body, b"", "DELETE carries no body")

    def test_put_sends_the_whole_merged_record(self):
        with RecordingServer(self.live()) as rs:
            f = self.desired("d.yaml", rs.url, [desired_host(1, ttl=600)],
                             resource={"update": "PUT /records/{id}"})
            self.trueup("apply", f, expect=0)
            writes = rs.writes()
        self.assertEqual([(w.method, w.path) for w in writes], [("PUT", "/records/1")])
        body = dict(writes[0].json)
        self.assertIn(body.pop("id", 1), (1,), "id, if sent, is the live id")
        want = host(1, ttl=600, comment="mine")
        del want["id"]
        self.assertEqual(body, want)


class OwnershipTest(TrueupTestCase):
    """Runs that must not write: fields the file does not declare, ignored
    fields, numbers equal in value."""

    @classmethod
    def setUpClass(cls):
        cls.live = ([dict(host(i, comment="note %d" % i), name="own%d.example.org." % i)
                     for i in range(1, 4)]
                    + [dict(host(i, ttl=600), name="num%d.example.org." % i)
                       for i in range(4, 6)])
        cls.srv = cls.start_class_json_server(cls.live)

    def tearDown(self):
        self.assert_data_unchanged(self.srv, self.live)

    def own(self, i, **extra):
        r = {"name": "own%d.example.org." % i, "type": "A",
             "content": "192.0.2.%d" % i, "ttl": 3600}
        r.update(extra)
        return r

    def apply_expecting_no_change(self, f, total):
        mark = self.srv.mark()
        run = self.trueup("apply", f, expect=0)
        self.check_report(run, mode="apply", changed=False, total=total,
                          skipped=total, succeeded=0, failed=0, created=0,
                          updated=0, deleted=0, write_requests=0, results=[])
        self.assertEqual(self.srv.requests(mark), [("GET", "/records", 200)])

    def test_undeclared_live_field_is_left_alone(self):
        f = self.desired("d.yaml", self.srv.url, [self.own(i) for i in range(1, 4)])
        self.apply_expecting_no_change(f, 3)

    def test_ignored_field_is_not_compared(self):
        f = self.desired("d.yaml", self.srv.url,
                         [self.own(1, comment="something else"), self.own(2)],
                         resource={"ignore": ["comment"]})
        self.apply_expecting_no_change(f, 2)

    def test_declared_field_that_differs_is_planned(self):
        # The control for the two tests above: without `ignore`, a declared
        # comment that differs is an update of exactly that field.
        f = self.desired("d.yaml", self.srv.url, [self.own(1, comment="something else")])
        run = self.trueup("plan", f, expect=0)
        rep = self.check_report(run, changed=True, total=1, updated=1)
        self.assertEqual(rep["results"][0].get("changes"),
                         {"comment": {"before": "note 1", "after": "something else"}})

    def test_number_equality(self):
        text = desired_yaml(self.srv.url, [
            {"name": "num4.example.org.", "type": "A", "content": "192.0.2.4", "ttl": 600.0},
            {"name": "num5.example.org.", "type": "A", "content": "192.0.2.5", "ttl": 6e2}])
        self.assertIn('"ttl": 600.0', text)
        f = write_yaml(self.path("d.yaml"), text)
        self.apply_expecting_no_change(f, 2)


# ---- i) exit statuses and input errors -----------------------------------------------

class ExitStatusTest(TrueupTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_json_server(std_records(20))

    def setUp(self):
        super().setUp()
        self.mark = self.srv.mark()

    def tearDown(self):
        writes = self.srv.writes(self.mark)
        self.assert_data_unchanged(self.srv, std_records(20))
        self.assertEqual(writes, [], "nothing may be pushed")

    def changing_records(self):
        return ([desired_host(1, ttl=600)] + [absent(2)]
                + [desired_host(i, ttl=3600) for i in range(3, 21)]
                + [desired_host(21, ttl=3600)])

    def test_bad_yaml(self):
        f = write_yaml(self.path("bad.yaml"), """
            target:
              provider: rest
            records:
              - name: a.example.org.
                type: A
                ttl: 600: x
              - name: b.example.org.
            """)
        run = self.trueup("apply", f)
        self.assert_error_at(run, "bad.yaml", 6)

    def test_unknown_key_with_suggestion(self):
        text = desired_yaml(self.srv.url, self.changing_records(),
                            settings={"concurency": 4})
        f = write_yaml(self.path("typo.yaml"), text)
        run = self.trueup("apply", f)
        self.assert_error_at(run, "typo.yaml", line_of(text, '"concurency"'))
        self.assertIn("did you mean 'concurrency'", run.stderr)

    def test_api_down(self):
        port = free_port()
        f = self.desired("down.yaml", "http://127.0.0.1:%d" % port, self.changing_records(),
                         settings={"retries": 1, "connect_timeout": 2, "timeout": 5})
        run = self.trueup("apply", f, expect=1)
        self.assertIn("trueup: error:", run.stderr)
        self.assertIn("127.0.0.1:%d" % port, run.stderr, "the error names the API")

    def test_list_fails_nothing_written(self):
        f = self.desired("nolist.yaml", self.srv.url, self.changing_records(),
                         resource={"list": "/nope"})
        run = self.trueup("apply", f, expect=1)
        self.assertIn("trueup: error:", run.stderr)
        self.assertIn("404", run.stderr)
        self.assertEqual(self.srv.requests(self.mark), [("GET", "/nope", 404)])

    def test_duplicate_desired_keys(self):
        recs = [desired_host(i, ttl=3600) for i in range(1, 6)]
        recs.append(desired_host(3, ttl=600))
        text = desired_yaml(self.srv.url, recs)
        f = write_yaml(self.path("dup.yaml"), text)
        first = line_of(text, '"host3.example.org."', 1)
        second = line_of(text, '"host3.example.org."', 2)
        run = self.trueup("apply", f, expect=1)
        self.assertIn("trueup: error:", run.stderr)
        self.assertRegex(run.stderr, r"dup\.yaml:%d\b" % first)
        self.assertRegex(run.stderr, r"dup\.yaml:%d\b" % second)
        self.assertIn("host3.example.org.|A", run.stderr)

    def test_missing_file(self):
        run = self.trueup("plan", self.path("nosuch.yaml"), expect=1)
        self.assertIn("nosuch.yaml", run.stderr)

    def test_usage(self):
        run = self.trueup(expect=1)
        self.assertIn("trueup", run.stderr)
        run = self.trueup("frobnicate", self.path("x.yaml"), expect=1)
        run = self.trueup("plan", expect=1)
        run = self.trueup("plan", "--format", "xml", self.path("x.yaml"), expect=1)
        run = self.trueup("plan", "-c", "zero", self.path("x.yaml"), expect=1)
        run = self.trueup("--version", expect=0)
        self.assertIn("0.1.0", run.stdout)
        run = self.trueup("--help", expect=0)
        for word in ("plan", "apply", "--concurrency", "--prune", "--format",
                     "--detailed-exitcode", "--quiet", "--output"):
            self.assertIn(word, run.stdout)


# ---- i) exit 3, j) ambiguous live keys -----------------------------------------------

class FailureTest(TrueupTestCase):
    def test_failed_updates_exit_3_others_processed(self):
        srv = self.start_json_server(std_records(10))
        recs = ([desired_host(i, ttl=600) for i in range(1, 4)]
                + [desired_host(i, ttl=3600) for i in range(4, 10)]
                + [absent(10), desired_host(11, ttl=3600)])
        f = self.desired("d.yaml", srv.url, recs,
                         resource={"update": "PATCH /nope/{id}"},
                         settings={"retries": 2})
        mark = srv.mark()
        run = self.trueup("apply", f, expect=3)
        rep = self.check_report(run, mode="apply", changed=True, total=11, failed=3,
                                succeeded=2, skipped=6, created=1, updated=0,
                                deleted=1, write_requests=5, requests=6)
        res = results_by_key(rep)
        self.assertEqual(len(res), 5)
        for i in range(1, 4):
            r = res["%s|A" % name(i)]
            self.assertEqual((r["action"], r["status"], r.get("http_status"), r.get("attempts")),
                             ("update", "failed", 404, 1), r)
            self.assertIn("404", r["error"])
        self.assertEqual(res["%s|A" % name(10)]["status"], "ok")
        self.assertEqual(res["%s|A" % name(11)]["status"], "ok")
        self.assertEqual(sorted(srv.writes(mark)), sorted(
            [("PATCH", "/nope/%d" % i, 404) for i in range(1, 4)]
            + [("DELETE", "/records/10", 200), ("POST", "/records", 201)]))
        want = {"%s|A" % name(i): dict(host(i)) for i in range(1, 10)}
        for v in want.values():
            del v["id"]
        want["%s|A" % name(11)] = desired_host(11, ttl=3600)
        self.assert_state(srv.get_records(), want,
                          {"%s|A" % name(i): i for i in range(1, 10)})

    def test_ambiguous_live_key(self):
        live = std_records(5) + [host(6, name=name(1), content="198.51.100.1")]
        srv = self.start_json_server(live)
        recs = ([desired_host(1, content="192.0.2.99", ttl=3600),
                 desired_host(2, ttl=600)]
                + [desired_host(i, ttl=3600) for i in range(3, 6)]
                + [desired_host(7, ttl=3600)])
        f = self.desired("d.yaml", srv.url, recs)
        mark = srv.mark()
        run = self.trueup("apply", f, expect=3)
        rep = self.check_report(run, mode="apply", changed=True, total=6, failed=1,
                                succeeded=2, skipped=3, created=1, updated=1, deleted=0)
        res = results_by_key(rep)
        amb = res["%s|A" % name(1)]
        self.assertEqual(amb["status"], "failed")
        self.assertIn("ambiguous", amb["error"].lower())
        self.assertEqual(res["%s|A" % name(2)]["status"], "ok")
        self.assertEqual(res["%s|A" % name(7)]["status"], "ok")
        self.assertEqual(sorted(srv.writes(mark)),
                         [("PATCH", "/records/2", 200), ("POST", "/records", 201)])
        recs_now = srv.get_records()
        self.assertEqual([r for r in recs_now if r["id"] in (1, 6)], [live[0], live[5]])


# ---- k) several files ---------------------------------------------------------------

class MultiFileTest(TrueupTestCase):
    def target(self, url, settings=None):
        text = desired_yaml(url, None, defaults={"ttl": 3600}, settings=settings)
        return write_yaml(self.path("target.yaml"), text)

    def test_conflicting_record_definitions(self):
        with RecordingServer(std_records(10)) as rs:
            t = self.target(rs.url)
            a = write_desired(self.path("a.yaml"), None, [desired_host(1, ttl=600)])
            b = write_desired(self.path("b.yaml"), None, [desired_host(1, ttl=700)])
            run = self.trueup("apply", t, a, b, expect=1)
            self.assertIn("a.yaml", run.stderr)
            self.assertIn("b.yaml", run.stderr)
            self.assertIn("host1.example.org.|A", run.stderr)
            self.assertEqual(rs.requests(), [], "nothing fetched or pushed")

    def test_conflicting_settings(self):
        with RecordingServer(std_records(10)) as rs:
            t = self.target(rs.url, settings={"concurrency": 4})
            a = write_desired(self.path("a.yaml"), None, [desired_host(1)],
                              settings={"concurrency": 8})
            run = self.trueup("plan", t, a, expect=1)
            self.assertIn("target.yaml", run.stderr)
            self.assertIn("a.yaml", run.stderr)
            self.assertIn("concurrency", run.stderr)
            self.assertEqual(rs.requests(), [], "nothing fetched or pushed")

    def test_target_and_records_in_separate_files(self):
        srv = self.start_json_server(std_records(10))
        t = self.target(srv.url)
        a = write_desired(self.path("a.yaml"), None,
                          [desired_host(1, ttl=600)] + [desired_host(i) for i in range(2, 6)])
        b = write_desired(self.path("b.yaml"), None,
                          [desired_host(i) for i in range(6, 10)] + [absent(10),
                                                                     desired_host(11)])
        mark = srv.mark()
        run = self.trueup("apply", t, a, b, expect=0)
        self.check_report(run, total=11, updated=1, created=1, deleted=1,
                          skipped=8, failed=0)
        self.assertEqual(sorted(srv.writes(mark)), sorted(
            [("PATCH", "/records/1", 200), ("DELETE", "/records/10", 200),
             ("POST", "/records", 201)]))
        want = {"%s|A" % name(i): dict(host(i)) for i in range(1, 10)}
        want["%s|A" % name(1)]["ttl"] = 600
        for v in want.values():
            del v["id"]
        want["%s|A" % name(11)] = desired_host(11, ttl=3600)
        self.assert_state(srv.get_records(), want,
                          {"%s|A" % name(i): i for i in range(1, 10)})
        mark = srv.mark()
        run = self.trueup("apply", t, a, b, expect=0)
        self.check_report(run, changed=False, skipped=11, write_requests=0)
        self.assertEqual(srv.writes(mark), [])


# ---- l) auth and secrets ----------------------------------------------------------------

class AuthTest(TrueupTestCase):
    def check_headers(self, rs, name_, value):
        reqs = rs.requests()
        self.assertTrue(reqs)
        for r in reqs:
            self.assertEqual(r.headers.get(name_.lower()), value, r)
            self.assertEqual(r.headers.get("accept"), "application/json", r)

    def records(self):
        return [desired_host(1, ttl=600), desired_host(2, ttl=3600)]

    def test_bearer_token(self):
        with RecordingServer(std_records(2)) as rs:
            f = self.desired("d.yaml", rs.url, self.records(),
                             headers={"Accept": "application/json"},
                             auth={"type": "bearer", "token_env": "API_TOKEN"})
            env = {"API_TOKEN": TOKEN}
            for args, code in ((["plan", f], 0),
                               (["plan", "--format", "text", f], 0),
                               (["apply", f], 0)):
                run = self.trueup(*args, env=env, expect=code)
                self.assert_no_token(run)
            self.check_headers(rs, "Authorization", "Bearer " + TOKEN)
            self.assertEqual([(w.method, w.path) for w in rs.writes()],
                             [("PATCH", "/records/1")])

    def test_bearer_scheme(self):
        with RecordingServer(std_records(2)) as rs:
            f = self.desired("d.yaml", rs.url, self.records(),
                             headers={"Accept": "application/json"},
                             auth={"type": "bearer", "scheme": "Token",
                                   "token_env": "API_TOKEN"})
            run = self.trueup("apply", f, env={"API_TOKEN": TOKEN}, expect=0)
            self.assert_no_token(run)
            self.check_headers(rs, "Authorization", "Token " + TOKEN)
        f = self.desired("bad.yaml", "http://127.0.0.1:1", self.records(),
                         auth={"type": "bearer", "scheme": "Token x",
                               "token_env": "API_TOKEN"})
        run = self.trueup("plan", f, env={"API_TOKEN": TOKEN}, expect=1)
        self.assertRegex(run.stderr, r"^trueup: error: .*bad\.yaml:\d+:\d+: "
                         r"target\.auth\.scheme: 'Token x' is not an "
                         r"authorization scheme \(one word, such as Bearer "
                         r"or Token\)\n$")

    def test_token_not_printed_on_failure(self):
        def respond(req):
            if req.method == "GET":
                return 200, std_records(2)
            return 503, {"error": "try later"}
        with RecordingServer([], respond=respond) as rs:
            f = self.desired("d.yaml", rs.url, self.records(),
                             headers={"Accept": "application/json"},
                             auth={"type": "bearer", "token_env": "API_TOKEN"},
                             settings={"retries": 1})
            run = self.trueup("apply", f, env={"API_TOKEN": TOKEN}, expect=3)
            self.assert_no_token(run)
            rep = self.check_report(run, failed=1, succeeded=0, skipped=1)
            r = rep["results"][0]
            self.assertEqual((r["key"], r["status"], r.get("http_status"), r.get("attempts")),
                             ("%s|A" % name(1), "failed", 503, 2))
            self.assertEqual(len(rs.writes()), 2, "a 503 on PATCH: one try, one retry")
            self.check_headers(rs, "Authorization", "Bearer " + TOKEN)
        # A config error with the token set.
        f = self.desired("bad.yaml", "http://127.0.0.1:1", self.records(),
                         auth={"type": "bearer", "token_env": "API_TOKEN"},
                         settings={"concurency": 2})
        run = self.trueup("apply", f, env={"API_TOKEN": TOKEN}, expect=1)
        self.assert_no_token(run)

    def test_token_not_printed_with_json_server(self):
        srv = self.start_json_server(std_records(3))
        f = self.desired("d.yaml", srv.url, [desired_host(1, ttl=600)],
                         auth={"type": "bearer", "token_env": "API_TOKEN"},
                         resource={"update": "PATCH /nope/{id}"})
        for args, code in ((["plan", f], 0), (["apply", f], 3)):
            run = self.trueup(*args, env={"API_TOKEN": TOKEN}, expect=code)
            self.assert_no_token(run)

    def test_missing_token_env(self):
        with RecordingServer(std_records(2)) as rs:
            f = self.desired("d.yaml", rs.url, self.records(),
                             auth={"type": "bearer", "token_env": "TU_TEST_NO_SUCH_TOKEN"})
            run = self.trueup("apply", f, env={"TU_TEST_NO_SUCH_TOKEN": None}, expect=1)
            self.assertIn("TU_TEST_NO_SUCH_TOKEN", run.stderr)
            self.assertIn("trueup: error:", run.stderr)
            self.assertEqual(rs.requests(), [], "no request before the secret is there")

    def test_basic_auth(self):
        password = "pw-5d2e7f8a91"
        with RecordingServer(std_records(2)) as rs:
            f = self.desired("d.yaml", rs.url, self.records(),
                             headers={"Accept": "application/json"},
                             auth={"type": "basic", "username": "alice",
                                   "password_env": "API_PASSWORD"})
            run = self.trueup("apply", f, env={"API_PASSWORD": password}, expect=0)
            self.assert_no_token(run, password)
            self.check_headers(rs, "Authorization", "Basic " + base64.b64encode(
                ("alice:" + password).encode()).decode())

    def test_header_auth(self):
        key = "key-0a9b8c7d6e"
        with RecordingServer(std_records(2)) as rs:
            f = self.desired("d.yaml", rs.url, self.records(),
                             headers={"Accept": "application/json"},
                             auth={"type": "header", "name": "X-API-Key",
                                   "value_env": "API_KEY"})
            run = self.trueup("apply", f, env={"API_KEY": key}, expect=0)
            self.assert_no_token(run, key)
            self.check_headers(rs, "X-API-Key", key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
