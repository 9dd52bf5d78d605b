#!/usr/bin/env python3
"""trueup under faults, end to end: a private nginx in front of a real
json-server answers a random share of requests itself with 503 and
Retry-After, 429, or a closed connection (return 444), before they reach
json-server. Through it, an apply of a few hundred changes converges (re-run
while the retry policy gives up on some), the reports' counts match what
json-server received, no record is created twice, and a further apply
changes nothing. The same over HTTPS, with HTTP/1.1 (settings.http2: off)
and with HTTP/2 (nginx offering it by ALPN): creates share connections and
HTTP/2 streams there, and still none reaches json-server twice. Also: the
API going away mid-run (those records failed, the
rest reported truthfully), an interrupt (SIGINT) mid-run, and TLS through
the command line. Every server is started on a free loopback port and
stopped, whatever happens.
"""

import collections
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, RecordingServer, by_key, host,  # noqa: E402
                     run_trueup, target_yaml, temp_dir, trueup_available,
                     trueup_binary, write_yaml)
from nginx_server import (NginxServer, TlsFiles, make_self_signed,  # noqa
                          nginx_available, openssl_available)


def setUpModule():
    reason = nginx_available() or openssl_available()
    if reason:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the fault tests: " + reason)
        raise unittest.SkipTest(reason)
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


FAULTS_HTTP = """
    split_clients "${request_id}" $fault {
        7% unavailable;
        5% limited;
        4% dropped;
        * ok;
    }
"""

PROXY = """
        location / {
            if ($fault = unavailable) {
                add_header Retry-After 1 always;
                return 503;
            }
            if ($fault = limited) { return 429; }
            if ($fault = dropped) { return 444; }
            proxy_pass http://127.0.0.1:%d;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
"""

CLEAN_PROXY = """
        location / {
            proxy_pass http://127.0.0.1:%d;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
"""

LIVE = 300


def desired_records():
    """200 updates (hosts 1-200), 50 deletes (201-250), 50 unchanged
    (251-300), 100 creates (301-400)."""
    out = []
    for i in range(1, 401):
        name, content = "host%d.example.org." % i, "192.0.2.%d" % (i % 250)
        if 201 <= i <= 250:
            out.append('{name: %s, type: A, state: absent}' % name)
        else:
            ttl = 600 if i <= 200 or i > 300 else 3600
            out.append('{name: %s, type: A, content: "%s", ttl: %d}'
                       % (name, content, ttl))
    return out


def expected_state():
    want = {}
    for i in list(range(1, 201)) + list(range(251, 401)):
        want["host%d.example.org.|A" % i] = {
            "name": "host%d.example.org." % i, "type": "A",
            "content": "192.0.2.%d" % (i % 250),
            "ttl": 600 if i <= 200 or i > 300 else 3600}
    return want


class FaultCase(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-faults-")
        self.api = JsonServer([host(i) for i in range(1, LIVE + 1)])
        self.api.start()
        self.addCleanup(self.api.cleanup)

    def desired(self, base_url, settings, records=None, name="d.yaml",
                tls=None):
        text = target_yaml(base_url)
        if tls:
            text = text.replace("  resource:\n", "  tls: %s\n  resource:\n"
                                % json.dumps(tls), 1)
        text += "settings: %s\n" % json.dumps(settings)
        text += "records:\n" + "".join("  - %s\n" % r for r in
                                       (records or desired_records()))
        return write_yaml(os.path.join(self.tmp, name), text)


class FaultInjection(FaultCase):
    def test_apply_converges_through_faults(self):
        self.converge_through_faults()

    def test_apply_converges_through_faults_https_http1(self):
        self.converge_through_faults(tls=True, http2="off",
                                     protocol="HTTP/1.1")

    def test_apply_converges_through_faults_https_http2(self):
        self.converge_through_faults(tls=True, http2="auto",
                                     protocol="HTTP/2")

    def fault_proxy(self, tls):
        """nginx injecting faults in front of json-server; with tls, over
        HTTPS with HTTP/2 offered by ALPN. (proxy, the desired file's tls)"""
        files = None
        if tls:
            cert, key = make_self_signed(self.tmp, "server")
            files = TlsFiles(cert, key)
        proxy = NginxServer(PROXY % self.api.port, http=FAULTS_HTTP,
                            tls=files, http2=bool(tls))
        proxy.start()
        self.addCleanup(proxy.stop)
        return proxy, {"ca_file": files.cert} if tls else None

    def converge_through_faults(self, tls=False, http2="auto",
                                protocol="HTTP/1.1"):
        proxy, tls_setting = self.fault_proxy(tls)
        path = self.desired(proxy.url(""), {
            "concurrency": 16, "retries": 4, "retry_delay": 0.05,
            "retry_max_delay": 1.5, "http2": http2}, tls=tls_setting)
        totals = collections.Counter()
        for attempt in range(6):
            run = run_trueup(["apply", path], timeout=240)
            self.assertIn(run.code, (0, 3), run.describe())
            rep = run.report
            for k in ("created", "updated", "deleted", "failed"):
                totals[k] += rep[k]
            self.assertEqual(list(rep["protocols"]), [protocol], rep)
            self.assertLess(rep["connections"], rep["requests"])
            if run.code == 0:
                break
        else:
            self.fail("did not converge in 6 applies: %r" % totals)
        self.assertEqual((totals["created"], totals["updated"],
                          totals["deleted"]), (100, 200, 50), totals)
        # what json-server received (the proxy's faults never reach it)
        got = collections.Counter((m, s) for m, p, s in self.api.requests()
                                  if m != "GET")
        self.assertEqual(got, {("POST", 201): 100, ("PATCH", 200): 200,
                               ("DELETE", 200): 50}, "no create twice")
        records = self.api.get_records()
        names = [r["name"] for r in records]
        self.assertEqual(len(names), len(set(names)), "a duplicate record")
        have = {k: {f: v for f, v in r.items() if f != "id"}
                for k, r in by_key(records).items()}
        self.assertEqual(have, expected_state())
        # and then nothing to change, not one write reaching the API
        mark = self.api.mark()
        for _ in range(3):   # a GET may meet a fault: rerun until it passes
            run = run_trueup(["apply", path], timeout=120)
            if run.code == 0:
                break
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.report["changed"], False)
        self.assertEqual(self.api.writes(mark), [])

    def test_api_going_away_mid_run(self):
        # The API is the harness's recording server here: it logs each
        # request before it answers, so its log is exactly what the API
        # received and acknowledged (json-server, killed, may lose its last
        # acknowledged write before it reaches db.json).
        api = RecordingServer([host(i) for i in range(1, LIVE + 1)])
        api.start()
        self.addCleanup(api.stop)
        proxy = NginxServer(CLEAN_PROXY % api.port)
        proxy.start()
        self.addCleanup(proxy.stop)
        records = ['{name: host%d.example.org., type: A, content: '
                   '"192.0.2.%d", ttl: 600}' % (i, i % 250)
                   for i in range(1, 201)]
        path = self.desired(proxy.url(""), {
            "concurrency": 4, "rate_limit": 80, "retries": 1,
            "retry_delay": 0.05, "retry_max_delay": 0.1}, records)
        proc = subprocess.Popen([trueup_binary(), "apply", path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(1.0)
        api.stop()                         # the API goes away; nginx stays
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 3, err)
        rep = json.loads(out)
        self.assertEqual(rep["succeeded"] + rep["failed"], 200)
        self.assertGreater(rep["succeeded"], 0)
        self.assertGreater(rep["failed"], 0)
        for r in rep["results"]:
            if r["status"] == "failed":
                self.assertIn("HTTP 502", r["error"])
        # the report is the truth: the records it calls ok are exactly the
        # PATCHes the API acknowledged
        acked = sorted(r.path for r in api.writes() if r.method == "PATCH")
        ok = sorted("/records/%d" % int(r["key"][4:].split(".")[0])
                    for r in rep["results"] if r["status"] == "ok")
        self.assertEqual(acked, ok)


class Interrupt(FaultCase):
    def test_sigint_reports_every_record_and_a_rerun_converges(self):
        records = ['{name: host%d.example.org., type: A, content: '
                   '"192.0.2.%d", ttl: 600}' % (i, i % 250)
                   for i in range(1, 201)]
        path = self.desired(self.api.url, {"concurrency": 4,
                                           "rate_limit": 60}, records)
        proc = subprocess.Popen([trueup_binary(), "apply", path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 3, err)
        rep = json.loads(out)
        self.assertTrue(rep["cancelled"])
        self.assertEqual(rep["succeeded"] + rep["failed"], 200)
        self.assertGreater(rep["succeeded"], 0)
        self.assertGreater(rep["failed"], 0)
        for r in rep["results"]:
            if r["status"] == "failed":
                self.assertEqual(r["error"], "PATCH %s: cancelled before it "
                                 "was sent" % (self.api.url + "/records/%d"
                                               % int(r["key"][4:].split(".")[0])))
        self.assertIn("trueup: interrupted: %d records not done"
                      % rep["failed"], err)
        updated = sum(1 for r in self.api.get_records() if r["ttl"] == 600)
        self.assertEqual(updated, rep["succeeded"])
        run = run_trueup(["apply", path])
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.report["updated"], rep["failed"])


class Tls(FaultCase):
    def test_verification_ca_file_and_insecure(self):
        cert, key = make_self_signed(self.tmp, "server")
        proxy = NginxServer(CLEAN_PROXY % self.api.port,
                            tls=TlsFiles(cert, key))
        proxy.start()
        self.addCleanup(proxy.stop)
        records = ['{name: host1.example.org., type: A, ttl: 3600}']
        plain = self.desired(proxy.url(""), {"retries": 0}, records, "p.yaml")
        run = run_trueup(["plan", plain])
        self.assertEqual(run.code, 1)
        self.assertIn("SSL certificate problem: self-signed certificate",
                      run.stderr)
        trusted = self.desired(proxy.url(""), {}, records, "t.yaml",
                               tls={"ca_file": cert})
        run = run_trueup(["plan", trusted])
        self.assertEqual((run.code, run.report["skipped"]), (0, 1),
                         run.describe())
        self.assertEqual(run.stderr, "")
        insecure = self.desired(proxy.url(""), {}, records, "i.yaml",
                                tls={"insecure": True})
        run = run_trueup(["plan", insecure])
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.stderr, "trueup: warning: target.tls.insecure "
                         "is set: the server's certificate was not "
                         "verified\n")
        self.assertEqual(len(run.report["warnings"]), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
