"""test_http2.py -- HTTP/2, connections and the re-send guard of the
executor (engine/executor_conn.c), against nginx on loopback.

Through tests/tools/exec_probe (see test_executor.py for how it is found),
against nginx servers speaking HTTPS with HTTP/2 offered by ALPN, HTTPS
with HTTP/1.1 only, and HTTP/2 with prior knowledge over plain HTTP. Every
location logs each request with nginx's connection serial number and
protocol, so the tests count what the server saw, not what the client
says:

  - http2 auto: HTTP/2 negotiated over TLS, and many requests multiplexed
    on a few connections (the executor's connection count agrees with
    nginx's); over plain HTTP, HTTP/1.1;
  - http2 off honoured over TLS; max_connections caps the connections;
  - http2 on over plain HTTP: prior knowledge (h2c), one connection per
    request with libcurl before 8.0 (curl issue 10634);
  - TLS settings (ca_file, client certificates) over HTTP/2;
  - creates over HTTP/2 when the server refuses streams (a GOAWAY after
    every 10 requests): each reaches the server exactly once, all
    succeed; a stream reset after the create was read is not re-sent.

No timing is asserted.
"""

import collections
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nginx_server import NginxServer, TlsFiles, openssl_available  # noqa

from test_faults import FaultTestBase  # noqa: E402

HTTP = r"""
    log_format conn '$connection $server_protocol $request_method $uri';
"""

LOCATIONS = r"""
        keepalive_requests {KEEPALIVE};
        location /w/ {
            access_log {DIR}/requests.log conn;
            echo_read_request_body;
            echo_sleep 0.02;
            echo '{"ok":true}';
        }
        # Resets a reused connection's stream (HTTP/1.1: closes the
        # connection) after reading the request: it may have been acted on.
        location = /create {
            access_log {DIR}/requests.log conn;
            echo_read_request_body;
            if ($connection_requests != 1) { return 444; }
            echo '{"created":true}';
        }
"""


def log_lines(server):
    """(connection, protocol, method, uri) of every request nginx logged."""
    try:
        with open(server.path("requests.log")) as f:
            return [tuple(line.split()) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def logged_since(server, before, expect):
    """The lines nginx logged after the first `before`, once at least
    `expect` are there. nginx writes a request's line after it has sent the
    answer, so the client can finish a moment before the last line is in the
    file (seen on a loaded machine: 59 of 60 lines). Waits up to 20 s for
    them, then a little more so that a request logged twice is seen too."""
    deadline = time.monotonic() + 20
    while (len(log_lines(server)) - before < expect
           and time.monotonic() < deadline):
        time.sleep(0.05)
    time.sleep(0.3)
    return log_lines(server)[before:]


class Http2Base(FaultTestBase):
    @classmethod
    def start(cls, tls=None, http2=False, keepalive=1000000):
        server = NginxServer(LOCATIONS.replace("{KEEPALIVE}", str(keepalive)),
                             tls=tls, http2=http2, http=HTTP)
        cls.addClassCleanup(server.stop)
        server.start()
        return server

    def writes(self, server, n, method="PATCH", **config):
        """n writes to distinct URLs; (report, what nginx logged of them)."""
        before = len(log_lines(server))
        config.setdefault("concurrency", 20)
        report = self.probe([{"method": method,
                              "url": server.url("/w/%d" % i), "body": "{}",
                              "idempotent": method != "POST"}
                             for i in range(n)], results=False, **config)
        return report, logged_since(server, before, n)

    def assert_all_once(self, report, logged, n, protocol):
        self.assertEqual(report["status_counts"], {"200": n}, report)
        self.assertEqual(len(logged), n, logged[:5])
        uris = collections.Counter(line[3] for line in logged)
        self.assertEqual(max(uris.values()), 1, "a request arrived twice")
        self.assertEqual({line[1] for line in logged}, {protocol})
        return {line[0] for line in logged}


class Http2OverTls(Http2Base):
    @classmethod
    def setUpClass(cls):
        cls.check_prerequisites(openssl_available())
        cls.make_certificates("tu-h2-")
        cls.h2 = cls.start(TlsFiles(cls.cert, cls.key), http2=True)
        cls.h1 = cls.start(TlsFiles(cls.cert, cls.key))
        cls.mtls = cls.start(TlsFiles(cls.cert, cls.key, cls.client_cert),
                             http2=True)
        cls.goaway = cls.start(TlsFiles(cls.cert, cls.key), http2=True,
                               keepalive=10)

    def test_http2_negotiated_and_multiplexed(self):
        for method in ("PATCH", "POST"):
            with self.subTest(method=method):
                report, logged = self.writes(self.h2, 200, method,
                                             concurrency=50,
                                             ca_file=self.cert)
                conns = self.assert_all_once(report, logged, 200, "HTTP/2.0")
                stats = report["stats"]
                self.assertEqual(stats["by_version"], {"HTTP/2": 200})
                # 50 requests in flight shared one connection or two
                self.assertLessEqual(len(conns), 2, conns)
                self.assertEqual(stats["connections"], len(conns))
                self.assertEqual(stats["resends_refused"], 0)

    def test_http2_off_is_honoured(self):
        report, logged = self.writes(self.h2, 60, concurrency=10,
                                     ca_file=self.cert, http2="off")
        conns = self.assert_all_once(report, logged, 60, "HTTP/1.1")
        self.assertEqual(report["stats"]["by_version"], {"HTTP/1.1": 60})
        self.assertGreater(len(conns), 1)          # one per request in flight
        self.assertLessEqual(len(conns), 10)
        self.assertEqual(report["stats"]["connections"], len(conns))

    def test_http1_server_gets_http1_in_auto(self):
        report, logged = self.writes(self.h1, 40, ca_file=self.cert)
        self.assert_all_once(report, logged, 40, "HTTP/1.1")
        self.assertEqual(report["stats"]["by_version"], {"HTTP/1.1": 40})

    def test_max_connections_caps_connections(self):
        report, logged = self.writes(self.h2, 60, concurrency=20,
                                     ca_file=self.cert, http2="off",
                                     max_connections=3)
        conns = self.assert_all_once(report, logged, 60, "HTTP/1.1")
        self.assertLessEqual(len(conns), 3, conns)
        self.assertEqual(report["stats"]["connections"], len(conns))

    def test_tls_settings_over_http2(self):
        report, logged = self.writes(self.mtls, 20, ca_file=self.cert,
                                     client_cert=self.client_cert,
                                     client_key=self.client_key)
        self.assert_all_once(report, logged, 20, "HTTP/2.0")
        r, _ = self.one({"method": "PUT", "url": self.mtls.url("/w/x"),
                         "body": "{}"}, ca_file=self.cert)
        self.assertEqual(r["status"], 400, r)    # no client certificate
        r, _ = self.one({"method": "PUT", "url": self.h2.url("/w/x"),
                         "body": "{}"})
        self.assertEqual(r["curl_code"], 60, r)  # not trusted without ca_file

    def test_refused_streams_are_resent_once(self):
        # nginx answers 10 requests per connection, then sends GOAWAY: the
        # streams libcurl had opened beyond them were never processed, and
        # the guard lets libcurl send them again on a new connection. No
        # create arrives twice. (libcurl gives up on a request refused 6
        # times in a row -- "Connection died, tried 5 times" -- which is
        # rare here; such a create fails as may_have_arrived, unlogged.)
        before = len(log_lines(self.goaway))
        report = self.probe([{"method": "POST",
                              "url": self.goaway.url("/w/%d" % i),
                              "body": "{}", "idempotent": False}
                             for i in range(150)], concurrency=20,
                            ca_file=self.cert)
        ok = {r["url"].split("/", 3)[3] for r in report["results"]
              if r["status"] == 200}
        logged = logged_since(self.goaway, before, len(ok))
        arrived = collections.Counter(line[3] for line in logged)
        self.assertEqual(max(arrived.values()), 1, "a create arrived twice")
        self.assertEqual({u.lstrip("/") for u in arrived}, ok)
        for r in report["results"]:
            if r["status"] != 200:
                self.assertEqual(r["curl_code"], 55, r)
                self.assertTrue(r["may_have_arrived"], r)
        self.assertGreater(len(ok), 140, report["error_counts"])
        self.assertGreaterEqual(len({line[0] for line in logged}), 14)
        self.assertEqual(report["stats"]["resends_refused"], 0)
        # That the guard was asked to let a refused stream go again depends
        # on libcurl having sent a body before the GOAWAY came. In the
        # optimised builds it always had (every run seen); in the ASan build
        # on an idle machine it never had (4 runs of 4: the refused streams
        # moved to a new connection before their bodies were read, so no
        # re-send was needed). The properties above hold in both.
        if not os.environ.get("TU_SANITIZED"):
            self.assertGreater(report["stats"]["resends_allowed"], 0)

    def test_reset_after_the_create_was_read_is_not_resent(self):
        before = len(log_lines(self.h2))
        report = self.probe([{"method": "PATCH", "url": self.h2.url("/w/0"),
                              "body": "{}"},
                             {"method": "POST", "url": self.h2.url("/create"),
                              "body": "{}", "idempotent": False}],
                            concurrency=1, ca_file=self.cert)
        r = report["results"][1]
        creates = [line for line in logged_since(self.h2, before, 2)
                   if line[3] == "/create"]
        self.assertEqual(len(creates), 1, creates)   # arrived once
        self.assertEqual(r["status"], 0, r)
        self.assertEqual(r["attempts"], 1, r)
        self.assertTrue(r["may_have_arrived"], r)


class Http2Cleartext(Http2Base):
    @classmethod
    def setUpClass(cls):
        cls.check_prerequisites()
        cls.h2c = cls.start(http2=True)
        cls.plain = cls.start()

    def test_prior_knowledge_with_on(self):
        report, logged = self.writes(self.h2c, 30, "POST", concurrency=5,
                                     http2="on")
        conns = self.assert_all_once(report, logged, 30, "HTTP/2.0")
        self.assertEqual(report["stats"]["by_version"], {"HTTP/2": 30})
        self.assertEqual(report["stats"]["connections"], len(conns))
        # libcurl 7.88 can send only the first request of an h2c connection
        # (curl issue 10634): one connection per request there.
        if report["stats"]["libcurl_version_num"] >= 0x080000:
            self.assertLess(len(conns), 30)
        else:
            self.assertEqual(len(conns), 30)

    def test_auto_is_http1_over_cleartext(self):
        report, logged = self.writes(self.plain, 20, concurrency=4)
        conns = self.assert_all_once(report, logged, 20, "HTTP/1.1")
        self.assertLessEqual(len(conns), 4)


if __name__ == "__main__":
    unittest.main(verbosity=2)
