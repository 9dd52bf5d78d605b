#!/usr/bin/env python3
"""SOLIDserver's dns_rr API through requests of any shape
(docs/desired-state.md, "Requests of any shape"): the X-IPM-* headers are
templates holding the base64 of environment secrets, the list is paged by
limit/offset, and an update is a PUT whose values go in the query string
(send: query) with each record's own TTL as rr_ttl. The secrets never
appear in trueup's output, even in an error that would quote them.

Runs trueup against solidserver_sim.SolidServer (in-process, free port).

Later parts of issue 21 will simplify this file (docs/internals/any-api.md):
  - empty answers (section 4): a 204 past the last row ends offset paging,
    so the page count need not leave a short last page (7 rows, 3 a page);
  - write_as (section 3): `ttl: {write_as: rr_ttl}` replaces the body
    template rr_ttl: "{ttl}" (which sends ttl too, which the API ignores);
  - compare: number (section 3): TTLs may be declared as numbers; here they
    are strings, as SOLIDserver lists them.
"""

import base64
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (records_yaml, run_trueup, temp_dir,  # noqa: E402
                     trueup_available, trueup_binary, write_yaml)
from solidserver_sim import SolidServer, make_zone  # noqa: E402

USER, PASSWORD = "ipmadmin", "S3cret-pa55word"
ENV = {"SDS_USER": USER, "SDS_PASSWORD": PASSWORD}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def target(url, list_request="/rest/dns_rr_list"):
    return """\
target:
  provider: rest
  base_url: %s
  headers:
    X-IPM-Username: "{env.SDS_USER | base64}"
    X-IPM-Password: "{env.SDS_PASSWORD | base64}"
  resource:
    list: %s
    paginate: offset
    offset_param: offset
    per_page_param: limit
    per_page: 3
    key: [rr_full_name, rr_type, value1]
    id: rr_id
    update:
      request: PUT /rest/dns_rr_add?rr_id={rr_id}&add_flag=edit_only
      send: query
      body: {rr_ttl: "{ttl}"}
    update_body: changed
""" % (url, list_request)


def record(i, ttl):
    return {"rr_full_name": "host%d.example.org" % i, "rr_type": "A",
            "value1": "10.0.0.%d" % i, "ttl": ttl}


class SolidServerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-sds-")
        self.sds = SolidServer(records=make_zone(7, ttl="300"), user=USER,
                               password=PASSWORD).start()
        self.addCleanup(self.sds.stop)

    def write(self, records, **kw):
        return write_yaml(os.path.join(self.tmp, "d.yaml"),
                          target(self.sds.url, **kw) + records_yaml(records))

    def assert_no_secret(self, run):
        for secret in (PASSWORD, USER):
            for text in (run.stdout, run.stderr):
                self.assertNotIn(secret, text, run.describe())

    def test_update_sends_each_ttl_in_the_query(self):
        ttls = {1: "600", 2: "300", 3: "900", 4: "300", 5: "600",
                6: "300", 7: "1200"}
        f = self.write([record(i, ttl) for i, ttl in ttls.items()])
        run = run_trueup(["apply", f], env=ENV)
        self.assertEqual(run.code, 0, run.describe())
        self.assert_no_secret(run)
        got = {int(r["rr_id"]): r["ttl"] for r in self.sds.records()}
        self.assertEqual(got, ttls)
        lists = [r.query for r in self.sds.requests()
                 if r.path.startswith("/rest/dns_rr_list")]
        self.assertEqual(sorted((q["offset"], q["limit"]) for q in lists),
                         [("0", "3"), ("3", "3"), ("6", "3")])
        edits = sorted((r.method, r.query["rr_id"], r.query["add_flag"],
                        r.query["rr_ttl"], r.body)
                       for r in self.sds.writes())
        self.assertEqual(edits, [("PUT", "1", "edit_only", "600", b""),
                                 ("PUT", "3", "edit_only", "900", b""),
                                 ("PUT", "5", "edit_only", "600", b""),
                                 ("PUT", "7", "edit_only", "1200", b"")])
        again = run_trueup(["apply", f], env=ENV)
        self.assertEqual(again.code, 0, again.describe())
        self.assertEqual(len(self.sds.writes()), 4, "a second run writes")

    def test_headers_are_the_base64_of_the_environment(self):
        f = self.write([record(1, "300")])
        run = run_trueup(["apply", f], env=ENV)
        self.assertEqual(run.code, 0, run.describe())
        heads = {(r.headers["x-ipm-username"], r.headers["x-ipm-password"])
                 for r in self.sds.requests()}
        self.assertEqual(heads, {(b64(USER), b64(PASSWORD))})
        wrong = run_trueup(["apply", f], env=dict(ENV, SDS_PASSWORD="nope"))
        self.assertNotEqual(wrong.code, 0, wrong.describe())
        self.assertIn("401", wrong.stdout + wrong.stderr)

    def test_an_unset_variable_is_an_error_naming_it(self):
        f = self.write([record(1, "300")])
        run = run_trueup(["apply", f], env={"SDS_USER": USER,
                                            "SDS_PASSWORD": None})
        self.assertNotEqual(run.code, 0, run.describe())
        self.assertIn("d.yaml:6:", run.stderr)
        self.assertIn("SDS_PASSWORD is not set", run.stderr)
        self.assertEqual(self.sds.requests(), [])

    def test_a_secret_in_an_error_is_scrubbed(self):
        # The password reaches a failing list's URL and the server's answer
        # (400, quoting the WHERE clause): the message shows *** instead.
        where = "nofield='{env.SDS_PASSWORD}'"
        f = self.write([record(1, "300")], list_request=(
            '"/rest/dns_rr_list?WHERE=%s"' % urllib.parse.quote(where,
                                                                  "{}=")))
        run = run_trueup(["apply", f], env=ENV)
        self.assertNotEqual(run.code, 0, run.describe())
        self.assertIn("***", run.stdout + run.stderr, run.describe())
        self.assert_no_secret(run)
        sent = [r.query.get("WHERE") for r in self.sds.requests()]
        self.assertIn("nofield='%s'" % PASSWORD, sent)


if __name__ == "__main__":
    unittest.main()
