#!/usr/bin/env python3
"""trueup watch against a real json-server (0.17.4), started by each test.

Drift made behind trueup's back is corrected within an interval (--apply)
or only counted (report-only); an edited file is applied within seconds
(inotify, and --poll-files); an invalid edit keeps the last good desired
state and raises the error metrics; the API stopped and started again:
back-off, then recovery, with no duplicate create; SIGTERM while creates
are in flight: every create is reported done exactly when it is on the
server, and the next start duplicates none; SIGHUP reloads; no secret in
the metrics, events or stderr; a pass a safety threshold refuses is
reported and retried, never forced; --once. Intervals are short (0.3 s);
the waits are bounded, never timed assertions.
"""

import json
import os
import signal
import socket
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (InProcessServer, JsonServer, QuietHandler,  # noqa: E402
                     desired_yaml, free_port, host, run_trueup, temp_dir,
                     trueup_available, trueup_binary, write_desired)
from watch_process import WatchProcess, want  # noqa: E402

TOKEN = "tu-watch-secret-4f1d2c9a"


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def live_by_name(server):
    out = {}
    for r in server.get_records():
        out.setdefault(r["name"], []).append(r)
    return out


class WatchCase(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "trueup-watch-")
        self.server = JsonServer([host(i) for i in range(1, 6)],
                                 tmpdir=self.tmp)
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.path = os.path.join(self.tmp, "set.yaml")

    def write(self, records, **kw):
        tmp = self.path + ".new"
        write_desired(tmp, self.server.url, records, **kw)
        os.replace(tmp, self.path)      # as an editor or a ConfigMap does

    def watch(self, *args, **kw):
        w = WatchProcess(list(args), self.tmp, **kw)
        self.addCleanup(w.stop)
        return w.start()

    def ttl_of(self, i):
        return live_by_name(self.server)["host%d.example.org." % i][0]["ttl"]


class DriftTest(WatchCase):
    def test_drift_corrected_within_an_interval(self):
        self.write([want(i) for i in range(1, 6)])
        w = self.watch("--apply", "--interval", "0.3", "prod=" + self.path)
        w.wait_for(lambda: w.passes("prod", "ok") >= 1, what="a first pass")
        self.server.request("PATCH", "/records/3", {"ttl": 5})
        w.wait_for(lambda: self.ttl_of(3) == 3600, what="the drift corrected")
        # the pass's event line is written once its report is made, a
        # moment after the server took the PATCH: wait for it too
        w.wait_for(lambda: any(e["report"]["updated"] == 1
                               for e in w.events("pass")),
                   what="the pass that corrected it")
        fixed = [e for e in w.events("pass") if e["report"]["updated"] == 1]
        self.assertTrue(fixed)
        self.assertEqual(fixed[0]["report"]["results"][0]["changes"],
                         {"ttl": {"before": 5, "after": 3600}})
        self.assertEqual(fixed[0]["mode"], "apply")
        self.assertEqual(w.metric("trueup_last_pass_records", set="prod",
                                  count="failed"), 0)
        self.assertEqual(w.get("/healthz"), (200, "ok\n"))
        self.assertEqual(w.get("/readyz"), (200, "ready\n"))
        self.assertEqual(w.stop(), 0)
        self.assertIn("stopped", w.stderr_text())

    def test_report_only_counts_and_does_not_correct(self):
        self.write([want(i) for i in range(1, 6)])
        self.server.request("PATCH", "/records/2", {"ttl": 7})
        mark = self.server.mark()
        w = self.watch("--interval", "0.3", "prod=" + self.path)
        w.wait_for(lambda: w.passes("prod", "ok") >= 3, what="three passes")
        self.assertEqual(w.metric("trueup_last_pass_records", set="prod",
                                  count="drifted"), 1)
        self.assertEqual(w.metric("trueup_last_pass_records", set="prod",
                                  count="updated"), 1)   # planned
        for e in w.events("pass"):
            self.assertEqual(e["mode"], "plan")
            self.assertEqual(e["report"]["results"][0]["status"], "planned")
        self.assertEqual(self.server.writes(mark), [])
        self.assertEqual(self.ttl_of(2), 7)


class FilesTest(WatchCase):
    def check_edit_applied(self, *extra):
        self.write([want(i) for i in range(1, 6)])
        w = self.watch("--apply", "--interval", "600", *extra,
                       "prod=" + self.path)
        w.wait_for(lambda: w.passes("prod", "ok") >= 1, what="a first pass")
        self.write([want(i, ttl=60 if i == 4 else 3600)
                    for i in range(1, 6)] + [want(9)])
        w.wait_for(lambda: self.ttl_of(4) == 60, 20, "the edit applied")
        w.wait_for(lambda: w.passes("prod") >= 2, what="the pass's event")
        self.assertIn("host9.example.org.", live_by_name(self.server))
        return w

    def test_edit_applied_within_seconds_inotify(self):
        w = self.check_edit_applied()
        self.assertIn("files watched by inotify", w.stderr_text())

    def test_edit_applied_within_seconds_polling(self):
        w = self.check_edit_applied("--poll-files")
        self.assertIn("files watched by polling", w.stderr_text())

    def test_directory_set(self):
        d = os.path.join(self.tmp, "configmap")
        os.mkdir(d)
        write_desired(os.path.join(d, "target.yaml"), self.server.url)
        write_desired(os.path.join(d, "records.yaml"), None,
                      [want(i) for i in range(1, 6)])
        w = self.watch("--apply", "--interval", "600", "zone=" + d)
        w.wait_for(lambda: w.passes("zone", "ok") >= 1, what="a first pass")
        write_desired(os.path.join(d, "more.yaml"), None, [want(7)])
        w.wait_for(lambda: "host7.example.org." in live_by_name(self.server),
                   20, "a new file of the directory applied")

    def test_invalid_edit_keeps_last_good_state(self):
        self.write([want(i) for i in range(1, 6)])
        w = self.watch("--apply", "--interval", "0.3", "prod=" + self.path)
        w.wait_for(lambda: w.passes("prod", "ok") >= 1, what="a first pass")
        with open(self.path, "a") as f:
            f.write("settings: {concurency: 4}\n")
        w.wait_for(lambda: w.metric("trueup_desired_stale", set="prod") == 1,
                   20, "the stale metric")
        m = w.metrics()
        self.assertGreaterEqual(m[("trueup_errors_total", frozenset(
            {"set": "prod", "kind": "bad_input"}.items()))], 1)
        self.assertGreaterEqual(m[("trueup_desired_loads_total", frozenset(
            {"set": "prod", "outcome": "error"}.items()))], 1)
        load = w.events("load")[0]
        self.assertEqual(load["outcome"], "error")
        self.assertTrue(load["kept_last_good"])
        self.assertIn("concurency", load["error"]["message"])
        self.assertIn("keeping the last good desired state", w.stderr_text())
        # the last good state still holds: drift is still corrected
        self.server.request("PATCH", "/records/1", {"ttl": 9})
        w.wait_for(lambda: self.ttl_of(1) == 3600, what="drift corrected")
        self.write([want(i) for i in range(1, 6)])
        w.wait_for(lambda: w.metric("trueup_desired_stale", set="prod") == 0,
                   20, "the fixed file loaded")

    def test_sighup_reloads(self):
        self.write([want(i) for i in range(1, 6)])
        w = self.watch("--apply", "--interval", "600", "--poll-files",
                       "prod=" + self.path)
        w.wait_for(lambda: w.passes("prod") >= 1, what="a first pass")
        w.proc.send_signal(signal.SIGHUP)
        w.wait_for(lambda: w.passes("prod") >= 2, what="a pass after SIGHUP")
        self.assertIn("SIGHUP", w.stderr_text())


class FailureTest(WatchCase):
    def test_api_down_backs_off_then_recovers_without_duplicates(self):
        self.write([want(i) for i in range(1, 6)] + [want(8)])
        self.server.stop()
        w = self.watch("--apply", "--interval", "0.5", "--ready-intervals",
                       "1", "prod=" + self.path)
        w.wait_for(lambda: w.passes("prod", "error") >= 3, what="3 failures")
        m = w.metrics()
        self.assertGreaterEqual(m[("trueup_errors_total", frozenset(
            {"set": "prod", "kind": "fetch"}.items()))], 3)
        self.assertGreaterEqual(m[("trueup_consecutive_failures",
                                   frozenset({"set": "prod"}.items()))], 3)
        self.assertGreater(m[("trueup_backoff_seconds",
                              frozenset({"set": "prod"}.items()))], 0)
        self.assertEqual(w.get("/readyz")[0], 503)
        self.assertEqual(w.get("/healthz")[0], 200)
        self.assertEqual(w.events("pass")[0]["error"]["kind"], "fetch")
        self.server.start()
        w.wait_for(lambda: w.passes("prod", "ok") >= 3, 30, "recovery")
        self.assertEqual(len(live_by_name(self.server)["host8.example.org."]),
                         1)
        self.assertEqual([r[0] for r in self.server.writes()], ["POST"])
        self.assertEqual(w.metric("trueup_consecutive_failures", set="prod"),
                         0)
        w.wait_for(lambda: w.get("/readyz")[0] == 200, what="ready again")

    def test_one_set_failing_does_not_hold_back_another(self):
        self.write([want(i) for i in range(1, 6)])
        dead = os.path.join(self.tmp, "dead.yaml")
        write_desired(dead, "http://127.0.0.1:%d" % free_port(), [want(1)])
        w = self.watch("--apply", "--interval", "0.3", "good=" + self.path,
                       "dead=" + dead)
        w.wait_for(lambda: w.passes("good", "ok") >= 5 and
                   w.passes("dead", "error") >= 2, what="both sets' passes")
        self.server.request("PATCH", "/records/2", {"ttl": 1})
        w.wait_for(lambda: self.ttl_of(2) == 3600, what="good corrected")
        status, text = w.get("/readyz")
        self.assertEqual(status, 503)
        self.assertIn("set 'dead'", text)
        self.assertNotIn("set 'good'", text)
        self.assertEqual(w.metric("trueup_set_ready", set="good"), 1)
        self.assertEqual(w.metric("trueup_set_ready", set="dead"), 0)

    def test_threshold_refusal_reported_and_retried_never_forced(self):
        self.write([want(1)], settings={"prune": True, "max_deletes": 1,
                                     "min_existing": 1})
        w = self.watch("--apply", "--interval", "0.3", "prod=" + self.path)
        w.wait_for(lambda: w.passes("prod", "refused") >= 2, what="refusals")
        self.assertEqual(self.server.writes(), [])
        self.assertEqual(w.events("pass")[0]["error"]["kind"], "threshold")
        self.assertGreaterEqual(w.metric("trueup_errors_total", set="prod",
                                         kind="threshold"), 2)
        self.assertIn("not forced", w.stderr_text())
        r = run_trueup(["watch", "--force", self.path])
        self.assertEqual(r.code, 1)
        self.assertIn("never forced", r.stderr)

    def test_no_secret_anywhere(self):
        self.write([want(i) for i in range(1, 6)],
                   auth={"type": "bearer", "token_env": "API_TOKEN"})
        w = self.watch("--apply", "--interval", "0.3", "prod=" + self.path,
                       env={"API_TOKEN": TOKEN})
        w.wait_for(lambda: w.passes("prod", "ok") >= 2, what="two passes")
        self.server.stop()
        w.wait_for(lambda: w.passes("prod", "error") >= 1, what="a failure")
        status, text = w.get("/metrics")
        self.assertEqual(status, 200)
        self.assertNotIn(TOKEN, text)
        self.assertNotIn(TOKEN, w.events_text())
        w.stop()
        self.assertNotIn(TOKEN, w.stderr_text())


class OnceTest(WatchCase):
    def test_once_applies_and_exits(self):
        self.write([want(i, ttl=120) for i in range(1, 6)])
        other = os.path.join(self.tmp, "other.yaml")
        write_desired(other, self.server.url, [want(1, ttl=120)])
        r = run_trueup(["watch", "--once", "--apply", "a=" + self.path,
                        "b=" + other])
        self.assertEqual(r.code, 0, r.describe())
        events = [json.loads(x) for x in r.stdout.splitlines()]
        self.assertEqual(sorted(e["set"] for e in events), ["a", "b"])
        self.assertEqual(self.ttl_of(5), 120)
        self.server.stop()
        r = run_trueup(["watch", "--once", "a=" + self.path])
        self.assertEqual(r.code, 1)

    def test_bad_start(self):
        write_desired(self.path, self.server.url, [want(1)])
        cases = [["watch", "--interval", "0", self.path],
                 ["watch", "--listen", "nonsense", self.path],
                 ["watch", "--once", self.path + ",missing.yaml"],
                 ["watch", "--once", "a=" + self.path, "a=" + self.path],
                 ["plan", "--once", self.path]]
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        cases.append(["watch", "--listen", "127.0.0.1:%d"
                      % busy.getsockname()[1], self.path])
        for args in cases:
            r = run_trueup(args, timeout=30)
            self.assertEqual(r.code, 1, args)
            self.assertIn("trueup: error:", r.stderr, args)


class HttpServerTest(WatchCase):
    """The server's answers on a raw socket: keep-alive and pipelining,
    HEAD, and the refusals (404, 405, 413, 400)."""

    def exchange(self, port, data):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode()
                out += chunk

    def test_answers(self):
        self.write([want(1)])
        w = self.watch("--interval", "600", "prod=" + self.path)
        two = self.exchange(w.port, b"GET /healthz HTTP/1.1\r\n\r\n"
                            b"HEAD /metrics?x=1 HTTP/1.1\r\n\r\n")
        self.assertEqual(two.count("HTTP/1.1 200 OK"), 2, two)
        self.assertIn("text/plain; version=0.0.4", two)
        self.assertNotIn("# HELP", two)            # HEAD: no body
        for request, status in [
                (b"GET /nothing HTTP/1.1\r\n\r\n", "404"),
                (b"DELETE /metrics HTTP/1.1\r\n\r\n", "405"),
                (b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", "413"),
                (b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", "400"),
                (b"GET / HTTP/3.0\r\n\r\n", "505")]:
            answer = self.exchange(w.port, request)
            self.assertTrue(answer.startswith("HTTP/1.1 " + status), answer)
        self.assertEqual(w.get("/healthz"), (200, "ok\n"))


class SlowCreates(QuietHandler):
    """A proxy in front of json-server: a POST reaches the server at once,
    and its answer comes `delay` seconds later (a create in flight, then
    uncertain once the client gives up)."""

    upstream = None
    delay = 0.0
    posts = 0
    lock = threading.Lock()

    def forward(self):
        req = self.read_request()
        r = urllib.request.Request(self.upstream + self.path,
                                   data=req.body or None, method=req.method,
                                   headers={"Content-Type":
                                            "application/json"})
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        if req.method == "POST":
            with self.lock:
                type(self).posts += 1
            time.sleep(self.delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass                  # the client gave up

    do_GET = do_POST = do_PATCH = do_DELETE = forward


class ShutdownTest(WatchCase):
    def test_sigterm_with_creates_in_flight(self):
        handler = type("Slow", (SlowCreates,), {
            "upstream": self.server.url, "delay": 6.0, "posts": 0})
        proxy = InProcessServer()
        proxy.serve(handler)
        proxy.start()
        self.addCleanup(proxy.stop)
        new = [want(i) for i in range(100, 112)]
        path = os.path.join(self.tmp, "proxy.yaml")
        with open(path, "w") as f:
            f.write(desired_yaml(proxy.url, [want(i) for i in range(1, 6)] +
                                 new))
        w = self.watch("--apply", "--interval", "600", "prod=" + path)
        w.wait_for(lambda: handler.posts >= len(new), what="creates sent")
        self.assertEqual(w.stop(), 0, w.stderr_text())
        report = w.events("pass")[-1]["report"]
        self.assertTrue(report["cancelled"])
        done = {r["key"] for r in report["results"]
                if r["action"] == "create" and r["status"] == "ok"}
        cut = {r["key"] for r in report["results"]
               if r["action"] == "create" and r["status"] == "failed"}
        self.assertTrue(cut, "no create was cut off: the test proves nothing")
        settle = w.events("settle")
        self.assertEqual(len(settle), 1, w.stderr_text())
        self.assertEqual(set(settle[0]["done"]) | set(settle[0]["absent"]),
                         cut)
        self.assertEqual(settle[0]["unknown"], [])
        done |= set(settle[0]["done"])
        self.assertIn("cut off by the stop", w.stderr_text())
        live = live_by_name(self.server)
        for r in new:
            key = r["name"] + "|A"
            self.assertEqual(key in done, r["name"] in live,
                             "%s\n%s" % (key, json.dumps(report)))
            self.assertLessEqual(len(live.get(r["name"], [])), 1)
        # the next start creates what is missing, and duplicates nothing
        write_desired(self.path, self.server.url,
                      [want(i) for i in range(1, 6)] + new)
        r = run_trueup(["watch", "--once", "--apply", "prod=" + self.path])
        self.assertEqual(r.code, 0, r.describe())
        live = live_by_name(self.server)
        for x in new:
            self.assertEqual(len(live[x["name"]]), 1, x["name"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
