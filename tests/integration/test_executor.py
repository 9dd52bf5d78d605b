"""test_executor.py -- the HTTP executor (engine/executor.c) against nginx.

A private nginx with the echo module serves latency, echo, fault and paging
locations on a free loopback port; tests/tools/exec_probe (path in
$TU_EXEC_PROBE, or found next to $TRUEUP in the build tree) runs request
lists through the executor and reports what happened as JSON. Timed
assertions are generous upper bounds only, except where the executor must
wait (a Retry-After floor), which are lower bounds. test_faults.py has the
fault-handling tests (deadline, cancel, rate limit, AIMD, TLS) and uses
run_probe and missing_prerequisite from here.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nginx_server import NginxServer, free_port, nginx_available  # noqa: E402

LATENCY_S = 0.05

LOCATIONS = r"""
        location = /latency {
            echo_read_request_body;
            echo -n '{"t0":$msec,';
            echo_sleep 0.05;
            echo '"t1":$msec,"ok":true}';
        }
        location = /latency20 {
            echo_read_request_body;
            echo -n '{"t0":$msec,';
            echo_sleep 0.02;
            echo '"t1":$msec,"ok":true}';
        }
        location = /slow {
            echo_read_request_body;
            echo_sleep 1;
            echo '{"ok":true}';
        }
        location = /fast {
            echo_read_request_body;
            echo '{"ok":true}';
        }
        location = /echo {
            echo_read_request_body;
            add_header X-Got-Content-Type "$content_type" always;
            add_header X-Got-Expect "[$http_expect]" always;
            add_header X-Got-Method "$request_method" always;
            echo_request_body;
        }
        # The first request on each connection fails, later ones succeed:
        # deterministic "fail once, then OK" when the connection is reused.
        location = /flaky {
            if ($connection_requests = 1) {
                add_header Retry-After 1 always;
                return 503;
            }
            echo '{"ok":true}';
        }
        location = /503 { return 503; }
        location = /429 { add_header Retry-After 0 always; return 429; }
        location = /444 { return 444; }
        location = /big { echo_duplicate 100000 "x"; }
        location = /redirect { return 302 /fast; }
        location = /pages/1 {
            add_header Link '<http://127.0.0.1:{PORT}/pages/2>; rel="next", <http://127.0.0.1:{PORT}/pages/3>; rel="last"';
            echo '{"page":1}';
        }
        location = /pages/2 {
            add_header Link '<http://127.0.0.1:{PORT}/pages/1>; rel="prev", <http://127.0.0.1:{PORT}/pages/3>; rel="next"';
            echo '{"page":2}';
        }
        location = /pages/3 {
            add_header Link '<http://127.0.0.1:{PORT}/pages/2>; rel="prev"';
            echo '{"page":3}';
        }
"""

def probe_path():
    """$TU_EXEC_PROBE, or BUILD/tests/exec_probe next to $TRUEUP (BUILD/trueup)."""
    if os.environ.get("TU_EXEC_PROBE"):
        return os.environ["TU_EXEC_PROBE"]
    if os.environ.get("TRUEUP"):
        return os.path.join(os.path.dirname(os.environ["TRUEUP"]), "tests",
                            "exec_probe")
    return None


PROBE = probe_path()


def run_probe(spec, expect_rc=0, timeout=120):
    """Run exec_probe on a spec; returns (report dict or None, stderr)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    try:
        proc = subprocess.run([PROBE, path], capture_output=True, text=True,
                              timeout=timeout)
    finally:
        os.unlink(path)
    if proc.returncode != expect_rc:
        raise AssertionError("exec_probe exited %d (wanted %d)\nstderr: %s\n"
                             "stdout: %s" % (proc.returncode, expect_rc,
                                             proc.stderr, proc.stdout[:4000]))
    report = json.loads(proc.stdout) if proc.stdout.strip() else None
    return report, proc.stderr


def missing_prerequisite():
    """Why these tests cannot run here, or None."""
    if not PROBE or not os.access(PROBE, os.X_OK):
        return "exec_probe not found (set TU_EXEC_PROBE to the binary)"
    return nginx_available()


class ExecutorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = missing_prerequisite()
        if why and os.environ.get("CI"):
            raise RuntimeError(why)  # CI must install nginx: never skip there
        if why:
            raise unittest.SkipTest(why)
        cls.nginx = NginxServer(LOCATIONS)
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()

    def url(self, path):
        return self.nginx.url(path)

    def probe(self, requests, **config):
        spec = {"concurrency": 4, "max_attempts": 3, "retry_base_ms": 10,
                "retry_max_ms": 2000, "timeout_ms": 10000}
        spec.update(config)
        spec["requests"] = requests
        report, _ = run_probe(spec)
        self.assertEqual(report["done_count_errors"], 0, report)
        self.assertEqual(report["stats"]["finished"], report["submitted"])
        self.assertEqual(report["pending_after"], 0)
        return report

    def one(self, request, **config):
        """The result of a single request."""
        report = self.probe([request], **config)
        self.assertEqual(len(report["results"]), 1)
        return report["results"][0], report

    # ---- concurrency ------------------------------------------------------

    def check_cap(self, n, c, mode):
        report = self.probe(
            [{"method": "PATCH", "url": self.url("/latency"), "body": '{"a":1}'}],
            repeat=n, concurrency=c, mode=mode, results=False)
        self.assertEqual(report["status_counts"], {"200": n})
        self.assertEqual(report["stats"]["requests"], n)
        self.assertEqual(report["done_calls"], n)
        # The server saw exactly C requests at once: never more, and the
        # executor kept all C busy.
        self.assertEqual(report["max_in_flight"], c, report)
        ideal_ms = n / c * LATENCY_S * 1000
        self.assertLess(report["elapsed_ms"], 4 * ideal_ms + 2000, report)
        return report

    def test_concurrency_cap_respected(self):
        self.check_cap(200, 10, "run")

    def test_concurrency_cap_with_many_slots(self):
        self.check_cap(400, 50, "run")

    def test_poll_loop_with_fd_and_timeout(self):
        report = self.check_cap(100, 10, "poll")
        self.assertGreater(report["drive_calls"], 0)

    def test_concurrency_one_is_sequential(self):
        report = self.probe([{"url": self.url("/latency")}], repeat=5,
                            concurrency=1, results=False)
        self.assertEqual(report["max_in_flight"], 1)

    # ---- bodies and headers sent -----------------------------------------

    def test_bodies_sent_exactly_as_json(self):
        body = json.dumps({"name": "www", "records": ["1.2.3.4"], "u": "\u00e9"})
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            with self.subTest(method=method):
                r, _ = self.one({"method": method, "url": self.url("/echo"),
                                 "body": body, "check_echo": True,
                                 "want_headers": True,
                                 "lookup": ["X-Got-Content-Type", "X-Got-Expect",
                                            "X-Got-Method"]})
                self.assertEqual(r["status"], 200, r)
                self.assertTrue(r["echo_ok"], r)
                self.assertEqual(r["lookup"]["X-Got-Content-Type"], "application/json")
                self.assertEqual(r["lookup"]["X-Got-Expect"], "[]")
                self.assertEqual(r["lookup"]["X-Got-Method"], method)

    def test_one_handle_carries_requests_of_every_shape(self):
        # Concurrency 1: one easy handle carries them all, in order. A
        # request shaped like the one before sets only its URL and body
        # (no curl_easy_reset); any other resets the handle. Each must go
        # out with its own method, body and Content-Type, and a response's
        # headers only when asked for.
        def echo(method, body=None, want=True, idempotent=True):
            req = {"method": method, "url": self.url("/echo"),
                   "idempotent": idempotent, "want_headers": want,
                   "lookup": ["X-Got-Method", "X-Got-Content-Type"]}
            if body is not None:
                req.update(body=body, check_echo=True)
            return req
        reqs = [echo("PATCH", '{"a":1}'), echo("PATCH", '{"bb":22}'),
                echo("PATCH", '{"ccc":333}', want=False), echo("GET"),
                echo("GET"), echo("PUT", '{"d":4}'),
                echo("POST", '{"e":5}', idempotent=False),
                echo("PATCH", '{"f":6}'), echo("DELETE"),
                echo("PATCH", '{"g":7}'), echo("POST", '{"h":8}')]
        report = self.probe(reqs, concurrency=1)
        results = report["results"]
        self.assertEqual(len(results), len(reqs))
        for req, r in zip(reqs, results):
            with self.subTest(request=req):
                self.assertEqual(r["status"], 200, r)
                if req.get("body") is not None:
                    self.assertTrue(r["echo_ok"], r)
                    self.assertEqual(r["body_len"], len(req["body"]))
                else:
                    self.assertEqual(r["body_len"], 0, r)
                if not req["want_headers"]:
                    self.assertIsNone(r["lookup"]["X-Got-Method"], r)
                    continue
                self.assertEqual(r["lookup"]["X-Got-Method"], req["method"])
                self.assertIn(r["lookup"]["X-Got-Content-Type"],
                              ("application/json",) if "body" in req
                              else ("", None), r)

    def test_big_body_has_no_expect_100_continue(self):
        r, _ = self.one({"method": "PUT", "url": self.url("/echo"),
                         "body_repeat": {"text": '{"k":"0123456789"},', "count": 100000},
                         "check_echo": True, "want_headers": True,
                         "lookup": ["X-Got-Expect", "X-Got-Content-Type"]})
        self.assertEqual(r["status"], 200, r)
        self.assertGreater(r["body_len"], 1024 * 1024)
        self.assertTrue(r["echo_ok"])
        self.assertEqual(r["lookup"]["X-Got-Expect"], "[]")
        self.assertEqual(r["lookup"]["X-Got-Content-Type"], "application/json")

    def test_get_without_body_has_no_content_type(self):
        r, _ = self.one({"method": "GET", "url": self.url("/echo"),
                         "want_headers": True,
                         "lookup": ["X-Got-Content-Type", "X-Got-Method"]})
        self.assertEqual(r["status"], 200)
        self.assertEqual(r["body_len"], 0)
        self.assertIn(r["lookup"]["X-Got-Content-Type"], ("", None))
        self.assertEqual(r["lookup"]["X-Got-Method"], "GET")

    def test_configured_headers_sent(self):
        r, _ = self.one({"method": "POST", "url": self.url("/echo"), "body": "{}",
                         "want_headers": True, "lookup": ["X-Got-Content-Type"]},
                        headers=["Content-Type: application/merge-patch+json"])
        self.assertEqual(r["lookup"]["X-Got-Content-Type"],
                         "application/merge-patch+json")

    # ---- responses -------------------------------------------------------

    def test_headers_captured_when_asked(self):
        r, _ = self.one({"url": self.url("/pages/2"), "want_headers": True,
                         "lookup": ["link", "LINK", "X-Nope"]})
        self.assertIn('rel="next"', r["lookup"]["link"])
        self.assertEqual(r["lookup"]["link"], r["lookup"]["LINK"])
        self.assertIsNone(r["lookup"]["X-Nope"])
        names = [h[0].lower() for h in r["headers"]]
        self.assertIn("link", names)
        self.assertIn("content-type", names)
        self.assertFalse(any(n.startswith("http/") for n in names))

    def test_headers_not_kept_unless_asked(self):
        r, _ = self.one({"url": self.url("/pages/2"), "lookup": ["Link"]})
        self.assertIsNone(r["lookup"]["Link"])

    def test_redirect_is_not_followed(self):
        r, _ = self.one({"url": self.url("/redirect"), "want_headers": True,
                         "lookup": ["Location"]})
        self.assertEqual(r["status"], 302)
        self.assertEqual(r["attempts"], 1)
        self.assertTrue(r["lookup"]["Location"].endswith("/fast"))

    def test_body_cap_truncates_and_fails(self):
        r, _ = self.one({"url": self.url("/big")}, max_body_bytes=1000)
        self.assertTrue(r["body_truncated"])
        self.assertEqual(r["curl_code"], 23)  # CURLE_WRITE_ERROR
        self.assertEqual(r["attempts"], 1)
        self.assertLessEqual(r["body_len"], 1000)
        self.assertIn("max_body_bytes", r["error"])
        r, _ = self.one({"url": self.url("/big")}, max_body_bytes=200000)
        self.assertFalse(r["body_truncated"])
        self.assertEqual(r["curl_code"], 0)
        self.assertEqual(r["body_len"], 100000)

    # ---- retries ---------------------------------------------------------

    def test_retry_after_503_then_ok(self):
        r, report = self.one({"url": self.url("/flaky")}, concurrency=1)
        self.assertEqual(r["status"], 200, r)
        self.assertEqual(r["attempts"], 2)
        self.assertEqual(report["stats"]["retries"], 1)
        self.assertEqual(report["stats"]["requests"], 2)
        # Retry-After: 1 is a floor on the delay.
        self.assertGreaterEqual(report["elapsed_ms"], 950)

    def test_idempotent_retries_stop_at_max_attempts(self):
        cases = (("/503", 503, 0), ("/429", 429, 0), ("/444", 0, 52))
        for path, status, code in cases:
            for attempts in (1, 3):
                with self.subTest(path=path, max_attempts=attempts):
                    r, report = self.one({"method": "PUT", "url": self.url(path),
                                          "body": "{}", "idempotent": True},
                                         max_attempts=attempts)
                    self.assertEqual(r["status"], status, r)
                    self.assertEqual(r["curl_code"], code, r)
                    self.assertEqual(r["attempts"], attempts, r)
                    self.assertFalse(r["may_have_arrived"], r)  # idempotent
                    self.assertEqual(report["stats"]["requests"], attempts)
                    self.assertEqual(report["stats"]["retries"], attempts - 1)

    def test_post_not_retried_after_it_may_have_arrived(self):
        for path in ("/503", "/444"):
            with self.subTest(path=path):
                r, report = self.one({"method": "POST", "url": self.url(path),
                                      "body": "{}", "idempotent": False},
                                     max_attempts=4)
                self.assertEqual(r["attempts"], 1, r)
                self.assertTrue(r["may_have_arrived"], r)
                self.assertEqual(report["stats"]["retries"], 0)

    def test_post_retried_on_429(self):
        # 429 means the request was refused unprocessed: safe for POST too.
        r, _ = self.one({"method": "POST", "url": self.url("/429"), "body": "{}",
                         "idempotent": False}, max_attempts=3)
        self.assertEqual(r["attempts"], 3)
        self.assertFalse(r["may_have_arrived"], r)  # refused, not acted on

    def test_post_retried_on_connection_refused(self):
        url = "http://127.0.0.1:%d/records" % free_port()
        r, report = self.one({"method": "POST", "url": url, "body": "{}",
                              "idempotent": False}, max_attempts=3)
        self.assertEqual(r["curl_code"], 7, r)  # CURLE_COULDNT_CONNECT
        self.assertEqual(r["status"], 0)
        self.assertEqual(r["attempts"], 3)
        self.assertFalse(r["may_have_arrived"], r)  # it never left
        self.assertEqual(report["stats"]["retries"], 2)

    def test_timeout_is_retried_for_idempotent(self):
        r, _ = self.one({"url": self.url("/slow")}, timeout_ms=200, max_attempts=2)
        self.assertEqual(r["curl_code"], 28, r)  # CURLE_OPERATION_TIMEDOUT
        self.assertEqual(r["attempts"], 2)

    def test_client_error_is_final(self):
        r, _ = self.one({"url": self.url("/no-such-path")}, max_attempts=4)
        self.assertEqual(r["status"], 404)
        self.assertEqual(r["attempts"], 1)

    # ---- done callbacks --------------------------------------------------

    def test_every_request_gets_exactly_one_done(self):
        paths = ["/fast", "/503", "/429", "/444", "/big", "/echo", "/flaky",
                 "/no-such-path"]
        requests = [{"method": m, "url": self.url(p), "body": "{}",
                     "idempotent": m != "POST"}
                    for p in paths for m in ("POST", "PATCH")]
        requests.append({"method": "POST", "url": "http://127.0.0.1:%d/" % free_port(),
                         "body": "{}", "idempotent": False})
        report = self.probe(requests, repeat=5, concurrency=8, max_body_bytes=1000)
        self.assertEqual(report["submitted"], len(requests) * 5)
        self.assertEqual(report["done_calls"], report["submitted"])
        self.assertEqual(report["stats"]["requests"], report["attempts_total"])
        self.assertEqual(report["stats"]["retries"],
                         report["attempts_total"] - report["submitted"])

    def test_done_can_submit_the_next_page(self):
        report = self.probe([{"url": self.url("/pages/1"), "follow_next": True,
                              "print_body": True}], print_body=True)
        urls = [r["url"] for r in report["results"]]
        self.assertEqual(urls, [self.url("/pages/%d" % i) for i in (1, 2, 3)])
        self.assertEqual([json.loads(r["body"])["page"] for r in report["results"]],
                         [1, 2, 3])
        self.assertEqual(report["stats"]["finished"], 3)

    def test_bad_config_is_refused(self):
        for config in ({"concurrency": 0}, {"concurrency": 10001},
                       {"max_attempts": 0}):
            with self.subTest(config=config):
                spec = dict(config, requests=[])
                report, err = run_probe(spec, expect_rc=2)
                self.assertIsNone(report)
                self.assertIn("executor:", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
