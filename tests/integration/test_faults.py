"""test_faults.py -- the executor's fault handling (engine/executor.c).

Against a private nginx (echo module) and loopback sockets that never
answer, through tests/tools/exec_probe (see test_executor.py for how it is
found):

  - which requests are retried: 408/500 for PATCH, not for POST, which
    instead reports may_have_arrived;
  - requests that are not idempotent share connections, but libcurl
    cannot silently re-send them: a reused connection that closes after
    the request without an answer fails it (counted in nginx's access
    log); one without a body still gets a connection of its own;
  - the rate limit (a lower bound on the elapsed time: it is a correctness
    property; no upper bounds on speed);
  - adaptive concurrency (AIMD) under a share of 429s;
  - the run's deadline, cancellation (direct, through should_stop, and
    from a done callback), and timeouts against servers that never answer;
  - TLS: verification on by default, ca_file, insecure, client
    certificates;
  - no error text quotes a request header value.

Time bounds are lower bounds where the executor must wait, and only very
generous upper bounds (a run that hangs is the failure they catch).
"""

import json
import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nginx_server import (NginxServer, TlsFiles, free_port,  # noqa: E402
                          make_self_signed, openssl_available)
from test_executor import missing_prerequisite, run_probe  # noqa: E402

HTTP = r"""
    split_clients "${request_id}" $throttle { 20% yes; * no; }
"""

LOCATIONS = r"""
        location = /fast {
            echo_read_request_body;
            echo '{"ok":true}';
        }
        location = /slow {
            echo_read_request_body;
            echo_sleep 1;
            echo '{"ok":true}';
        }
        location = /hang {
            echo_read_request_body;
            echo_sleep 3600;
            echo '{"ok":true}';
        }
        location = /408 {
            echo_read_request_body;
            echo_status 408;
            echo '{"error":"request timeout"}';
        }
        location = /500 {
            echo_read_request_body;
            echo_status 500;
            echo '{"error":"boom"}';
        }
        location = /444 { return 444; }
        location = /big { echo_duplicate 100000 "x"; }
        # Which connection served the request: nginx's serial number.
        location = /conn {
            echo_read_request_body;
            echo '{"connection":$connection,"n":$connection_requests}';
        }
        # Closes a reused connection without an answer (the case where
        # libcurl silently re-sends); every request that arrives is logged.
        location = /create {
            access_log {DIR}/create.log;
            if ($connection_requests != 1) { return 444; }
            echo_read_request_body;
            echo '{"created":true}';
        }
        # 20% of requests (drawn per request) are refused with 429.
        location = /throttled {
            if ($throttle = yes) { return 429; }
            echo_read_request_body;
            echo -n '{"t0":$msec,';
            echo_sleep 0.02;
            echo '"t1":$msec,"ok":true}';
        }
"""

SECRET_HEADERS = ["Authorization: Bearer SECRET-TOKEN-1234",
                  "X-API-Key: SECRET-KEY-5678"]


def silent_listener():
    """A loopback socket that accepts connections (the kernel's backlog)
    but never answers. Returns (socket, port); close it when done."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock, sock.getsockname()[1]


def errors_of(report):
    return [r["error"] for r in report["results"]]


class FaultTestBase(unittest.TestCase):
    @classmethod
    def check_prerequisites(cls, *more):
        why = missing_prerequisite()
        for extra in more:
            why = why or extra
        if why and os.environ.get("CI"):
            raise RuntimeError(why)  # CI must install them: never skip there
        if why:
            raise unittest.SkipTest(why)

    @classmethod
    def make_certificates(cls, prefix):
        """A temporary directory (removed after the class) with a server
        certificate (cls.cert, cls.key) and a client one (cls.client_cert,
        cls.client_key), both self-signed; returns the directory."""
        cls.tmp = tempfile.TemporaryDirectory(prefix=prefix)
        cls.addClassCleanup(cls.tmp.cleanup)
        d = cls.tmp.name
        cls.cert, cls.key = make_self_signed(d, "server")
        cls.client_cert, cls.client_key = make_self_signed(d, "client",
                                                           "trueup-client")
        return d

    def probe(self, requests, **config):
        spec = {"concurrency": 4, "max_attempts": 3, "retry_base_ms": 10,
                "retry_max_ms": 2000, "timeout_ms": 10000}
        spec.update(config)
        spec["requests"] = requests
        report, stderr = run_probe(spec)
        self.assertEqual(report["done_count_errors"], 0, report)
        self.assertEqual(report["done_calls"], report["submitted"])
        self.assertEqual(report["stats"]["finished"], report["submitted"])
        self.assertEqual(report["pending_after"], 0)
        self.assertNotIn("SECRET", stderr)
        return report

    def one(self, request, **config):
        report = self.probe([request], **config)
        return report["results"][0], report


class FaultsTest(FaultTestBase):
    @classmethod
    def setUpClass(cls):
        cls.check_prerequisites()
        cls.nginx = NginxServer(LOCATIONS, http=HTTP)
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()

    def url(self, path):
        return self.nginx.url(path)

    # ---- what is retried ----------------------------------------------

    def test_408_and_500_retried_for_patch(self):
        for path, status in (("/408", 408), ("/500", 500)):
            with self.subTest(path=path):
                r, report = self.one({"method": "PATCH", "url": self.url(path),
                                      "body": "{}", "idempotent": True},
                                     max_attempts=3)
                self.assertEqual(r["status"], status, r)
                self.assertEqual(r["curl_code"], 0)
                self.assertEqual(r["attempts"], 3)
                self.assertFalse(r["may_have_arrived"])
                self.assertEqual(report["stats"]["retries"], 2)

    def test_408_and_500_not_retried_for_post(self):
        for path, status in (("/408", 408), ("/500", 500)):
            with self.subTest(path=path):
                r, report = self.one({"method": "POST", "url": self.url(path),
                                      "body": "{}", "idempotent": False},
                                     max_attempts=3)
                self.assertEqual(r["status"], status, r)
                self.assertEqual(r["attempts"], 1)
                self.assertTrue(r["may_have_arrived"], r)
                self.assertEqual(report["stats"]["retries"], 0)

    def test_post_answered_is_definite(self):
        r, _ = self.one({"method": "POST", "url": self.url("/fast"),
                         "body": "{}", "idempotent": False})
        self.assertEqual(r["status"], 200)
        self.assertFalse(r["may_have_arrived"])
        r, _ = self.one({"method": "POST", "url": self.url("/nope"),
                         "body": "{}", "idempotent": False})
        self.assertEqual(r["status"], 404)
        self.assertFalse(r["may_have_arrived"])

    # ---- no silent re-sends of creates -------------------------------

    def connections(self, idempotent, n=6, body="{}"):
        report = self.probe([{"method": "POST", "url": self.url("/conn"),
                              "body": body, "idempotent": idempotent}],
                            repeat=n, concurrency=1, print_body=True)
        return {json.loads(r["body"])["connection"] for r in report["results"]}

    def test_posts_share_connections_unless_bodiless(self):
        self.assertEqual(len(self.connections(False)), 1)   # reused
        self.assertEqual(len(self.connections(True)), 1)
        # no body: nothing the guard can hold back; a connection each
        self.assertEqual(len(self.connections(False, body="")), 6)

    def logged_creates(self):
        try:
            with open(self.nginx.path("create.log")) as f:
                return len(f.readlines())
        except FileNotFoundError:
            return 0

    def created(self, idempotent):
        """The POST's result, the probe's report, and how many times the
        POST reached the server."""
        before = self.logged_creates()
        report = self.probe([{"url": self.url("/fast")},  # warms a connection
                             {"method": "POST", "url": self.url("/create"),
                              "body": "{}", "idempotent": idempotent}],
                            concurrency=1)
        return (report["results"][1], report,
                self.logged_creates() - before)

    def test_no_silent_resend_of_a_create(self):
        # The create goes out on the warm connection, which /create closes
        # unanswered after reading it: libcurl wants to send it again on a
        # new connection, the guard refuses, and the create fails as one
        # that may have reached the server. It arrived exactly once.
        r, report, arrived = self.created(idempotent=False)
        self.assertEqual(arrived, 1)
        self.assertEqual((r["status"], r["curl_code"]), (0, 65), r)
        self.assertEqual(r["attempts"], 1)
        self.assertTrue(r["may_have_arrived"], r)
        self.assertIn("may have reached the server", r["error"])
        self.assertEqual(report["stats"]["resends_refused"], 1)
        # The hazard itself: on a reused connection that dies unanswered,
        # libcurl re-sends on its own, unseen (attempts 1, arrived twice).
        r, report, arrived = self.created(idempotent=True)
        self.assertEqual(r["status"], 200, r)
        self.assertEqual(r["attempts"], 1)
        self.assertEqual(arrived, 2)
        self.assertEqual(report["stats"]["resends_refused"], 0)

    # ---- rate limit ---------------------------------------------------

    def test_rate_limit_spaces_requests(self):
        report = self.probe([{"url": self.url("/fast")}], repeat=100,
                            concurrency=8, rate_limit=50, results=False)
        self.assertEqual(report["status_counts"], {"200": 100})
        # 100 starts at 50/s: the last is at least 99 * 20 ms - 1 ms each
        # after the first.
        self.assertGreaterEqual(report["elapsed_ms"], 1900, report)

    def test_retries_take_tokens_too(self):
        report = self.probe([{"method": "PATCH", "url": self.url("/500"),
                              "body": "{}"}], repeat=10, concurrency=8,
                            rate_limit=50, max_attempts=3, retry_base_ms=1,
                            results=False)
        self.assertEqual(report["stats"]["requests"], 30)
        self.assertGreaterEqual(report["elapsed_ms"], 29 * 20 - 29, report)

    # ---- adaptive concurrency -------------------------------------------

    def test_adaptive_concurrency_backs_off_and_finishes(self):
        report = self.probe([{"method": "PUT", "url": self.url("/throttled"),
                              "body": "{}"}], repeat=300, concurrency=16,
                            adaptive=True, max_attempts=12, retry_base_ms=5,
                            retry_max_ms=50, results=False)
        self.assertEqual(report["status_counts"], {"200": 300}, report)
        stats = report["stats"]
        self.assertLess(stats["concurrency_min"], 16, report)
        self.assertGreaterEqual(stats["concurrency_min"], 1)
        self.assertLessEqual(stats["concurrency_now"], 16)
        self.assertGreater(stats["retries"], 0)
        self.assertLessEqual(report["max_in_flight"], 16)

    def test_fixed_concurrency_without_adaptive(self):
        report = self.probe([{"method": "PUT", "url": self.url("/throttled"),
                              "body": "{}"}], repeat=100, concurrency=16,
                            max_attempts=12, retry_base_ms=5, retry_max_ms=50,
                            results=False)
        self.assertEqual(report["status_counts"], {"200": 100}, report)
        self.assertEqual(report["stats"]["concurrency_min"], 16)
        self.assertEqual(report["stats"]["concurrency_now"], 16)

    # ---- the run's deadline ---------------------------------------------

    def test_deadline_ends_the_run(self):
        report = self.probe([{"method": "POST", "url": self.url("/slow"),
                              "body": "{}", "idempotent": False}],
                            repeat=20, concurrency=4, deadline_ms=300)
        self.assertEqual(report["curl_code_counts"], {"28": 20}, report)
        self.assertEqual(report["error_counts"], {
            "the run's deadline passed while this request was in flight": 4,
            "the run's deadline passed before this request was sent": 16})
        for r in report["results"]:
            in_flight = "in flight" in r["error"]
            self.assertEqual(r["attempts"], 1 if in_flight else 0, r)
            self.assertEqual(r["may_have_arrived"], in_flight, r)
        self.assertGreaterEqual(report["elapsed_ms"], 290)
        self.assertLess(report["elapsed_ms"], 5000)

    def test_deadline_bounds_a_hanging_server_without_timeout(self):
        r, report = self.one({"url": self.url("/hang")}, timeout_ms=0,
                             deadline_ms=500)
        self.assertEqual(r["curl_code"], 28, r)
        self.assertIn("deadline", r["error"])
        self.assertGreaterEqual(report["elapsed_ms"], 490)
        self.assertLess(report["elapsed_ms"], 10000)

    def test_retry_due_after_the_deadline_is_not_waited_for(self):
        # /500 for PATCH is retried; a backoff of 5 s cannot fit in 1 s.
        r, report = self.one({"method": "PATCH", "url": self.url("/500"),
                              "body": "{}"}, retry_base_ms=5000,
                             retry_max_ms=5000, max_attempts=3,
                             deadline_ms=30000)
        self.assertEqual(r["status"], 500)
        r, report = self.one({"method": "PATCH", "url": self.url("/500"),
                              "body": "{}"}, retry_base_ms=60000,
                             retry_max_ms=60000, max_attempts=2,
                             deadline_ms=1000)
        self.assertEqual(r["status"], 500, r)   # its own answer
        self.assertEqual(r["curl_code"], 0)
        self.assertLess(report["elapsed_ms"], 1000)

    # ---- timeouts against servers that never answer ----------------------

    def test_hanging_server_bounded_by_timeout(self):
        r, report = self.one({"url": self.url("/hang")}, timeout_ms=300,
                             max_attempts=2)
        self.assertEqual(r["curl_code"], 28, r)  # CURLE_OPERATION_TIMEDOUT
        self.assertEqual(r["attempts"], 2)
        self.assertGreaterEqual(report["elapsed_ms"], 590)
        self.assertLess(report["elapsed_ms"], 10000)

    def test_silent_socket_bounded_by_timeout(self):
        sock, port = silent_listener()
        try:
            url = "http://127.0.0.1:%d/x" % port
            r, report = self.one({"method": "POST", "url": url, "body": "{}",
                                  "idempotent": False}, timeout_ms=300)
        finally:
            sock.close()
        self.assertEqual(r["curl_code"], 28, r)
        self.assertEqual(r["attempts"], 1)       # it left: not re-sent
        self.assertTrue(r["may_have_arrived"])
        self.assertLess(report["elapsed_ms"], 10000)

    # ---- cancellation -----------------------------------------------------

    def check_cancelled(self, report, finished_ok, in_flight, unsent):
        counts = report["error_counts"]
        self.assertEqual(counts.get("", 0), finished_ok, report)
        self.assertEqual(counts.get("cancelled while in flight", 0), in_flight,
                         report)
        self.assertEqual(counts.get("cancelled before it was sent", 0), unsent,
                         report)
        self.assertEqual(finished_ok + in_flight + unsent, report["submitted"])
        for r in report["results"]:
            if r["error"] == "cancelled before it was sent":
                self.assertEqual((r["curl_code"], r["attempts"],
                                  r["may_have_arrived"]), (42, 0, False), r)
            if r["error"] == "cancelled while in flight":
                self.assertEqual(r["curl_code"], 42)  # ABORTED_BY_CALLBACK
                self.assertEqual(r["may_have_arrived"], r["method"] == "POST")

    def slow_requests(self):
        return [{"method": "POST", "url": self.url("/slow"), "body": "{}",
                 "idempotent": False},
                {"method": "PUT", "url": self.url("/slow"), "body": "{}"}]

    def test_cancel_without_grace(self):
        report = self.probe(self.slow_requests(), repeat=10, concurrency=4,
                            cancel_after_ms=200, cancel_grace_ms=0)
        self.check_cancelled(report, 0, 4, 16)
        self.assertEqual(report["stats"]["requests"], 4)
        self.assertLess(report["elapsed_ms"], 5000)

    def test_cancel_with_grace_lets_in_flight_finish(self):
        report = self.probe(self.slow_requests(), repeat=10, concurrency=4,
                            cancel_after_ms=200, cancel_grace_ms=5000)
        self.check_cancelled(report, 4, 0, 16)
        self.assertGreaterEqual(report["elapsed_ms"], 950)
        self.assertLess(report["elapsed_ms"], 5000)

    def test_should_stop_cancels_the_run(self):
        report = self.probe(self.slow_requests(), repeat=10, concurrency=4,
                            stop_after_ms=200, cancel_grace_ms=0)
        self.check_cancelled(report, 0, 4, 16)
        self.assertLess(report["elapsed_ms"], 5000)

    def test_should_stop_in_poll_mode(self):
        report = self.probe(self.slow_requests(), repeat=10, concurrency=4,
                            stop_after_ms=200, cancel_grace_ms=0, mode="poll")
        self.check_cancelled(report, 0, 4, 16)

    def test_cancel_from_a_done_callback(self):
        report = self.probe([{"url": self.url("/fast")}], repeat=10,
                            concurrency=1, cancel_after_done=3,
                            cancel_grace_ms=0)
        self.check_cancelled(report, 3, 0, 7)

    # ---- error texts ------------------------------------------------------

    def test_error_texts_never_quote_request_headers(self):
        sock, port = silent_listener()
        try:
            requests = [
                {"method": "POST", "url": "http://127.0.0.1:%d/" % free_port(),
                 "body": "{}", "idempotent": False},
                {"method": "POST", "url": "http://127.0.0.1:%d/" % port,
                 "body": "{}", "idempotent": False},
                {"url": self.url("/hang")},
                {"url": self.url("/444")},
                {"url": self.url("/big")},
                {"url": "http://no-such-host.invalid/"},
                {"url": "gopher://127.0.0.1/"},
                {"url": "http://[::1/"},
            ]
            report = self.probe(requests, headers=SECRET_HEADERS,
                                timeout_ms=300, max_attempts=2,
                                max_body_bytes=1000)
        finally:
            sock.close()
        errors = errors_of(report)
        self.assertTrue(all(errors), errors)  # every one failed, with a text
        for text in errors:
            self.assertNotIn("SECRET", text)
        for extra in ({"deadline_ms": 100}, {"cancel_after_ms": 50}):
            report = self.probe([{"url": self.url("/hang")}], repeat=3,
                                headers=SECRET_HEADERS, concurrency=1,
                                cancel_grace_ms=0, **extra)
            for text in errors_of(report):
                self.assertNotIn("SECRET", text)

    def test_bad_pacing_config_is_refused(self):
        for config in ({"rate_limit": -1}, {"rate_limit": 1e7},
                       {"deadline_ms": -5}, {"cancel_grace_ms": -1},
                       {"ca_file": "/nonexistent.pem"},
                       {"client_key": "/etc/hostname"}):
            with self.subTest(config=config):
                report, err = run_probe(dict(config, requests=[]), expect_rc=2)
                self.assertIsNone(report)
                self.assertIn("executor:", err)


class TlsTest(FaultTestBase):
    """Two nginx servers on HTTPS with a self-signed certificate; the second
    also requires a client certificate (a self-signed one it trusts)."""

    @classmethod
    def setUpClass(cls):
        cls.check_prerequisites(openssl_available())
        d = cls.make_certificates("tu-tls-")
        cls.other_cert, cls.other_key = make_self_signed(d, "other",
                                                         "stranger")
        cls.https = NginxServer(LOCATIONS, http=HTTP,
                                tls=TlsFiles(cls.cert, cls.key))
        cls.addClassCleanup(cls.https.stop)
        cls.https.start()
        cls.mtls = NginxServer(LOCATIONS, http=HTTP,
                               tls=TlsFiles(cls.cert, cls.key,
                                            cls.client_cert))
        cls.addClassCleanup(cls.mtls.stop)
        cls.mtls.start()

    def get(self, server, **config):
        r, _ = self.one({"method": "PUT", "url": server.url("/fast"),
                         "body": "{}"}, **config)
        return r

    def test_verification_is_on_by_default(self):
        r = self.get(self.https, headers=SECRET_HEADERS)
        self.assertEqual(r["curl_code"], 60, r)  # CURLE_PEER_FAILED_VERIFICATION
        self.assertEqual(r["attempts"], 1)       # not retried
        self.assertIn("certificate", r["error"])
        self.assertNotIn("SECRET", r["error"])

    def test_ca_file_trusts_the_server(self):
        r = self.get(self.https, ca_file=self.cert)
        self.assertEqual((r["curl_code"], r["status"]), (0, 200), r)

    def test_insecure_skips_verification(self):
        r = self.get(self.https, insecure=True)
        self.assertEqual((r["curl_code"], r["status"]), (0, 200), r)

    def test_wrong_ca_file_fails(self):
        r = self.get(self.https, ca_file=self.other_cert)
        self.assertEqual(r["curl_code"], 60, r)

    def test_client_certificate_required(self):
        r = self.get(self.mtls, ca_file=self.cert)
        self.assertEqual(r["status"], 400, r)  # nginx: no certificate sent
        r = self.get(self.mtls, ca_file=self.cert,
                     client_cert=self.other_cert, client_key=self.other_key)
        self.assertEqual(r["status"], 400, r)  # not one it trusts
        r = self.get(self.mtls, ca_file=self.cert,
                     client_cert=self.client_cert, client_key=self.client_key)
        self.assertEqual((r["curl_code"], r["status"]), (0, 200), r)

    def test_many_requests_over_tls(self):
        report = self.probe([{"method": "PATCH", "url": self.mtls.url("/fast"),
                              "body": "{}"},
                             {"method": "POST", "url": self.mtls.url("/fast"),
                              "body": "{}", "idempotent": False}],
                            repeat=50, concurrency=8, ca_file=self.cert,
                            client_cert=self.client_cert,
                            client_key=self.client_key, results=False)
        self.assertEqual(report["status_counts"], {"200": 100}, report)


if __name__ == "__main__":
    unittest.main(verbosity=2)
