#!/usr/bin/env python3
"""Bad input gets a clear error, exit 1, and nothing pushed.

Desired state: malformed YAML, empty, missing, a directory, not UTF-8, wrong
types, missing key fields, unknown keys, duplicate keys, an alias bomb, an
absurd size. Live state: a list response that is not JSON, truncated, HTML,
the wrong shape, a missing items path, records without the key fields, a
response over the size cap, a Link loop. Each case checks the exact message.

The live cases run against a small in-process HTTP server on a free loopback
port that answers each path with fixed raw bytes and headers, and records
every request, so a test can show that nothing was written.
"""

import http.server
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (run_trueup, target_yaml, temp_dir,  # noqa: E402
                     trueup_available, trueup_binary, write_yaml)


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


class RawServer:
    """Answers GET path -> (status, headers, body bytes); records requests."""

    def __init__(self, routes):
        self.routes = routes
        self.log = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                outer.log.append((self.command, self.path))
                status, headers, body = outer.routes.get(
                    self.path, (404, {}, b"{}"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.thread.join(5)
        self.httpd.server_close()

    def writes(self):
        return [r for r in self.log if r[0] != "GET"]


class DesiredStateTest(unittest.TestCase):
    """Errors in the files: exit 1, the exact message, no request at all."""

    def setUp(self):
        self.tmp = temp_dir(self, "tu-bad-")
        self.server = RawServer({"/records": (200, {}, b"[]")})
        self.addCleanup(self.server.stop)
        self.target = target_yaml(self.server.url)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def fails(self, files, message):
        run = run_trueup(["apply"] + files)
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.stderr, "trueup: error: %s\n" % message)
        self.assertEqual(run.stdout, "")
        self.assertEqual(self.server.log, [], "no request for bad input")

    def write(self, name, text):
        return write_yaml(self.path(name), text)

    def test_malformed_yaml(self):
        f = self.write("bad.yaml", self.target + "records:\n  - {name: a\n")
        self.fails([f], "%s:13:1: did not find expected ',' or '}' (while "
                   "parsing a flow mapping at line 12)" % f)

    def test_empty_missing_directory(self):
        f = self.write("empty.yaml", "")
        self.fails([f], "%s: the file is empty: write a desired-state "
                   "mapping (see docs/desired-state.md)" % f)
        f = self.write("comments.yaml", "# nothing\n")
        self.fails([f], "%s: the file is empty: write a desired-state "
                   "mapping (see docs/desired-state.md)" % f)
        missing = self.path("missing.yaml")
        self.fails([missing], "%s: cannot read: No such file or directory"
                   % missing)
        self.fails([self.tmp], "%s: is a directory, not a file" % self.tmp)

    def test_not_utf8(self):
        f = self.path("latin1.yaml")
        with open(f, "wb") as out:
            out.write(self.target.encode() + b"records:\n  - {name: caf\xe9}\n")
        self.fails([f], "%s:12:16: not valid UTF-8 (invalid trailing UTF-8 "
                   "octet #x7D); save the file as UTF-8" % f)

    def test_wrong_types(self):
        f = self.write("t.yaml", self.target +
                       "settings:\n  concurrency: many\n")
        self.fails([f], "%s:12:3: settings.concurrency: expected an integer, "
                   "got a string" % f)
        f = self.write("t2.yaml", self.target + "records: {name: a}\n")
        self.fails([f], "%s:11:1: records: expected a list of records, got "
                   "a mapping" % f)
        f = self.write("t3.yaml", self.target + "records:\n  - just-a-name\n")
        # the item itself is pointed at, not its list
        self.fails([f], "%s:12:5: records[0]: expected a mapping of fields, "
                   "got a string" % f)

    def test_missing_key_field(self):
        f = self.write("k.yaml", self.target + "records:\n  - {name: a}\n")
        self.fails([f], "%s:12:5: record: key field 'type' is missing or not "
                   "a string, number or boolean (the key is [name, type])" % f)

    def test_unknown_and_duplicate_keys(self):
        f = self.write("u.yaml", self.target + "setings: {}\n")
        self.fails([f], "%s:11:1: unknown key 'setings' (did you mean "
                   "'settings'?)" % f)
        f = self.write("d.yaml", self.target +
                       "settings:\n  timeout: 5\n  timeout: 6\n")
        self.fails([f], "%s:13:3: duplicate key 'timeout' (first at line 12)"
                   % f)

    def test_alias_bomb(self):
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol",'
                 '"lol"]']
        for prev, cur in zip("abcdefgh", "bcdefghi"):
            lines.append("%s: &%s [%s]" % (cur, cur,
                                           ",".join(["*" + prev] * 9)))
        f = self.write("bomb.yaml", "\n".join(lines) + "\n")
        self.fails([f], "%s:7:8: aliases expand to more than 1000000 nodes; "
                   "refusing (billion-laughs protection)" % f)

    def test_absurd_size(self):
        f = self.path("huge.yaml")
        with open(f, "wb") as out:   # sparse: no disk used
            out.truncate(600 * 1024 * 1024)
        self.fails([f], "%s: the file is larger than the limit of 536870912 "
                   "bytes (512 MiB)" % f)


class LiveStateTest(unittest.TestCase):
    """Bad answers from the API: exit 1, the exact message, no write."""

    def run_against(self, routes, resource=None, settings=None):
        server = RawServer(routes)
        self.addCleanup(server.stop)
        tmp = temp_dir(self, "tu-badlive-")
        text = target_yaml(server.url, resource=resource)
        text += "settings: {retries: 0%s}\n" % (
            "".join(", %s: %s" % kv for kv in (settings or {}).items()))
        text += "records:\n  - {name: a, type: A, ttl: 60}\n"
        f = write_yaml(os.path.join(tmp, "d.yaml"), text)
        run = run_trueup(["apply", f])
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(server.writes(), [])
        self.assertIn("trueup: nothing was pushed\n", run.stderr)
        return server, run.stderr.splitlines()[0]

    def test_not_json_html_and_truncated(self):
        html = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
        server, line = self.run_against(
            {"/records": (200, {"Content-Type": "text/html"}, html)})
        self.assertEqual(line, "trueup: error: GET %s/records: the response "
                         "is not valid JSON (invalid token near '<' at line "
                         "1, column 1); it begins: <html><body><h1>"
                         "Welcome to nginx!</h1></body></html>" % server.url)
        server, line = self.run_against(
            {"/records": (200, {}, b'[{"name": "a", "type": "A"')})
        self.assertEqual(line, "trueup: error: GET %s/records: the response "
                         "is not valid JSON ('}' expected near end of file at "
                         "line 1, column 26); it begins: [{\"name\": \"a\", "
                         "\"type\": \"A\"" % server.url)

    def test_html_error_page(self):
        page = b"<html>\n<head><title>502 Bad Gateway</title></head>\n</html>"
        server, line = self.run_against({"/records": (500, {}, page)})
        self.assertEqual(line, "trueup: error: GET %s/records: HTTP 500: "
                         "<html> <head><title>502 Bad Gateway</title></head> "
                         "</html> (after 1 attempt)" % server.url)

    def test_wrong_shape_and_items_path(self):
        server, line = self.run_against({"/records": (200, {}, b'{"a": 1}')})
        self.assertEqual(line, "trueup: error: GET %s/records: expected a "
                         "list of records, got a mapping: set "
                         "target.resource.items to the path of the list"
                         % server.url)
        server, line = self.run_against(
            {"/records": (200, {}, b'{"data": {}}')},
            resource={"items": "data.records"})
        self.assertEqual(line, "trueup: error: GET %s/records: the response "
                         "has nothing at items path 'data.records' (got a "
                         "mapping): check target.resource.items" % server.url)
        server, line = self.run_against({"/records": (200, {}, b'[1, 2]')})
        self.assertEqual(line, "trueup: error: GET %s/records: item 0 of the "
                         "list is not a mapping, not a record (check "
                         "target.resource.items)" % server.url)

    def test_records_without_key_fields(self):
        server, line = self.run_against(
            {"/records": (200, {}, b'[{"id": 1, "name": "a"}]')})
        self.assertEqual(line, "trueup: error: GET %s/records: item 0 has no "
                         "usable key field 'type' (check "
                         "target.resource.key)" % server.url)

    def test_response_over_the_cap(self):
        big = b"[" + b",".join([b'{"name":"%d","type":"A"}' % i
                               for i in range(60000)]) + b"]"
        self.assertGreater(len(big), 1024 * 1024)
        server, line = self.run_against({"/records": (200, {}, big)},
                                        settings={"max_response_mb": 1})
        self.assertEqual(line, "trueup: error: GET %s/records: the response "
                         "is larger than settings.max_response_mb allows; "
                         "page the list (target.resource.paginate) or raise "
                         "the limit" % server.url)

    def test_link_loop(self):
        routes = {
            "/records": (200, {"Link": '</records?p=2>; rel="next"'}, b"[]"),
            "/records?p=2": (200, {"Link": '</records>; rel="next"'}, b"[]"),
        }
        server, line = self.run_against(routes, resource={"paginate": "link"})
        self.assertEqual(line, "trueup: error: GET %s/records?p=2: the Link "
                         "header points back to %s/records, which was already"
                         " fetched: the pagination loops"
                         % (server.url, server.url))


if __name__ == "__main__":
    unittest.main(verbosity=2)
