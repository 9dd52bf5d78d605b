"""test_bench_smoke.py -- the benchmark harness must not rot.

Runs `bench/run --tiny` (tiny N, one repetition, a few seconds) with the
trueup under test ($TRUEUP) and checks that the harness produced a table
with every scenario and that trueup's runs in it did what they should: exit
status 0 and report counts (write_requests == records changed, no failures,
zero writes on the idempotent re-run). It never asserts a timing: the
figures are not a pass/fail criterion.

It also checks that every server bench/run started (nginx, pdns_server;
their pids are in its JSON output) is gone afterwards. bench/run stops
them itself, on failure and on SIGTERM too; this test sends SIGTERM on a
timeout before anything harsher.

Scenario 6 (HTTPS): trueup's runs over plain HTTP, HTTPS with HTTP/1.1 and
HTTPS with HTTP/2 made every write, over the HTTP version the report names;
the peers' runs succeeded.

Scenario 7 (Python faces): the command, Reconciler and the gathered
AsyncReconciler runs each changed every record; a build without the
package is reported "not available" (never in CI).

Scenario 5 (PowerDNS): trueup's runs must have changed every rrset's TTL on
the real server in as many PATCHes as the report counts. (A trueup built
without the powerdns provider is reported "not available" by bench/run,
and then only the harness's side is checked.)
"""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("TU_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(HERE))
BENCH = os.path.join(SOURCE_DIR, "bench", "run")
TRUEUP = os.environ.get("TRUEUP") or os.path.join(SOURCE_DIR, "build",
                                                  "trueup")
sys.path.insert(0, os.path.join(SOURCE_DIR, "bench"))
import servers  # noqa: E402  (bench/servers.py: what the harness needs)

TIMEOUT_S = 120


def missing_prerequisite():
    if not os.access(TRUEUP, os.X_OK):
        return "no trueup binary at %s (set TRUEUP)" % TRUEUP
    if not shutil.which("curl"):
        return "curl is not installed"
    return servers.nginx_unavailable()


def alive(pid):
    """True when `pid` still runs (a zombie does not count)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class BenchSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = missing_prerequisite()
        if why and os.environ.get("CI"):
            raise RuntimeError(why)  # CI installs all of these: never skip
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="tu-bench-smoke-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.json_path = os.path.join(cls.tmp, "bench.json")
        cmd = [sys.executable, BENCH, "--tiny", "--trueup", TRUEUP,
               "--json", cls.json_path, "--workdir",
               os.path.join(cls.tmp, "work")]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        try:
            cls.stdout, cls.stderr = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)   # bench/run stops its servers
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            raise AssertionError("bench/run --tiny took over %d s" % TIMEOUT_S)
        cls.rc = proc.returncode
        try:
            with open(cls.json_path) as f:
                cls.doc = json.load(f)
        except (OSError, ValueError):
            cls.doc = None

    def describe(self):
        return "exit %s\n--- stdout\n%s\n--- stderr\n%s" % (
            self.rc, self.stdout[-6000:], self.stderr[-6000:])

    def scenario(self, n):
        self.assertIsNotNone(self.doc, self.describe())
        self.assertIn(str(n), self.doc["scenarios"], self.describe())
        return self.doc["scenarios"][str(n)]

    def runs(self, n, tool):
        return [r for r in self.scenario(n)["runs"] if r["tool"] == tool]

    def size(self, n):
        return self.doc["sizes"][str(n)]

    def assert_trueup_ok(self, n, tool="trueup apply", **counts):
        runs = self.runs(n, tool)
        self.assertTrue(runs, "scenario %d has no %r run\n%s"
                        % (n, tool, self.describe()))
        for r in runs:
            self.assertTrue(r["ok"], "scenario %d, %s: %s" % (n, tool,
                                                              r["problem"]))
            self.assertEqual(r["rc"], 0, r)
            for k, v in counts.items():
                self.assertEqual(r["report"][k], v, "%s in %r" % (k, r))

    def unavailable(self, n, in_ci):
        """True when bench/run said scenario n is not available here (and
        printed so); in CI that fails the test with `in_ci`."""
        s = self.scenario(n)["summary"]
        if not s.get("unavailable"):
            return False
        if os.environ.get("CI"):
            self.fail("%s: %s" % (in_ci, s["unavailable"]))
        self.assertIn("not available", self.stdout)
        return True

    # -- the run as a whole
    def test_exit_status_and_json(self):
        self.assertEqual(self.rc, 0, self.describe())
        self.assertIsNotNone(self.doc, self.describe())
        self.assertTrue(self.doc["ok"], self.describe())

    def test_table_has_every_scenario(self):
        for n, name in ((1, "latency-bound"), (2, "throughput-bound"),
                        (3, "scale"), (4, "idempotent re-run"),
                        (5, "PowerDNS"), (6, "HTTPS"), (7, "Python faces")):
            self.assertIn("## Scenario %d: %s" % (n, name), self.stdout,
                          self.describe())
            self.assertRegex(self.stdout, r"\| %d %s \| .* \|" %
                             (n, re.escape(name)), self.describe())
        self.assertIn("| tool | wall s (median)", self.stdout)

    def test_servers_are_stopped(self):
        self.assertIsNotNone(self.doc, self.describe())
        names = [s["name"] for s in self.doc["servers"]]
        self.assertIn("nginx", names)
        for s in self.doc["servers"]:
            self.assertFalse(alive(s["pid"]), "%s (pid %d) still runs"
                             % (s["name"], s["pid"]))

    def test_cpu_speeds_in_header(self):
        """Every CPU is probed at the start and at the end; a spread
        beyond a quarter is said in a warning, and only then."""
        self.assertIsNotNone(self.doc, self.describe())
        cpus = {str(c) for c in os.sched_getaffinity(0)}
        probes = self.doc["cpu_speeds_ms"]
        for when in ("start", "end"):
            self.assertEqual(set(probes[when]), cpus, probes)
            self.assertTrue(all(v > 0 for v in probes[when].values()), probes)
        text = self.doc["machine"]["cpu speed (one loop, lower is faster)"]
        self.assertEqual(len(re.findall(r"CPU \d+ [\d.]+ ms", text)),
                         2 * len(cpus), text)
        spread = max(max(p.values()) / min(p.values())
                     for p in probes.values())
        self.assertEqual("warning" in self.doc["machine"],
                         len(cpus) > 1 and spread > 1.25,
                         "%s; spread %.3f" % (self.doc["machine"], spread))

    # -- trueup's runs in each scenario
    def test_latency_bound(self):
        n = self.size(1)
        self.assert_trueup_ok(1, write_requests=n, succeeded=n, updated=n,
                              failed=0, requests=n + 1)
        self.assert_trueup_ok(1, "trueup plan (no push)", updated=n,
                              write_requests=0)

    def test_throughput_bound(self):
        n = self.size(2)
        self.assert_trueup_ok(2, write_requests=n, succeeded=n, failed=0)

    def test_scale_plan(self):
        n = self.size(3)
        self.assert_trueup_ok(3, "trueup plan", total=n, updated=n // 10,
                              skipped=n - n // 10, write_requests=0,
                              failed=0)
        self.assert_trueup_ok(3, "trueup plan, desired shuffled", total=n,
                              updated=n // 10, skipped=n - n // 10,
                              write_requests=0, failed=0)
        for tool in ("load only", "fetch only (1 desired)"):
            for r in self.runs(3, tool):
                self.assertTrue(r["ok"], "%s: %s" % (tool, r["problem"]))
        phases = self.scenario(3)["summary"]["phases"]
        self.assertEqual(len(phases), 4)
        # the Python baseline planned the same changes (when PyYAML is here)
        py = self.runs(3, "python plan (PyYAML C loader, json, dicts)")
        verdicts = dict(self.scenario(3)["summary"]["verdicts"])
        python_verdict = verdicts[">= 12 x faster than Python (python_plan.py)"]
        if not py:
            self.assertIn("no Python with PyYAML", python_verdict[1])
        for r in py:
            self.assertTrue(r["ok"], r["problem"])
            self.assertEqual((r["report"]["total"], r["report"]["updated"]),
                             (n, n // 10))

    def test_idempotent_rerun(self):
        n = self.size(4)
        self.assert_trueup_ok(4, write_requests=0, requests=1, skipped=n,
                              failed=0, changed=False)

    def test_peers_ran_the_same_job(self):
        for n in (1, 2):
            for tool in ("curl --parallel", "python aiohttp"):
                runs = self.runs(n, tool)
                if tool == "python aiohttp" and not runs:
                    self.assertIn("not available", self.doc["machine"][
                        "python peer"])
                    continue
                self.assertTrue(runs, "scenario %d: no %s run" % (n, tool))
                for r in runs:
                    self.assertTrue(r["ok"], "%s: %s" % (tool, r["problem"]))
                    if tool == "python aiohttp":
                        self.assertEqual(r["report"]["write_requests"],
                                         self.size(n))
            for r in self.runs(n, "floor: minimal libcurl loop"):
                self.assertTrue(r["ok"], "floor: %s" % r["problem"])

    def test_https(self):
        n = self.size(6)
        tools = {r["tool"] for r in self.scenario(6)["runs"]}
        for job in ("update", "create"):
            for variant in ("HTTP", "HTTPS, HTTP/1.1", "HTTPS, HTTP/2"):
                tool = "%s: trueup, %s" % (job, variant)
                counts = ({"updated": n} if job == "update"
                          else {"created": n})
                self.assert_trueup_ok(6, tool, succeeded=n, failed=0,
                                      write_requests=n, **counts)
                for r in self.runs(6, tool):
                    want = "HTTP/2" if variant.endswith("2") else "HTTP/1.1"
                    self.assertEqual(r["report"]["protocols"],
                                     {want: n + 1}, r["report"])
            for peer in ("curl --http1.1", "curl --http2", "python aiohttp"):
                tool = "%s: %s" % (job, peer)
                if peer.startswith("python") and tool not in tools:
                    continue      # no aiohttp here: checked above
                for r in self.runs(6, tool):
                    self.assertTrue(r["ok"], "%s: %s" % (tool, r["problem"]))
                self.assertTrue(self.runs(6, tool), tool)

    def test_python_faces(self):
        """Scenario 7: the command, Reconciler and the gathered
        AsyncReconciler runs each changed every record (python_faces.py
        checks each run's report; bench/run the sums)."""
        if self.unavailable(7, "the Python package must be built in CI"):
            return                     # a build without the package
        n = self.size(7)
        self.assert_trueup_ok(7, succeeded=n, updated=n, write_requests=n)
        tools = {r["tool"] for r in self.scenario(7)["runs"]}
        gather = [t for t in tools if t.startswith("trueup.AsyncReconciler")]
        self.assertEqual(len(gather), 1, tools)
        for tool in ("trueup.Reconciler.apply (Python)", gather[0]):
            runs = self.runs(7, tool)
            self.assertTrue(runs, tool)
            for r in runs:
                self.assertTrue(r["ok"], "%s: %s" % (tool, r["problem"]))
                self.assertEqual((r["report"]["succeeded"],
                                  r["report"]["write_requests"],
                                  r["report"]["problems"]), (n, n, []))
        self.assertGreater(self.runs(7, gather[0])[0]["report"]["runs"], 1)

    def test_powerdns(self):
        s = self.scenario(5)["summary"]
        if self.unavailable(5, "PowerDNS must be installed in CI"):
            return                     # no PowerDNS on this machine
        for r in self.scenario(5)["runs"]:
            if r["tool"].startswith("curl"):
                self.assertTrue(r["ok"], "%s: %s" % (r["tool"], r["problem"]))
        if s.get("trueup_unavailable"):   # the provider is not built in yet
            self.assertIn("trueup: not available", self.stdout)
            self.assertFalse(self.runs(5, "trueup apply"))
            return
        n = self.size(5)
        for tool in ("trueup apply", "trueup apply --match --set"):
            self.assert_trueup_ok(5, tool, succeeded=n, updated=n, failed=0)
            for r in self.runs(5, tool):
                self.assertEqual(r["extra"]["rrsets_not_changed"], 0)
                # batched: far fewer PATCHes than rrsets, each one counted
                self.assertEqual(r["extra"]["zone_patches"],
                                 r["report"]["write_requests"])


def run_tiny(test, *args):
    """`bench/run --tiny ARGS` for `test`, which it skips without the
    prerequisites: (the finished process, its JSON, its work directory)."""
    why = missing_prerequisite()
    if why:
        raise unittest.SkipTest(why)
    tmp = tempfile.mkdtemp(prefix="tu-bench-")
    test.addCleanup(shutil.rmtree, tmp, True)
    json_path = os.path.join(tmp, "bench.json")
    work = os.path.join(tmp, "work")
    run = subprocess.run(
        [sys.executable, BENCH, "--tiny", "--trueup", TRUEUP, "--json",
         json_path, "--workdir", work] + list(args), capture_output=True,
        text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT_S)
    test.assertEqual(run.returncode, 0, run.stdout + run.stderr)
    with open(json_path) as f:
        return run, json.load(f), work


class BenchPinTest(unittest.TestCase):
    """`bench/run --pin`: the servers on one CPU, the tools on the others."""

    def test_pinned_https_scenario(self):
        run, doc, _ = run_tiny(self, "--pin", "--scenarios", "6")
        self.assertTrue(doc["ok"])
        if len(os.sched_getaffinity(0)) >= 2:
            self.assertRegex(run.stdout, r"placement: servers on CPU \d+, "
                             r"measured commands on CPU [\d,]+ \(--pin\)")
        else:                           # one CPU: nothing to place apart
            self.assertIn("placement: left to the kernel", run.stdout)
        tools = {r["tool"] for r in doc["scenarios"]["6"]["runs"]
                 if r["ok"]}
        self.assertTrue(any(t.startswith("update: trueup") for t in tools),
                        tools)


class BenchSeriesSmokeTest(unittest.TestCase):
    """`bench/run --tiny --scenarios 8`: the scale series' three sizes."""

    def test_scale_series(self):
        run, doc, work = run_tiny(self, "--scenarios", "8", "--keep")
        n = doc["sizes"]["8"]
        sizes = [int(round(n * f)) for f in (0.1, 0.3, 1.0)]
        for size in sizes:
            runs = [r for r in doc["scenarios"]["8"]["runs"]
                    if r["tool"] == "trueup plan %d" % size]
            self.assertEqual(len(runs), 1, run.stdout)
            report = runs[0]["report"]
            self.assertEqual((report["total"], report["updated"],
                              report["failed"]), (size, size // 10, 0))
            self.assertIn("| %s | " % "{:,}".format(size), run.stdout)
            # the records went in files of 5,000 (--tiny), merged by trueup
            files = [a for a in runs[0]["cmd"] if ".records-" in a]
            self.assertEqual(len(files), -(-size // 5000), runs[0]["cmd"])
        # each size's data is gone before the next is written
        self.assertEqual(glob.glob(os.path.join(work, "s8-*.records-*")) +
                         glob.glob(os.path.join(work, "www", "data",
                                                "s8-*.json")), [])
        # a tiny run is scaled: its verdicts say so rather than judge
        self.assertRegex(run.stdout, r"linear: time a record at the largest "
                         r"size <= 1\.25 x at the smallest \| n/a \| .*"
                         r"scaled run")
        # the Python reference planned the same changes where it ran
        for r in doc["scenarios"]["8"]["runs"]:
            if r["tool"].startswith("python plan"):
                self.assertTrue(r["ok"], r["problem"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
